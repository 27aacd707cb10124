"""Speech to timed words with faster-whisper on the CPU."""

from __future__ import annotations

import contextlib
import functools
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from coach.audio.files import SAMPLE_RATE
from coach.errors import ModelError
from coach.speech.models import ModelChoice
from coach.speech.vad import SpeechRegion

if TYPE_CHECKING:
    from coach.settings import Settings

T = TypeVar("T")

#: Longest chunk the decoder reads at once (Whisper's window is 30 s).
_MAX_CHUNK_S = 28.0
#: Audio kept around each stretch of speech inside a chunk.
_PAD_S = 0.5
_KEEP_GAP_S = 3.0
#: A chunk with speech but fewer words per voiced second than this was not really decoded
#: (fluent speech gives 2-4, the slow cold-voiced eval clips about 2, a filler-heavy one 1.2).
_MIN_WORDS_PER_VOICED_S = 0.7
#: Whisper's own signs of a failed window: a repetition loop, or very low confidence.
_MAX_COMPRESSION = 2.4
_MIN_AVG_LOGPROB = -1.0
#: A word accounts for the speech this close to it (its timestamps are loose at the edges).
_WORD_REACH_S = 0.3
#: Speech this long without a word is decoded again, and reported as not transcribed if
#: it is still without words (a dropped "ummm" can last a second).
_MIN_UNCOVERED_S = 1.5
_UNCOVERED_JOIN_S = 1.5
_MAX_REFILLS = 3
#: A window that read less than this before stopping is taken whole (see _one_window): moving on
#: by less would cost a window for almost nothing.
_MIN_WINDOW_S = 5.0
#: Speech left after a cut shorter than this is the word's own tail, not speech of its own.
_MIN_REGION_S = 0.05
#: The stronger decode for failed-looking chunks: beam search, then seeded sampling at rising
#: temperatures, each tried only while the one before it read more of the chunk's speech.
_STRONG_BEAM = 5
_STRONG_TEMPERATURES = (0.0, 0.2, 0.4, 0.6)
_SEED = 1234
#: With no thread count set, this many (or the cores there are): a fixed count, because the
#: results of the decoder's sums depend on how the work is split between threads.
_DEFAULT_THREADS = 4
_WITHOUT_TIMESTAMPS = False


@dataclass(frozen=True)
class Word:
    text: str
    start: float
    end: float
    probability: float


def transcript_text(words: Sequence[Word]) -> str:
    """The words as the user reads them: spaced, except where Whisper split one word ("10 ,000")."""
    from coach.analysis.display_text import join_words

    return join_words([w.text for w in words])[0]


@dataclass(frozen=True)
class Transcript:
    words: list[Word]
    text: str
    #: Stretches voice activity calls speech that no word covers, even after a second decode.
    untranscribed: list[SpeechRegion] = field(default_factory=list)


# One loaded model per (location, compute type, threads) for the life of the process: loading
# is the slow part, and the TUI and the CLI both ask for the same model many times.
_loaded: dict[tuple[str, str, int], object] = {}
_load_lock = threading.Lock()


class _DecoderThread:
    """The one thread that loads Whisper and decodes with it, whichever thread asks.

    A model loaded in one thread decoded an 11 s clip several times slower in another (on 2 cores:
    8-23 s against 1.2-2.7 s, benchmarks/decoder_thread.py), and the TUI loads in one worker and
    transcribes in others. A daemon thread, so a decode in progress never holds up the exit.
    """

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def run(self, fn: Callable[..., T], *args, **kwargs) -> T:
        if threading.current_thread() is self._thread:
            return fn(*args, **kwargs)
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._serve, name="coach-whisper", daemon=True)
                self._thread.start()
        done: Future = Future()
        self._jobs.put((done, fn, args, kwargs))
        return done.result()

    def _serve(self) -> None:
        while True:
            done, fn, args, kwargs = self._jobs.get()
            if done.set_running_or_notify_cancel():
                try:
                    done.set_result(fn(*args, **kwargs))
                except BaseException as exc:  # handed to the caller, who raises it in its own thread
                    done.set_exception(exc)


