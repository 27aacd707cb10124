"""Reading audio files into 16 kHz mono samples, with a clear error for anything unreadable."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16_000
#: A file whose decoded audio is shorter than this share of its declared length is truncated.
_TRUNCATED_SHARE = 0.9
#: Peak amplitude under which a file is treated as digital silence (-80 dBFS).
_SILENCE_PEAK = 1e-4


@dataclass(frozen=True)
class Audio:
    """Mono float32 samples in [-1, 1] at :data:`SAMPLE_RATE`."""

    samples: np.ndarray
    source: Path | None = None

    @property
    def duration_s(self) -> float:
        return len(self.samples) / SAMPLE_RATE

    @property
    def is_silent(self) -> bool:
        return len(self.samples) == 0 or float(np.max(np.abs(self.samples))) < _SILENCE_PEAK


def load_audio(path: Path) -> Audio:
    """Decode any audio file FFmpeg reads (WAV, FLAC, OGG, MP3, M4A, ...) to 16 kHz mono.

    Raises:
        AudioFileError: the file is missing, empty, not audio, truncated or corrupt.
    """
    from coach.errors import AudioFileError

    path = Path(path)
    if not path.exists():
        raise AudioFileError(f"{path} does not exist; check the path and try again.")
    if path.is_dir():
        raise AudioFileError(f"{path} is a folder, not an audio file; name a file inside it.")
    if path.stat().st_size == 0:
        raise AudioFileError(f"{path} is empty (0 bytes); record the answer again or pick another file.")

    import av

    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.error.FFmpegError, UnicodeDecodeError, OSError) as exc:
        raise AudioFileError(
            f"{path} is not an audio file coach can read ({_reason(exc)}); use WAV, FLAC, OGG or MP3."
        ) from exc

    with container:
        if not container.streams.audio:
            raise AudioFileError(f"{path} has no audio track; pick a file with recorded sound.")
        stream = container.streams.audio[0]
        declared_s = _declared_duration(path, container, stream)
        # Channels are averaged here rather than by FFmpeg, whose mono downmix adds 3 dB and
        # can clip a loud stereo recording.
        resampler = av.AudioResampler(format="fltp", rate=SAMPLE_RATE)
        chunks: list[np.ndarray] = []
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().mean(axis=0))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().mean(axis=0))
        except (av.error.FFmpegError, ValueError) as exc:
            raise AudioFileError(
                f"{path} is corrupt: decoding failed part-way ({_reason(exc)}); re-export or re-record it."
            ) from exc

    samples = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    if len(samples) == 0:
        raise AudioFileError(f"{path} holds no audio samples; it is empty or corrupt, so record it again.")
    decoded_s = len(samples) / SAMPLE_RATE
    if declared_s and decoded_s < _TRUNCATED_SHARE * declared_s and declared_s - decoded_s > 0.5:
        raise AudioFileError(
            f"{path} is truncated: its header promises {declared_s:.1f} s but only {decoded_s:.1f} s "
            "could be read; re-export or re-record it."
        )
    return Audio(samples=samples, source=path)


def _declared_duration(path: Path, container, stream) -> float | None:
    """The length the file's header promises, to tell a truncated file from a short one."""
    if container.format.name == "wav":
        # FFmpeg derives a WAV's duration from the bytes present, which hides truncation; the
        # RIFF header's own frame count does not.
        import wave

        try:
            with wave.open(str(path), "rb") as header:
                return header.getnframes() / header.getframerate()
        except (wave.Error, EOFError, ZeroDivisionError):
            pass  # not PCM (float or compressed WAV): FFmpeg's figure is the best there is
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / 1_000_000
    return None


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return text.split(":")[-1].strip().rstrip(".") or type(exc).__name__
