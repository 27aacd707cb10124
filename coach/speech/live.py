"""Transcribing an answer while it is being spoken.

A thread watches the growing recording; each time the speaker finishes an utterance (speech
followed by a silence) it transcribes that utterance alone. When the user stops, only the
last utterance is left, so feedback comes about a second after the stop key instead of after
a full pass over the whole answer.

The last utterance is read ahead too: once the speaker has been silent for a moment (shorter
than the silence that ends an utterance) what they said so far is transcribed and held. If
they go on, it is read again with the rest; if they stop, or the silence grows into an
utterance's end, the held reading is kept, so the stop key usually finds nothing left to do.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from coach.audio.files import SAMPLE_RATE
from coach.speech.transcriber import Transcriber, Word
from coach.speech.vad import SpeechRegion, speech_regions

#: A silence this long after speech ends an utterance.
_UTTERANCE_GAP_S = 0.6
#: Whisper reads 30 s windows: cut long utterances before that, at their widest gap (the
#: transcriber's own chunks are at most 28 s).
_MAX_UTTERANCE_S = 24.0
_POLL_S = 0.3
_EDGE_MARGIN_S = 0.4
#: Silence kept after an utterance's last word when it is cut in a pause.
_TAIL_S = 0.3
#: Speech regions of two utterances closer than this are one region cut in two.
_JOIN_GAP_S = 0.05
#: A silence this long at the growing edge starts reading the utterance ahead. Shorter pauses
#: are common inside an utterance, and each reading ahead that the speaker talks over is a
#: decode wasted (in a 127 s spontaneous answer, 5 pauses of 0.45-0.6 s against 15 of 0.3-0.6 s).
_AHEAD_GAP_S = 0.45


@dataclass(frozen=True)
class _Utterance:
    """One utterance read: samples ``start`` to ``end`` of the recording, and what was found."""

    start: int
    end: int
    regions: list[SpeechRegion]  # in seconds from ``start``
    words: list[Word]  # in the recording's time
    untranscribed: list[SpeechRegion]
    voice: object  # prosody.track's frames


class LiveTranscriber:
    """Transcribes finished utterances of a recording in progress.

    Args:
        transcriber: a loaded (or loadable) transcriber.
        get_samples: returns everything recorded so far (16 kHz mono float32).
        on_words: called from the worker thread with each utterance's words.
        initial_prompt: passed to Whisper for every utterance.
    """

    def __init__(self, transcriber: Transcriber, get_samples: Callable[[], np.ndarray],
                 on_words: Callable[[list[Word]], None] | None = None, initial_prompt: str | None = None) -> None:
        self.transcriber = transcriber
        self.get_samples = get_samples
        self.on_words = on_words
        self.initial_prompt = initial_prompt
        self.words: list[Word] = []
        #: Speech no word covers, even after a second decode (see Transcriber.transcribe).
        self.untranscribed: list[SpeechRegion] = []
        #: Pitch and level of each utterance (prosody.track), so the stop leaves only the last one.
        self.voice_parts: list = []
        #: Voice activity of the whole recording, utterance by utterance, in seconds from its start:
        #: the analysis reuses it instead of reading the whole answer again after the stop.
        self.regions: list[SpeechRegion] = []
        self._done_until = 0  # samples before this index are transcribed
        self._ahead: _Utterance | None = None  # the open utterance, read before it ended
        #: Utterances read ahead, and how many of those readings were kept (the rest were read again).
        self.read_ahead = self.kept_ahead = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()  # one transcription at a time: the worker's or stop()'s
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="live-transcriber", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.transcriber.load()
            while not self._stop.wait(_POLL_S):
                self._transcribe_finished()
        except BaseException as exc:  # reported by stop(); the recording itself carries on
            self.error = exc

    def _transcribe_finished(self) -> None:
        with self._lock:
            samples = self.get_samples()
            pending = samples[self._done_until :]
            if len(pending) < SAMPLE_RATE:
                return
            regions = speech_regions(pending)
            cut = _utterance_end(pending, regions)
            if cut is not None:
                self._transcribe(samples, self._done_until + cut, regions)
                return
            pause = _pause_at_edge(pending, regions)
            if pause is not None and not self._ahead_holds(regions, len(pending)):
                self._ahead = self._read(samples, self._done_until, self._done_until + pause)
                self.read_ahead += 1

    def _transcribe(self, samples: np.ndarray, end: int, regions: list[SpeechRegion] | None = None) -> None:
        """Keep the utterance from where the last one ended to ``end``: the one read ahead when
        no speech follows it before ``end``, else a new reading. ``regions`` is the voice
        activity from the last end on, when already found."""
        start = self._done_until
        if self._ahead is not None:
            if regions is None:
                regions = speech_regions(samples[start:end])
            if self._ahead_holds(regions, end - start):
                self.kept_ahead += 1
                self._keep(self._ahead)
                return
        # Read again, whole: the speaker went on after the pause (an utterance is cut only at a
        # silence of _UTTERANCE_GAP_S, which keeps Whisper's windows long and the context whole).
        self._ahead = None
        # ``regions`` reach past ``end`` unless the utterance runs to the end of what is recorded
        # (the stop): only then are they these samples' voice activity, not found again.
        part = self._read(samples, start, end, regions if end == len(samples) else None)
        if part is not None:
            self._keep(part)
        else:
            self._done_until = end

    def _ahead_holds(self, regions: list[SpeechRegion], end: int) -> bool:
        """Whether the utterance read ahead is still all there is up to ``end``: ``regions`` is
        the voice activity from the last utterance's end, ``end`` a sample index from there."""
        ahead = self._ahead
        if ahead is None or ahead.start != self._done_until:
            return False
        after = (ahead.end - ahead.start) / SAMPLE_RATE + _JOIN_GAP_S
        return not any(r.end > after and r.start < end / SAMPLE_RATE for r in regions)

    def _read(self, samples: np.ndarray, start: int, end: int,
              regions: list[SpeechRegion] | None = None) -> _Utterance | None:
        """Transcribe samples ``start`` to ``end`` as one utterance (None when there is no speech);
        ``regions`` is their voice activity, when already found."""
        chunk = samples[start:end]
        regions = speech_regions(chunk) if regions is None else regions
        if not regions:
            return None
        offset = start / SAMPLE_RATE
        # The same decode as a whole file: chunks bounded by voice activity, failed-looking ones
        # decoded again, and speech left without words reported rather than dropped.
        transcript = self.transcriber.transcribe(chunk, initial_prompt=self.initial_prompt, regions=regions)
        words = [Word(w.text, round(w.start + offset, 3), round(w.end + offset, 3), w.probability)
                 for w in transcript.words]
        untranscribed = [SpeechRegion(round(r.start + offset, 3), round(r.end + offset, 3))
                         for r in transcript.untranscribed]
        from coach.analysis.prosody import track

        return _Utterance(start, end, regions, words, untranscribed, track(chunk, regions, offset))

    def _keep(self, part: _Utterance) -> None:
        self._ahead = None
        self._done_until = part.end
        self._add_regions(part.regions, part.start / SAMPLE_RATE)
        self.untranscribed.extend(part.untranscribed)
        self.voice_parts.append(part.voice)
        self.words.extend(part.words)
        if part.words and self.on_words:
            self.on_words(part.words)

    def _add_regions(self, regions: list[SpeechRegion], offset: float) -> None:
        for region in regions:
            shifted = SpeechRegion(round(region.start + offset, 3), round(region.end + offset, 3))
            # An utterance cut in the middle of speech (one over Whisper's window with no gap) goes
            # on in the next one: one region, not a pause of nothing between two.
            if self.regions and shifted.start - self.regions[-1].end < _JOIN_GAP_S:
                self.regions[-1] = SpeechRegion(self.regions[-1].start, shifted.end)
            else:
                self.regions.append(shifted)

    def stop(self, samples: np.ndarray | None = None) -> list[Word]:
        """Stop watching, transcribe what is left, and return every word, in order.

        Raises:
            Exception: whatever stopped the worker (a model that would not load, ...).
        """
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.error is not None:
            raise self.error
        with self._lock:
            samples = self.get_samples() if samples is None else samples
            if len(samples) > self._done_until:
                self._transcribe(samples, len(samples))
        return list(self.words)


