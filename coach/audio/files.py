"""Reading audio files into 16 kHz mono samples, with a clear error for anything unreadable.

A long recording need not fit in memory: :func:`load_audio` with ``stream=True`` decodes into
an unlinked temporary file (:class:`SampleFile`) that the analysis reads a slice at a time, so
memory stays the same for a 2-minute answer and a 30-minute one.
"""

from __future__ import annotations

import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16_000
#: A file whose decoded audio is shorter than this share of its declared length is truncated.
_TRUNCATED_SHARE = 0.9
#: Lossless files (WAV, FLAC) declare their exact length: any shortfall over this (s) means
#: frames were lost (FFmpeg drops a FLAC frame whose checksum fails).
_LOSSLESS_SLACK_S = 0.01
#: Peak amplitude under which a file is treated as digital silence (-80 dBFS).
_SILENCE_PEAK = 1e-4
#: A mix of the channels this much quieter than its loudest channel (energy ratio, -20 dB)
#: means the channels cancel (one is the other inverted): the loudest channel is used alone.
_CANCELLED_SHARE = 0.01
#: Decoded samples (per channel) mixed down and kept at a time: a few seconds, so memory stays flat.
_BLOCK_SAMPLES = 4 * SAMPLE_RATE


def _scratch_error(exc: OSError):
    from coach.safe_files import storage_error

    return storage_error(exc, Path(tempfile.gettempdir()),
                         "the audio file itself was only read and is untouched")


class SampleFile:
    """Mono float32 samples in an unlinked temporary file, read a slice at a time.

    Only the slices asked for are ever in memory; ``len()`` and ``samples[a:b]`` work as on
    an array. The file has no name on disk (it disappears with the process) and mode 0600.
    """

    dtype = np.dtype(np.float32)
    ndim = 1

    def __init__(self) -> None:
        try:
            # Unbuffered: decoded blocks are large, and a full disk must show at the write that hit it.
            self._file = tempfile.TemporaryFile(prefix="coach-audio-", buffering=0)
        except OSError as exc:
            raise _scratch_error(exc) from exc
        self._length = 0

    def append(self, samples: np.ndarray) -> None:
        pending = memoryview(np.ascontiguousarray(samples, dtype=np.float32).tobytes())
        try:
            while pending:  # an unbuffered write may take only part of the block
                pending = pending[self._file.write(pending):]
        except OSError as exc:  # a full disk or a file-size limit while decoding
            self.close()
            raise _scratch_error(exc) from exc
        self._length += len(samples)

    def finish(self) -> SampleFile:
        self._file.flush()
        return self

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, key) -> np.ndarray:
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError("a SampleFile is read in contiguous slices: samples[start:stop]")
        start, stop, _ = key.indices(self._length)
        if stop <= start:
            return np.zeros(0, np.float32)
        data = os.pread(self._file.fileno(), (stop - start) * 4, start * 4)
        return np.frombuffer(bytearray(data), dtype=np.float32)

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        whole = self[:]
        return whole if dtype is None else whole.astype(dtype)

    def close(self) -> None:
        self._file.close()


@dataclass(frozen=True)
class Audio:
    """Mono float32 samples in [-1, 1] at :data:`SAMPLE_RATE` (an array, or a :class:`SampleFile`)."""

    samples: np.ndarray | SampleFile
    source: Path | None = None
    #: Largest absolute sample, when known from decoding.
    peak: float | None = None

    @property
    def duration_s(self) -> float:
        return len(self.samples) / SAMPLE_RATE

    @property
    def is_silent(self) -> bool:
        if len(self.samples) == 0:
            return True
        peak = self.peak if self.peak is not None else float(np.max(np.abs(np.asarray(self.samples))))
        return peak < _SILENCE_PEAK


class _Sink:
    """Collects decoded samples in memory, growing geometrically (no list of chunks to join)."""

    def __init__(self, expected: int) -> None:
        self._data = np.empty(max(expected, SAMPLE_RATE), np.float32)
        self._length = 0

    def append(self, samples: np.ndarray) -> None:
        end = self._length + len(samples)
        if end > len(self._data):
            self._data = np.resize(self._data, max(end, int(len(self._data) * 1.5)))
        self._data[self._length:end] = samples
        self._length = end

    def finish(self) -> np.ndarray:
        return self._data[: self._length].copy() if self._length < len(self._data) else self._data


