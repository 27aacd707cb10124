"""Voice activity from the audio itself, with the Silero VAD that faster-whisper ships.

Pauses are measured here rather than from gaps between Whisper's word timestamps, which drift
around silence and swallow dropped fillers.

Silero is a recurrent network: its verdict on a frame depends on everything it heard before.
faster-whisper runs it over a whole file with one state, and after half a minute of one voice
that state can call a second, quieter or hoarser voice silence for ten seconds and more (a
clip whose speech is 15 s long alone kept 7 s of it behind another clip). So the model starts
afresh after every stretch of quiet in the audio, as it does at the start of a file: what is
speech in an utterance heard alone is speech inside a long answer. And a gap is only a pause
where the audio is quiet: loud sound the model still misses is kept as speech.

Everything here reads the samples a block at a time (``samples[a:b]``), so a long recording
can be a :class:`coach.audio.files.SampleFile` that is never held in memory whole.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from coach.audio.files import SAMPLE_RATE


@dataclass(frozen=True)
class SpeechRegion:
    start: float
    end: float

    @property
    def duration_s(self) -> float:
        return self.end - self.start


# Silero's own segmentation (faster_whisper.vad.get_speech_timestamps) is made for cutting
# audio into chunks for Whisper: it pads, and ends speech only when the probability falls well
# below the threshold, which puts pause starts 100-200 ms late. For timing pauses we segment
# the frame probabilities ourselves with one threshold and no padding.
_FRAME = 512  # samples per Silero frame: 32 ms at 16 kHz
_FRAME_S = _FRAME / SAMPLE_RATE
_CONTEXT = 64  # samples of the previous frame Silero v5 reads with each frame
_THRESHOLD = 0.5
#: The probability climbs over a frame or two at an onset; a region starts where the climb began.
_ONSET_THRESHOLD = 0.25
#: Gaps shorter than this inside speech are closures and breaths between words, not silence.
_MIN_GAP_S = 0.1
#: Shorter bursts of "speech" are clicks.
_MIN_SPEECH_S = 0.06

#: Frames within this many dB of the noise floor are quiet; a quiet stretch this long lets the
#: model start afresh (it is cut in its middle, so the model hears quiet before the next sound).
_QUIET_DB = 2.0
#: Frames at the edge of a region this close to the floor are trimmed off it (dB).
_EDGE_QUIET_DB = 3.0
_RESET_QUIET_S = 0.4
#: Without any quiet, the model still starts afresh this often (at the quietest frame of the
#: last few seconds), which also bounds how much audio is read at once.
_MAX_RUN_S = 30.0
#: Loud sound in a gap (this far over the floor, and within _BELOW_SPEECH_DB of the loud
#: frames of the answer, for at least _LOUD_RUN_S) is speech the model missed, not a pause.
_LOUD_DB = 15.0
_BELOW_SPEECH_DB = 25.0
_LOUD_RUN_S = 0.3
#: Speech spans about this much dynamic range; recordings whose pauses are digital zeros would
#: otherwise have a floor of -inf dB.
_DYNAMIC_RANGE_DB = 50.0
#: Sound this far over the floor (dB) for this long (s) that the straight reading calls
#: silence is read again from a fresh start.
_DOUBT_DB = 6.0
_DOUBT_S = 0.3
#: Level (dB of the loud frames) each stretch is brought to before the model hears it, with
#: at most this much gain (quiet audio is never made louder than that, loud never quieter).
_TARGET_DB = -22.0
_MAX_GAIN_DB = 20.0
#: How far either side of a frame the floor and the voice's level are measured.
_FLOOR_HALF_WINDOW_S = 15.0
_SPEECH_HALF_WINDOW_S = 5.0
#: Samples read at a time when measuring levels.
_BLOCK = 30 * SAMPLE_RATE
#: Windows whose percentile is taken at once (a few MB, whatever the answer's length).
_PERCENTILE_BATCH = 256


_vad_lock = threading.Lock()
_import_lock = threading.Lock()


def import_faster_whisper():
    """The faster_whisper package, wholly imported, once per process.

    Its modules import one another, and voice activity reads Silero on one thread while Whisper
    loads on another: two threads importing parts of the package at once stopped in Python's
    import locks (``_DeadlockError`` on ``faster_whisper.vad``, seen once in CI under load). The
    first import happens under one lock; after it, every import of it is a lookup.
    """
    with _import_lock:
        import faster_whisper
    return faster_whisper


def load_vad_model():
    """The Silero ONNX model, loaded once per process (faster-whisper caches it; the lock keeps
    two threads that ask at once from both loading it, as its cache would let them)."""
    with _vad_lock:
        from coach.speech.transcriber import pin_native_threads

        pin_native_threads()
        import_faster_whisper()
        from faster_whisper.vad import get_vad_model

        return get_vad_model()


def frame_levels(samples) -> np.ndarray:
    """Loudness of each 32 ms frame in dB (full scale 0 dB), read a block at a time."""
    n = -(-len(samples) // _FRAME)
    levels = np.empty(n, np.float32)
    for first in range(0, len(samples), _BLOCK):
        block = np.asarray(samples[first:first + _BLOCK], dtype=np.float32)
        block = np.pad(block, (0, (-len(block)) % _FRAME)).reshape(-1, _FRAME)
        block = block - block.mean(1, keepdims=True)
        k = first // _FRAME
        levels[k:k + len(block)] = 10 * np.log10(np.mean(block * block, axis=1) + 1e-12)
    return levels


def _local_percentile(levels: np.ndarray, q: float, half_window_s: float) -> np.ndarray:
    """Per frame, the ``q``-th percentile of the levels within ``half_window_s`` either side
    (computed once a second): the floor and the voice's level drift over a long answer."""
    step = int(round(1.0 / _FRAME_S))
    half = int(round(half_window_s / _FRAME_S))
    centres = np.arange(0, len(levels), step)
    values = np.empty(len(centres), np.float64)
    # Centres whose window lies wholly inside the recording are done many at a time (one call per
    # centre cost 1.5 s of a 20-minute answer's voice activity); the edges one by one.
    inside = (centres >= half) & (centres + half < len(levels))
    for i in np.flatnonzero(~inside):
        c = centres[i]
        values[i] = np.percentile(levels[max(0, c - half):c + half + 1], q)
    if inside.any():
        windows = np.lib.stride_tricks.sliding_window_view(levels, 2 * half + 1)
        rows = np.flatnonzero(inside)
        for first in range(0, len(rows), _PERCENTILE_BATCH):
            batch = rows[first:first + _PERCENTILE_BATCH]
            values[batch] = np.percentile(windows[centres[batch] - half], q, axis=1)
    return np.repeat(values.astype(np.float32), step)[: len(levels)]


