"""Recording the microphone straight to disk, so a crash loses at most the last block.

A PortAudio callback hands blocks to a queue; a writer thread appends them to a WAV file whose
header is rewritten after every block (the stdlib ``wave`` writer does this), and keeps them
in memory for live transcription. A marker file next to the recording says it is unfinished
until :meth:`Recorder.stop` removes it; :func:`unfinished_recordings` finds those after a crash.
"""

from __future__ import annotations

import json
import math
import os
import queue
import threading
import time
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from coach.audio.files import SAMPLE_RATE
from coach.errors import CoachError, StorageError
from coach.safe_files import create_private, private_dir, write_atomic

_BLOCK_S = 0.1
_MARKER_SUFFIX = ".recording.json"


class MicrophoneError(CoachError):
    """No microphone can be opened."""


def open_input_error(exc: BaseException) -> MicrophoneError:
    return MicrophoneError(
        f"No microphone could be opened ({str(exc).strip() or type(exc).__name__}); "
        "type your answer or analyse an audio file instead."
    )


class Recorder:
    """Records 16 kHz mono from an input device to ``path``.

    Args:
        path: the WAV file to write: a new name (an existing file is never overwritten); its
            folder is created private (0700), the file 0600.
        device: a sounddevice device name or index; None for the default.
        on_level: called from the writer thread with each block's level in dBFS.
        metadata: saved in the marker file (question, kind, ...) for crash recovery.
    """

    def __init__(self, path: Path, device: str | int | None = None,
                 on_level: Callable[[float], None] | None = None, metadata: dict[str, Any] | None = None) -> None:
        self.path = Path(path)
        self.device = device if device not in ("", None) else None
        self.on_level = on_level
        self.metadata = metadata or {}
        self._blocks: queue.Queue[np.ndarray | None] = queue.Queue()
        self._chunks: list[np.ndarray] = []
        self._chunks_lock = threading.Lock()
        self._frames = 0
        self._stream = None
        self._writer: threading.Thread | None = None
        self._started_at: float | None = None
        self._file: Any = None
        self.overflows = 0

    @property
    def marker(self) -> Path:
        return self.path.with_name(self.path.name + _MARKER_SUFFIX)

    @property
    def recording(self) -> bool:
        return self._stream is not None

    @property
    def duration_s(self) -> float:
        return self._frames / SAMPLE_RATE

    def start(self) -> None:
        """Open the microphone and start writing.

        Raises:
            MicrophoneError: there is no input device, or it cannot be opened.
        """
        try:
            import sounddevice
        except OSError as exc:  # libportaudio2 missing
            raise open_input_error(exc) from exc
        private_dir(self.path.parent)
        try:
            # Created here, not in the writer thread, so a taken name or a full disk is reported
            # before the microphone opens rather than lost in a thread.
            self._file = create_private(self.path)
        except FileExistsError as exc:
            raise StorageError(f"{self.path} already exists and is never overwritten; record again.") from exc
        try:
            write_atomic(self.marker, json.dumps({**self.metadata, "started": time.time()}, allow_nan=False))
        except BaseException:
            self._file.close()
            self.path.unlink(missing_ok=True)
            raise
        try:
            self._stream = sounddevice.InputStream(
                samplerate=SAMPLE_RATE, channels=1, dtype="float32", device=self.device,
                blocksize=int(SAMPLE_RATE * _BLOCK_S), callback=self._on_block,
            )
        except (sounddevice.PortAudioError, ValueError) as exc:
            self.marker.unlink(missing_ok=True)
            self._file.close()
            self.path.unlink(missing_ok=True)
            self._stream = None
            raise open_input_error(exc) from exc
        self._writer = threading.Thread(target=self._write, name="recorder-writer", daemon=True)
        self._writer.start()
        self._started_at = time.monotonic()
        self._stream.start()

    def _on_block(self, data, frames, time_info, status) -> None:  # PortAudio's thread: no blocking here
        if status.input_overflow:
            self.overflows += 1
        self._blocks.put(data[:, 0].copy())

    def _write(self) -> None:
        with self._file as raw, wave.open(raw, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(SAMPLE_RATE)
            last_sync = time.monotonic()
            while True:
                block = self._blocks.get()
                if block is None:
                    break
                out.writeframes((np.clip(block, -1, 1) * 32767).astype("<i2").tobytes())
                raw.flush()
                now = time.monotonic()
                if now - last_sync >= 1.0:
                    os.fsync(raw.fileno())
                    last_sync = now
                with self._chunks_lock:
                    self._chunks.append(block)
                    self._frames += len(block)
                if self.on_level:
                    rms = float(np.sqrt(np.mean(block**2))) if len(block) else 0.0
                    self.on_level(20 * math.log10(max(rms, 1e-6)))

    def samples(self) -> np.ndarray:
        """Everything recorded so far."""
        with self._chunks_lock:
            return np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.float32)

    def stop(self) -> Path:
        """Stop, finish the file, and mark it complete. Safe to call twice."""
        if self._stream is not None:
            self._stream.stop()
            self._stream.close()
            self._stream = None
        if self._writer is not None:
            self._blocks.put(None)
            self._writer.join()
            self._writer = None
        self.marker.unlink(missing_ok=True)
        return self.path


def unfinished_recordings(folder: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Recordings whose session ended without stopping them (a crash or a kill), newest first."""
    found = []
    for marker in sorted(folder.glob(f"*{_MARKER_SUFFIX}"), key=lambda p: p.stat().st_mtime, reverse=True):
        audio = marker.with_name(marker.name.removesuffix(_MARKER_SUFFIX))
        try:
            metadata = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            metadata = {}
        if audio.is_file() and audio.stat().st_size > 44:
            found.append((audio, metadata))
        else:
            marker.unlink(missing_ok=True)
    return found


def mark_recovered(audio: Path) -> None:
    """The user has dealt with an unfinished recording: stop offering it."""
    audio.with_name(audio.name + _MARKER_SUFFIX).unlink(missing_ok=True)