def load_audio(path: Path, *, stream: bool = False) -> Audio:
    """Decode any audio file FFmpeg reads (WAV, FLAC, OGG, MP3, M4A, ...) to 16 kHz mono.

    Args:
        stream: decode into a :class:`SampleFile` instead of memory (for long recordings).

    Raises:
        AudioFileError: the file is missing, not a regular file, empty, not audio, truncated,
            damaged, or holds invalid (NaN or infinite) samples.
    """
    from coach.errors import AudioFileError

    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise AudioFileError(f"{path} does not exist; check the path and try again.") from None
    except OSError as exc:
        raise AudioFileError(f"{path} cannot be read ({_reason(exc)}); check its permissions and try again.") from exc
    if stat.S_ISDIR(info.st_mode):
        raise AudioFileError(f"{path} is a folder, not an audio file; name a file inside it.")
    if not stat.S_ISREG(info.st_mode):
        raise AudioFileError(
            f"{path} is not a regular file (a pipe, socket or device); save the recording to a file and analyse that."
        )
    if info.st_size == 0:
        raise AudioFileError(f"{path} is empty (0 bytes); record the answer again or pick another file.")

    decoded = _decode(path, stream=stream)
    if decoded.cancelled_channel is not None:
        # The channels cancel when mixed: one is the other inverted (a miswired microphone).
        decoded = _decode(path, stream=stream, channel=decoded.cancelled_channel)
    samples = decoded.samples
    if len(samples) == 0:
        raise AudioFileError(f"{path} holds no audio samples; it is empty or corrupt, so record it again.")
    if decoded.nonfinite:
        raise AudioFileError(
            f"{path} holds {decoded.nonfinite} invalid samples (NaN or infinite values); "
            "it is damaged, so re-export or re-record it."
        )
    decoded_s = len(samples) / SAMPLE_RATE
    declared_s = decoded.declared_s
    if declared_s and decoded_s < _TRUNCATED_SHARE * declared_s and declared_s - decoded_s > 0.5:
        raise AudioFileError(
            f"{path} is truncated: its header promises {declared_s:.1f} s but only {decoded_s:.1f} s "
            "could be read; re-export or re-record it."
        )
    if decoded.lossless and declared_s and declared_s - decoded_s > _LOSSLESS_SLACK_S:
        raise AudioFileError(
            f"{path} is damaged: {declared_s - decoded_s:.2f} s of its {declared_s:.1f} s could not be decoded "
            "(corrupt frames); re-export or re-record it."
        )
    if decoded.ogg and _ogg_missing_end(path):
        raise AudioFileError(
            f"{path} is truncated: the Ogg stream stops before its last page ({decoded_s:.1f} s could be read); "
            "re-export or re-record it."
        )
    return Audio(samples=samples, source=path, peak=decoded.peak)


@dataclass
class _Decoded:
    samples: np.ndarray | SampleFile
    declared_s: float | None
    peak: float
    nonfinite: int
    lossless: bool
    ogg: bool
    cancelled_channel: int | None