def local_floor_and_speech(levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Noise floor (the quiet 10 % of frames within 15 s) and voice level (the loud 5 % within 5 s)."""
    if len(levels) == 0:
        return levels, levels
    speech = _local_percentile(levels, 95, _SPEECH_HALF_WINDOW_S)
    floor = np.maximum(_local_percentile(levels, 10, _FLOOR_HALF_WINDOW_S), speech - _DYNAMIC_RANGE_DB)
    return floor, speech


def _fresh_starts(levels: np.ndarray, floor: np.ndarray) -> list[int]:
    """Frames at which the model starts with a fresh state: the middle of each quiet stretch."""
    quiet = levels <= floor + _QUIET_DB
    min_run = int(round(_RESET_QUIET_S / _FRAME_S))
    middles = [(a + b) // 2 for a, b in _runs(quiet) if b - a >= min_run]
    starts = [0]
    max_run = int(_MAX_RUN_S / _FRAME_S)
    for cut in [*middles, len(levels)]:
        while cut - starts[-1] > max_run:
            # No quiet for too long: start afresh at the quietest frame of the last third.
            lo = starts[-1] + 2 * max_run // 3
            starts.append(lo + int(np.argmin(levels[lo:starts[-1] + max_run])))
        if starts[-1] < cut < len(levels):
            starts.append(cut)
    return starts


def _silero(model, audio: np.ndarray, state: tuple | None) -> tuple[np.ndarray, tuple]:
    """Run Silero over ``audio`` (a whole number of frames) from ``state`` (None: a fresh start).

    faster-whisper's wrapper always starts fresh; this carries the recurrent state and the
    64-sample context across calls, so a long recording can be read a block at a time.
    """
    frames = audio.reshape(-1, _FRAME)
    h, c, context = state if state is not None else (np.zeros((1, 1, 128), np.float32),
                                                       np.zeros((1, 1, 128), np.float32),
                                                       np.zeros(_CONTEXT, np.float32))
    contexts = np.concatenate([context[None, :], frames[:-1, -_CONTEXT:]])
    batch = np.concatenate([contexts, frames], axis=1)
    out, h, c = model.session.run(None, {"input": batch, "h": h, "c": c})
    return np.asarray(out).reshape(-1), (h, c, frames[-1, -_CONTEXT:].copy())


def speech_probabilities(samples, levels: np.ndarray | None = None,
                         floor_and_speech: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Silero's speech probability for each 32 ms frame.

    Two readings are combined, and a frame is as likely speech as the surer of them says: the
    model run straight through (its memory of the voice helps it hear a faint "uh" after a
    pause), and, for the stretches between quiet where the straight reading calls loud sound
    silence, the model started afresh, the stretch brought to one voice level first (so a
    quiet or hoarse voice after a loud one is not lost).
    """
    n = -(-len(samples) // _FRAME)
    if n == 0:
        return np.zeros(0, np.float32)
    levels = frame_levels(samples) if levels is None else levels
    floor, speech = local_floor_and_speech(levels) if floor_and_speech is None else floor_and_speech
    model = load_vad_model()
    straight = np.empty(n, np.float32)
    fresh = np.zeros(n, np.float32)
    starts = _fresh_starts(levels, floor)
    stretches = list(zip(starts, [*starts[1:], n]))
    min_doubt = int(round(_DOUBT_S / _FRAME_S))

    def read_fresh(first: int, last: int) -> None:
        gain_db = min(_MAX_GAIN_DB, max(0.0, _TARGET_DB - float(np.median(speech[first:last]))))
        fresh[first:last], _ = _silero(model, _frames(samples, first, last) * np.float32(10 ** (gain_db / 20)), None)

    # The fresh reading is only needed where the straight one hears no voice in sound well
    # above the floor (for most answers, nowhere), so it is made only for those stretches, on a
    # second thread as soon as the straight reading has passed them: Silero runs on one core.
    state = None
    decided = 0
    # Frames before ``settled`` are final: each block reads on from there, not from the start,
    # so the work grows with the recording's length, not with its square (same probabilities).
    doubtful = np.zeros(n, bool)
    settled = 0
    with ThreadPoolExecutor(1, thread_name_prefix="coach-vad-fresh") as pool:
        pending = []
        for first in range(0, n, _BLOCK // _FRAME):
            last = min(n, first + _BLOCK // _FRAME)
            straight[first:last], state = _silero(model, _frames(samples, first, last), state)
            doubtful[settled:last], more = _doubtful(straight[settled:last], levels[settled:last],
                                                     floor[settled:last], min_doubt, last == n)
            settled += more
            while decided < len(stretches) and stretches[decided][1] <= settled:
                a, b = stretches[decided]
                decided += 1
                if doubtful[a:b].any():
                    pending.append(pool.submit(read_fresh, a, b))
        for done in pending:
            done.result()
    return np.maximum(straight, fresh)


def _doubtful(straight: np.ndarray, levels: np.ndarray, floor: np.ndarray, min_run: int,
              whole: bool) -> tuple[np.ndarray, int]:
    """Frames the straight reading calls silence in sound well above the floor, in runs of at
    least ``min_run``; and up to which frame that is final (unless the reading is ``whole``, a
    run still open at the end of what has been read may go on)."""
    missed = (straight < _THRESHOLD) & (levels >= floor + _DOUBT_DB)
    doubtful = np.zeros(len(missed), bool)
    runs = _runs(missed)
    for a, b in runs:
        if b - a >= min_run:
            doubtful[a:b] = True
    settled = runs[-1][0] if runs and runs[-1][1] == len(missed) and not whole else len(missed)
    return doubtful, settled


def _frames(samples, first: int, last: int) -> np.ndarray:
    chunk = np.asarray(samples[first * _FRAME:last * _FRAME], dtype=np.float32)
    return np.pad(chunk, (0, (last - first) * _FRAME - len(chunk)))


def speech_regions(samples) -> list[SpeechRegion]:
    """Stretches of speech in 16 kHz mono samples, in order, in seconds."""
    if len(samples) == 0:
        return []
    levels = frame_levels(samples)
    floor, speech = local_floor_and_speech(levels)
    probabilities = speech_probabilities(samples, levels, (floor, speech))
    voiced = probabilities >= _THRESHOLD
    # Loud enough to be a voice, not a breath: sound of this level in a gap is not a pause.
    loud = levels >= np.maximum(floor + _LOUD_DB, speech - _BELOW_SPEECH_DB)
    duration = len(samples) / SAMPLE_RATE
    # The model's verdict lags the sound by a few frames, more so after a fresh start: edges
    # that are as quiet as the pauses belong to the pause.
    silent = levels <= floor + _EDGE_QUIET_DB
    regions: list[list[float]] = []
    for first, last in _runs(voiced):
        while first > 0 and not voiced[first - 1] and probabilities[first - 1] >= _ONSET_THRESHOLD:
            first -= 1
        while last - first > 1 and silent[last - 1]:
            last -= 1
        while last - first > 1 and silent[first]:
            first += 1
        start, end = first * _FRAME_S, min(last * _FRAME_S, duration)
        if regions and start - regions[-1][1] < _MIN_GAP_S:
            regions[-1][1] = end
        else:
            regions.append([start, end])
    regions = [r for r in regions if r[1] - r[0] >= _MIN_SPEECH_S]
    regions = _keep_loud_gaps(regions, loud, duration)
    return [SpeechRegion(round(float(s), 3), round(float(e), 3)) for s, e in regions]


def _keep_loud_gaps(regions: list[list[float]], loud: np.ndarray, duration: float) -> list[list[float]]:
    """Add the loud stretches inside gaps between regions as speech, so no pause covers sound."""
    min_run = int(round(_LOUD_RUN_S / _FRAME_S))
    out: list[list[float]] = []
    for before, after in zip(regions, [*regions[1:], None]):
        out.append(before)
        if after is None:
            break
        lo, hi = int(round(before[1] / _FRAME_S)), int(round(after[0] / _FRAME_S))
        for a, b in _runs(loud[lo:hi]):
            if b - a >= min_run:
                out.append([(lo + a) * _FRAME_S, min((lo + b) * _FRAME_S, duration)])
    merged: list[list[float]] = []
    for region in out:
        if merged and region[0] - merged[-1][1] < _MIN_GAP_S:
            merged[-1][1] = max(merged[-1][1], region[1])
        else:
            merged.append(list(region))
    return merged


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.astype(np.int8), [0]))))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]