_decoder = _DecoderThread()


def _on_decoder_thread(method: Callable[..., T]) -> Callable[..., T]:
    """Run the method on the decoder thread, whichever thread calls it."""

    @functools.wraps(method)
    def run(*args, **kwargs) -> T:
        return _decoder.run(method, *args, **kwargs)

    return run


class Transcriber:
    """Loads its model on first use and transcribes 16 kHz mono samples into timed words."""

    def __init__(self, model: ModelChoice, compute_type: str = "int8", cpu_threads: int = 0,
                 language: str = "en", initial_prompt: str | None = None) -> None:
        self.model = model
        self.compute_type = compute_type
        self.cpu_threads = cpu_threads
        self.language = language
        #: Used when :meth:`transcribe` is given no prompt of its own.
        self.initial_prompt = initial_prompt or None
        #: Seconds loading took in this process (0 while the model is not loaded yet).
        self.load_seconds = 0.0

    @property
    def _key(self) -> tuple[str, str, int]:
        return (self.model.location, self.compute_type, self.cpu_threads)

    @property
    def is_loaded(self) -> bool:
        return self._key in _loaded

    @_on_decoder_thread
    def load(self):
        """Load the model (once per process) and return it.

        Raises:
            ModelError: the model files are unreadable, or a named model cannot be downloaded.
        """
        with _load_lock:
            if self._key in _loaded:
                return _loaded[self._key]
            started = time.perf_counter()
            pin_native_threads()
            from coach.speech.vad import import_faster_whisper

            WhisperModel = import_faster_whisper().WhisperModel  # noqa: N806
            try:
                whisper = WhisperModel(
                    self.model.location,
                    device="cpu",
                    compute_type=self.compute_type,
                    cpu_threads=self.cpu_threads or min(_DEFAULT_THREADS, os.cpu_count() or 1),
                    local_files_only=self.model.source != "download",
                )
            except Exception as exc:  # faster-whisper raises many types; each becomes one message
                raise ModelError(_load_failure(self.model, exc)) from exc
            # The voice-activity model is needed with every answer: load it with Whisper so the
            # first answer pays for neither.
            from coach.speech.vad import load_vad_model

            load_vad_model()
            self.load_seconds = time.perf_counter() - started
            _loaded[self._key] = whisper
            return whisper

    @_on_decoder_thread
    def transcribe(
        self,
        samples,
        *,
        initial_prompt: str | None = None,
        on_progress: Callable[[float], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
        regions: Sequence[SpeechRegion] | None = None,
    ) -> Transcript:
        """Transcribe with word timestamps, one stretch of speech at a time.

        The decoder is fed the speech voice activity found, in chunks of at most about 30 s
        that start and end in a pause, with long silences inside a chunk shortened: a window
        never straddles a long silence, and the whole recording is never decoded (or held) at
        once. A chunk whose decode looks failed (too few words for its speech, a repetition
        loop, low confidence, a stretch of speech left without words) is decoded again with
        beam search and a seeded temperature fallback. Speech still without words is listed in
        :attr:`Transcript.untranscribed`.

        Args:
            samples: 16 kHz mono float32 audio (an array, or anything sliced like one).
            initial_prompt: text that primes the decoder (a short filler-laden prompt keeps
                more "um"s; long prompts cause dropped sentences).
            on_progress: called with the share of the audio done, 0 to 1.
            should_stop: polled between chunks; returning True ends early with what is done.
            regions: voice activity for ``samples``; computed when not given.
        """
        whisper = self.load()
        if regions is None:
            from coach.speech.vad import speech_regions

            regions = speech_regions(samples)
        duration = len(samples) / SAMPLE_RATE
        prompt = initial_prompt if initial_prompt is not None else self.initial_prompt
        words: list[Word] = []
        untranscribed: list[SpeechRegion] = []
        pending, floor = list(regions), 0.0
        while pending:
            chunk = plan_chunks(pending, duration, floor=floor)[0]
            audio = chunk.samples(samples)
            found, suspect, cut = self._decode(whisper, audio, chunk, prompt)
            if suspect:
                found, cut = self._decode_harder(whisper, audio, chunk, prompt, found, cut)
            # Whisper ended its window before the chunk's end: the rest is read with the speech
            # after it, in the next chunk, as Whisper's own seek would (not as a window of its own).
            if cut is None:
                last = chunk.pieces[-1]
                pending, floor = _after(pending, chunk.regions[-1].end), last.source + last.length
            else:
                pending, floor, chunk = _after(pending, cut), cut, chunk.head(cut)
            # Whisper sometimes ends a window early and leaves the rest without words: the
            # chunk is decoded again from the first stretch of speech left over (as Whisper's
            # own seek would), a few times at most. Greedy decoding is deterministic: a hole that
            # starts where the last refill started would be read from the same audio, to the same
            # words, so it is left as not transcribed.
            refilled_from = None
            for _ in range(_MAX_REFILLS):
                holes = uncovered_speech(chunk.regions, found)
                if not holes:
                    break
                rest = chunk.tail(max(chunk.pieces[0].source, holes[0].start - _PAD_S))
                if rest.pieces[0].source == refilled_from:
                    break
                refilled_from = rest.pieces[0].source
                found = _merge(found, self._fill(whisper, samples, holes[0], rest, prompt))
            words.extend(found)
            untranscribed.extend(uncovered_speech(chunk.regions, found))
            if on_progress and duration and chunk.regions:
                on_progress(min(1.0, chunk.regions[-1].end / duration))
            if should_stop and should_stop():
                break
        return Transcript(words=words, text=transcript_text(words), untranscribed=untranscribed)

    def _fill(self, whisper, samples, hole: SpeechRegion, rest: Chunk, prompt: str | None) -> list[Word]:
        """Words for the rest of a chunk, from a stretch of speech its decode left without any
        (only words from the stretch on are returned)."""
        audio = rest.samples(samples)
        # Greedy only: a beam search over the rest of a chunk costs several times a greedy
        # pass, and a window Whisper cut short is nearly always decoded at the second try.
        found, _, _ = self._decode(whisper, audio, rest, prompt)
        return [w for w in found if w.end > hole.start - _WORD_REACH_S]

    def _decode_harder(self, whisper, audio: np.ndarray, chunk: Chunk, prompt: str | None,
                       found: list[Word], cut: float | None) -> tuple[list[Word], float | None]:
        """A failed-looking chunk decoded again: beam search, then sampling at rising
        temperatures, until a decode looks sound, reads all of the chunk's speech, or stops reading
        more of it than the one before. Returns the words (and cut) of whichever decode read the
        most speech.

        Speech that trips the checks by its nature ("uh, uh, uh" looks like a repetition loop)
        fails them at every temperature; each step costs a beam's or five samples' decode (20 s
        of CPU for the four on one 27 s chunk of the 20-minute benchmark answer), so the steps
        stop as soon as they stop helping.
        """
        import ctranslate2

        # The samples at higher temperatures: a fixed seed makes them repeatable.
        ctranslate2.set_random_seed(_SEED)
        best = previous = _covered_s(_before(chunk.regions, cut), found)
        # A decode is only kept for reading more of the speech: once one has read all of it,
        # the steps after it could not be kept, whatever they read.
        speech_s = sum(r.duration_s for r in chunk.regions)
        for temperature in _STRONG_TEMPERATURES:
            if best >= speech_s - 1e-6:
                break
            retry, suspect, retry_cut = self._decode(whisper, audio, chunk, prompt, temperature=temperature)
            covered = _covered_s(_before(chunk.regions, retry_cut), retry)
            if covered > best:
                best, found, cut = covered, retry, retry_cut
            if not suspect or covered <= previous:
                break
            previous = covered
        return found, cut

    def _decode(self, whisper, audio: np.ndarray, chunk: Chunk, prompt: str | None,
                *, temperature: float | None = None) -> tuple[list[Word], bool, float | None]:
        """Decode one chunk in one window, greedily (or, given a ``temperature``, with beam
        search at 0 and sampling above it); returns its words (in the recording's time), whether
        it looks failed, and where Whisper would have started a second window (the recording's
        time; None when the window read the chunk to its end)."""
        segments, _info = whisper.transcribe(
            audio,
            language=self.language,
            beam_size=1 if temperature is None else _STRONG_BEAM,
            word_timestamps=True,
            initial_prompt=prompt,
            condition_on_previous_text=False,
            # One temperature, no fallback: "uh uh uh" trips the repetition check, and the
            # stronger decodes (_decode_harder) are only for chunks that need them.
            temperature=temperature or 0.0,
            # Voice activity already says there is speech here: never skip a window as silence
            # (that is how whole windows of quiet speech vanished).
            no_speech_threshold=None,
            vad_filter=False,
            without_timestamps=_WITHOUT_TIMESTAMPS,
        )
        words: list[Word] = []
        suspect = False
        cut: float | None = None
        with _one_window(whisper, lambda: bool(words)) as ended:
            for segment in segments:  # a lazy generator: decoding happens as we iterate
                if segment.compression_ratio > _MAX_COMPRESSION or segment.avg_logprob < _MIN_AVG_LOGPROB:
                    suspect = True
                for w in segment.words or []:
                    text = w.word.strip()
                    if text:
                        start, end = chunk.to_source(w.start), chunk.to_source(w.end)
                        words.append(Word(text, round(start, 3), round(max(start, end), 3), round(w.probability, 3)))
        if ended.is_set() and words:
            cut = words[-1].end
            if cut - chunk.pieces[0].source < _MIN_WINDOW_S:  # too little read to move on from: keep it all
                cut = None
        voiced = sum(r.duration_s for r in _before(chunk.regions, cut))
        if voiced >= 1.0 and len(words) < _MIN_WORDS_PER_VOICED_S * voiced:
            suspect = True
        return words, suspect, cut


class _SecondWindow(Exception):
    """Raised inside faster-whisper when it starts a second window over a chunk."""


@contextlib.contextmanager
def _one_window(whisper, has_words: Callable[[], bool]):
    """While open, faster-whisper stops before it encodes a second window, once the first gave
    words. Yields an Event that is set when it stopped there.

    faster-whisper decodes a window, and when the text ends before the window does it starts a
    new window at the last word: for a chunk that is a full 30 s encoder pass over a few seconds
    of audio. The decoder thread is the only one using ``whisper``, so the instance attribute
    set here is seen by nobody else.
    """
    ended = threading.Event()
    encode = whisper.encode
    calls = 0

    def first_only(features):
        nonlocal calls
        calls += 1
        if calls > 1 and has_words():
            ended.set()
            raise _SecondWindow
        return encode(features)

    whisper.encode = first_only
    try:
        yield ended
    except _SecondWindow:
        pass
    finally:
        del whisper.encode


def _before(regions: Sequence[SpeechRegion], cut: float | None) -> list[SpeechRegion]:
    """The speech before ``cut`` (all of it when None)."""
    if cut is None:
        return list(regions)
    return [SpeechRegion(r.start, min(r.end, cut)) for r in regions if r.start < cut]


def _after(regions: Sequence[SpeechRegion], cut: float) -> list[SpeechRegion]:
    """The speech after ``cut``."""
    return [SpeechRegion(max(r.start, cut), r.end) for r in regions if r.end > cut + _MIN_REGION_S]


@dataclass(frozen=True)
class Piece:
    """A stretch of the recording inside a chunk: ``length`` seconds from ``source`` go to ``offset``."""

    source: float
    offset: float
    length: float


@dataclass(frozen=True)
class Chunk:
    """What the decoder reads at once: pieces of the recording around speech, joined."""

    pieces: tuple[Piece, ...]
    regions: tuple[SpeechRegion, ...]

    @property
    def length_s(self) -> float:
        return self.pieces[-1].offset + self.pieces[-1].length

    def samples(self, samples) -> np.ndarray:
        parts = [np.asarray(samples[int(round(p.source * SAMPLE_RATE)):int(round((p.source + p.length) * SAMPLE_RATE))],
                            dtype=np.float32) for p in self.pieces]
        return np.concatenate(parts) if len(parts) > 1 else parts[0]

    def head(self, end: float) -> Chunk:
        """The part of this chunk before ``end`` (a time in the recording)."""
        pieces = tuple(Piece(p.source, p.offset, min(p.length, end - p.source)) for p in self.pieces if p.source < end)
        return Chunk(pieces or self.pieces[:1], tuple(_before(self.regions, end)))

    def tail(self, start: float) -> Chunk:
        """The part of this chunk from ``start`` (a time in the recording) on."""
        pieces, offset = [], 0.0
        for p in self.pieces:
            lo = max(p.source, start)
            if lo < p.source + p.length:
                pieces.append(Piece(lo, offset, p.source + p.length - lo))
                offset += p.source + p.length - lo
        regions = tuple(SpeechRegion(max(r.start, start), r.end) for r in self.regions if r.end > start)
        return Chunk(tuple(pieces), regions)

    def to_source(self, t: float) -> float:
        """A time in the chunk as a time in the recording."""
        piece = self.pieces[0]
        for candidate in self.pieces:
            if candidate.offset <= t:
                piece = candidate
        return piece.source + min(max(0.0, t - piece.offset), piece.length)


def plan_chunks(regions: Sequence[SpeechRegion], duration: float, *, floor: float = 0.0) -> list[Chunk]:
    """Group speech into decoder chunks of at most _MAX_CHUNK_S, cut in pauses.

    Pauses up to _KEEP_GAP_S are kept whole; of a longer silence between two regions of the
    same chunk the decoder sees only _PAD_S after one and before the next, so a chunk never
    straddles a long silence. A region longer than a chunk is cut into pieces. No chunk reaches
    before ``floor`` (where the words already read end).
    """
    spans: list[tuple[float, float]] = []
    for r in regions:
        start = r.start
        while r.end - start > _MAX_CHUNK_S - 2 * _PAD_S:
            spans.append((start, start + _MAX_CHUNK_S - 2 * _PAD_S))
            start += _MAX_CHUNK_S - 2 * _PAD_S
        spans.append((start, r.end))
    chunks: list[Chunk] = []
    pieces: list[Piece] = []
    members: list[SpeechRegion] = []
    previous_end = floor
    for i, (start, end) in enumerate(spans):
        # The recording's edges count as speech of their own: a short lead-in or tail stays whole.
        next_start = spans[i + 1][0] if i + 1 < len(spans) else duration + duration - spans[-1][1]
        lo = 0.0 if i == 0 and floor == 0.0 and start <= _KEEP_GAP_S else max(previous_end, start - _PAD_S, floor)
        # A pause up to _KEEP_GAP_S stays whole (the words on either side need it, and voice
        # activity may have missed a faint word in it); a longer one is cut to _PAD_S a side.
        hi = min((end + next_start) / 2 if next_start - end <= _KEEP_GAP_S else end + _PAD_S, duration)
        used = pieces[-1].offset + pieces[-1].length if pieces else 0.0
        if pieces and used + (hi - lo) > _MAX_CHUNK_S:
            chunks.append(Chunk(tuple(pieces), tuple(members)))
            pieces, members, used = [], [], 0.0
        if pieces and abs(pieces[-1].source + pieces[-1].length - lo) < 1e-9:
            last = pieces[-1]
            pieces[-1] = Piece(last.source, last.offset, last.length + hi - lo)
        else:
            pieces.append(Piece(lo, used, hi - lo))
        members.append(SpeechRegion(start, end))
        previous_end = hi
    if pieces:
        chunks.append(Chunk(tuple(pieces), tuple(members)))
    return chunks


def _covered(region: SpeechRegion, words: Sequence[Word]) -> list[tuple[float, float]]:
    """The parts of a region no word (widened by _WORD_REACH_S) reaches."""
    gaps = [(region.start, region.end)]
    for w in words:
        lo, hi = w.start - _WORD_REACH_S, w.end + _WORD_REACH_S
        next_gaps = []
        for a, b in gaps:
            if hi <= a or lo >= b:
                next_gaps.append((a, b))
                continue
            if lo > a:
                next_gaps.append((a, lo))
            if hi < b:
                next_gaps.append((hi, b))
        gaps = next_gaps
    return gaps


def uncovered_speech(regions: Sequence[SpeechRegion], words: Sequence[Word]) -> list[SpeechRegion]:
    """Stretches holding _MIN_UNCOVERED_S or more of speech that no word accounts for.

    Parts of regions without a word are joined across pauses shorter than _UNCOVERED_JOIN_S,
    so a run of short phrases that all went missing counts as the one hole it is.
    """
    parts: list[tuple[float, float]] = []
    for region in regions:
        near = [w for w in words if w.end + _WORD_REACH_S > region.start and w.start - _WORD_REACH_S < region.end]
        parts.extend(_covered(region, near))
    holes: list[list[float]] = []  # start, end, speech seconds
    for a, b in sorted(parts):
        if holes and a - holes[-1][1] < _UNCOVERED_JOIN_S:
            holes[-1][1] = b
            holes[-1][2] += b - a
        else:
            holes.append([a, b, b - a])
    return [SpeechRegion(round(a, 3), round(b, 3)) for a, b, speech in holes if speech >= _MIN_UNCOVERED_S]


def _merge(words: list[Word], extra: list[Word]) -> list[Word]:
    """Words from a second decode added where the first left nothing."""
    kept = [w for w in extra if not any(o.start < w.end and w.start < o.end for o in words)]
    return sorted([*words, *kept], key=lambda w: w.start)


def _covered_s(regions: Sequence[SpeechRegion], words: Sequence[Word]) -> float:
    total = sum(r.duration_s for r in regions)
    return total - sum(r.duration_s for r in uncovered_speech(regions, words))


def pin_native_threads() -> None:
    """Make the native math libraries split their work the same way under any load.

    Intel MKL and OpenMP may use fewer threads than asked when the machine is busy
    ("dynamic" threads); a different split sums in a different order, and greedy decoding
    turns that last-bit difference into different words. They read these settings when they
    load, so this runs before faster-whisper (and with it CTranslate2) is first imported.
    """
    for name, value in (("MKL_DYNAMIC", "FALSE"), ("OMP_DYNAMIC", "FALSE")):
        os.environ.setdefault(name, value)


def _load_failure(model: ModelChoice, exc: Exception) -> str:
    if model.source == "download":
        return (
            f"Could not get the model {model.name!r}: it is not bundled and could not be downloaded "
            f"({type(exc).__name__}); use --model tiny.en (bundled), --model base, or a model folder."
        )
    return f"Could not load the model at {model.location} ({exc}); reinstall it or use --model tiny.en."


def transcriber_for(settings: Settings, model: str | None = None) -> Transcriber:
    """The transcriber the settings (or an explicit ``model``) ask for; nothing is loaded yet."""
    from coach.speech.models import resolve_model

    speech = settings.speech
    choice = resolve_model(model or speech.model, settings.models_dirs, settings.data_dir / "models")
    return Transcriber(choice, compute_type=speech.compute_type, cpu_threads=speech.cpu_threads,
                       language=speech.language, initial_prompt=speech.initial_prompt)