def _pause_at_edge(pending: np.ndarray, regions: list[SpeechRegion]) -> int | None:
    """Where to read the open utterance up to, when the speaker has paused at the growing edge
    for _AHEAD_GAP_S (a sample index into ``pending``), else None."""
    if not regions or len(pending) / SAMPLE_RATE - regions[-1].end < _AHEAD_GAP_S:
        return None
    # As far past the last word as an utterance that ends in a pause reaches (_utterance_end):
    # cut closer, Whisper loses or changes the last word more often.
    return int((regions[-1].end + _TAIL_S) * SAMPLE_RATE)


def _utterance_end(pending: np.ndarray, regions: list[SpeechRegion] | None = None) -> int | None:
    """Where the last finished utterance in ``pending`` ends (a sample index), if any
    (``regions``: its voice activity, when already found)."""
    if regions is None:
        regions = speech_regions(pending)
    if not regions:
        # Only silence so far: skip it once there is plenty, so it is not re-read forever.
        return len(pending) - SAMPLE_RATE if len(pending) > 5 * SAMPLE_RATE else None
    length = len(pending) / SAMPLE_RATE
    ends = []
    for region, following in zip(regions, [*regions[1:], None]):
        if following is not None:
            if following.start - region.end >= _UTTERANCE_GAP_S:
                ends.append(region.end + min(_TAIL_S, (following.start - region.end) / 2))
        # At the growing edge, speech that has just resumed may not be detected yet: wait longer
        # and cut close to the last word.
        elif length - region.end >= _UTTERANCE_GAP_S + _EDGE_MARGIN_S:
            ends.append(region.end + 0.1)
    if ends:
        return int(ends[-1] * SAMPLE_RATE)
    if length >= _MAX_UTTERANCE_S and len(regions) > 1:
        widest = max(zip(regions, regions[1:]), key=lambda pair: pair[1].start - pair[0].end)
        return int((widest[0].end + widest[1].start) / 2 * SAMPLE_RATE)
    if length >= _MAX_UTTERANCE_S:
        return int(length * SAMPLE_RATE) - SAMPLE_RATE // 2
    return None