def _decode(path: Path, *, stream: bool, channel: int | None = None) -> _Decoded:
    import av

    from coach.errors import AudioFileError

    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.error.FFmpegError, UnicodeDecodeError, OSError) as exc:
        raise AudioFileError(
            f"{path} is not an audio file coach can read ({_reason(exc)}); use WAV, FLAC, OGG or MP3."
        ) from exc

    with container:
        if not container.streams.audio:
            raise AudioFileError(f"{path} has no audio track; pick a file with recorded sound.")
        audio_stream = container.streams.audio[0]
        codec = audio_stream.codec_context.name
        lossless = codec == "flac" or codec.startswith("pcm_")
        if codec == "flac":
            # Check each frame's checksum and drop a damaged frame, so damage shows as lost length.
            audio_stream.codec_context.options = {"err_detect": "crccheck+explode"}
        declared_s = _declared_duration(path, container, audio_stream)
        expected = int((declared_s or 0) * SAMPLE_RATE) + SAMPLE_RATE
        sink: _Sink | SampleFile = SampleFile() if stream else _Sink(expected)
        # Channels are averaged here rather than by FFmpeg, whose mono downmix adds 3 dB and
        # can clip a loud stereo recording.
        resampler = av.AudioResampler(format="fltp", rate=SAMPLE_RATE)
        peak, nonfinite = 0.0, 0
        energy = mixed_energy = None
        # Decoders hand out frames of about 1,000 samples: mixed down and written one by one, the
        # per-call overhead cost more than the decoding (8 s of a 20-minute WAV's 16 s). They are
        # gathered into blocks of a few seconds first.
        pending: list[np.ndarray] = []
        pending_samples = 0
        try:
            for frame in container.decode(audio_stream):
                for out in resampler.resample(frame):
                    pending.append(out.to_ndarray())
                    pending_samples += pending[-1].shape[1]
                if pending_samples >= _BLOCK_SAMPLES:
                    peak, nonfinite, energy, mixed_energy = _take(_joined(pending), sink, channel, peak, nonfinite,
                                                                  energy, mixed_energy)
                    pending, pending_samples = [], 0
            pending.extend(out.to_ndarray() for out in resampler.resample(None))
            if pending:
                peak, nonfinite, energy, mixed_energy = _take(_joined(pending), sink, channel, peak, nonfinite,
                                                              energy, mixed_energy)
        except (av.error.FFmpegError, ValueError) as exc:
            raise AudioFileError(
                f"{path} is corrupt: decoding failed part-way ({_reason(exc)}); re-export or re-record it."
            ) from exc
        ogg = container.format.name == "ogg"
    cancelled = None
    if channel is None and energy is not None and len(energy) > 1 and float(energy.max()) > 0:
        if mixed_energy < _CANCELLED_SHARE * float(energy.max()):
            cancelled = int(np.argmax(energy))
    return _Decoded(sink.finish(), declared_s, peak, nonfinite, lossless, ogg, cancelled)


def _joined(planes: list[np.ndarray]) -> np.ndarray:
    return planes[0] if len(planes) == 1 else np.concatenate(planes, axis=1)


def _take(planes: np.ndarray, sink, channel: int | None, peak: float, nonfinite: int,
          energy: np.ndarray | None, mixed_energy: float | None):
    """Mix one decoded block down (or take one channel), keep it, and update the running measures."""
    bad = ~np.isfinite(planes)
    if bad.any():
        nonfinite += int(bad.sum())
        planes = np.where(bad, 0.0, planes)
    mono = planes[channel] if channel is not None else planes.mean(axis=0)
    block_energy = np.einsum("ij,ij->i", planes, planes, dtype=np.float64)
    energy = block_energy if energy is None else energy + block_energy
    # einsum, not np.dot: on a block this size np.dot hands the sum to OpenBLAS's threads, which
    # took 11-28 ms a call on a busy machine (einsum: 0.15 ms).
    mixed_energy = (mixed_energy or 0.0) + float(np.einsum("i,i->", mono, mono, dtype=np.float64))
    if len(mono):
        peak = max(peak, float(np.max(np.abs(mono))))
    sink.append(mono)
    return peak, nonfinite, energy, mixed_energy


def _ogg_missing_end(path: Path) -> bool:
    """Whether an Ogg file lacks its end-of-stream page (it was cut off while being written or copied)."""
    size = path.stat().st_size
    with path.open("rb") as f:
        f.seek(max(0, size - 65_536))
        tail = f.read()
    at = tail.rfind(b"OggS")
    if at < 0 or len(tail) - at < 27:
        return True
    segments = tail[at + 26]
    if len(tail) - at < 27 + segments:
        return True
    page_length = 27 + segments + sum(tail[at + 27:at + 27 + segments])
    # The last page must be whole and carry the end-of-stream flag.
    return len(tail) - at < page_length or not tail[at + 5] & 0x04


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
