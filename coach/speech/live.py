"""Transcribing an answer while it is being spoken.

A thread watches the growing recording; each time the speaker finishes an utterance (speech
followed by a silence) it transcribes that utterance alone. When the user stops, only the
last utterance is left, so feedback comes about a second after the stop key instead of after
a full pass over the whole answer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

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
#: Speech regions of two utterances closer than this are one region cut in two.
_JOIN_GAP_S = 0.05


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
            cut = _utterance_end(pending)
            if cut is None:
                return
            self._transcribe(samples, self._done_until + cut)

    def _transcribe(self, samples: np.ndarray, end: int) -> None:
        start = self._done_until
        chunk = samples[start:end]
        self._done_until = end
        regions = speech_regions(chunk)
        if not regions:
            return
        offset = start / SAMPLE_RATE
        self._add_regions(regions, offset)
        # The same decode as a whole file: chunks bounded by voice activity, failed-looking ones
        # decoded again, and speech left without words reported rather than dropped.
        transcript = self.transcriber.transcribe(chunk, initial_prompt=self.initial_prompt, regions=regions)
        words = [Word(w.text, round(w.start + offset, 3), round(w.end + offset, 3), w.probability)
                 for w in transcript.words]
        self.untranscribed.extend(SpeechRegion(round(r.start + offset, 3), round(r.end + offset, 3))
                                  for r in transcript.untranscribed)
        from coach.analysis.prosody import track

        self.voice_parts.append(track(chunk, regions, offset))
        self.words.extend(words)
        if words and self.on_words:
            self.on_words(words)

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


def _utterance_end(pending: np.ndarray) -> int | None:
    """Where the last finished utterance in ``pending`` ends (a sample index), if any."""
    regions = speech_regions(pending)
    if not regions:
        # Only silence so far: skip it once there is plenty, so it is not re-read forever.
        return len(pending) - SAMPLE_RATE if len(pending) > 5 * SAMPLE_RATE else None
    length = len(pending) / SAMPLE_RATE
    ends = []
    for region, following in zip(regions, [*regions[1:], None]):
        if following is not None:
            if following.start - region.end >= _UTTERANCE_GAP_S:
                ends.append(region.end + min(0.3, (following.start - region.end) / 2))
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
