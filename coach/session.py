"""One spoken answer from start to feedback, and the mock round: the logic behind the practice
screens, with no UI in it (the TUI drives it from workers; tests drive it directly)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from coach.analysis.answer import AnswerAnalysis, QuestionContext, analyse_audio
from coach.audio.files import Audio
from coach.audio.recorder import Recorder
from coach.process import spare_cpu_only
from coach.questions.bank import Question
from coach.settings import Settings
from coach.speech.live import LiveTranscriber
from coach.speech.transcriber import Transcriber, Word

#: A block louder than this counts as the user speaking (for the silence auto-stop only;
#: the analysis uses voice activity).
_SPEAKING_DBFS = -42.0
_MIN_SPOKEN_S = 1.0


def question_for_story(story) -> Question:
    """A rehearsal prompt for a story from the library: told as the answer to a behavioral
    question about it, with the two-minute target of a full telling."""
    competency = story.competencies[0] if story.competencies else "impact"
    return Question(
        id=f"story-{story.id}", kind="behavioral", category=competency, competencies=tuple(story.competencies),
        roles=tuple(story.roles), target_s=120.0,
        text=f"Tell me about {story.title[0].lower() + story.title[1:] if story.title else 'your story'}.",
        follow_ups=("What would you do differently?",), concepts=(), source=str(story.path or ""),
    )


def context_for(question: Question) -> QuestionContext:
    return QuestionContext(text=question.text, kind=question.kind, target_s=question.target_s,  # type: ignore[arg-type]
                           concepts=question.concepts, follow_ups=question.follow_ups, question_id=question.id)


def recording_path(settings: Settings, question_id: str | None) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in (question_id or "answer"))
    return settings.recordings_dir / f"{stamp}-{safe}.wav"


class _LanguageAhead:
    """The language work on an answer that can be done while it is spoken: after each utterance,
    the answer so far is parsed and its finished sentences are encoded for the relevance check,
    so the stop leaves only the last sentences. One pass at a time, on the newest words."""

    def __init__(self, question: QuestionContext) -> None:
        self.question = question
        self._words: list[Word] | None = None
        self._wake = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None

    def update(self, words: list[Word]) -> None:
        self._words = list(words)
        if self._thread is None and not self._closed:
            self._thread = threading.Thread(target=self._run, name="coach-language-ahead", daemon=True)
            self._thread.start()
        self._wake.set()

    def close(self) -> None:
        """Stop; a pass under way is finished first (its work is what the analysis needs next)."""
        self._closed = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join()

    def prepare(self, words: list[Word]) -> None:
        """One pass over the answer so far."""
        from coach.analysis import relevance
        from coach.analysis.language import TimedText, parse

        relevance.encode_ahead(parse(TimedText.from_words(words)), self.question.text, self.question.kind)

    def _run(self) -> None:
        # Only spare CPU: on two cores the live transcriber must keep up with the speaker first.
        spare_cpu_only()
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._closed:
                return
            try:
                self.prepare(self._words or [])
            except Exception:  # only a head start: the analysis after the stop does it all again and reports
                return


class _FillersAhead:
    """The filled-pause search's measures of the recording, taken while the answer is spoken:
    after each utterance the frames recorded since the last pass are measured, so the stop
    leaves only the last utterance's (coach/analysis/filled_pauses.py, FrameMeasures)."""

    #: Frames measured per step (2 s of audio, under 10 ms of work): a step measured after the
    #: stop is dropped, so a short one wastes little.
    _STEP = 200
    #: Measures lagging further behind than this at the stop (a starved low-priority thread on a
    #: busy machine) are dropped: the search's own pass, which measures spectra only where the
    #: words leave sound unexplained, then costs less than finishing them.
    _MAX_LAG_S = 30.0

    def __init__(self, get_samples: Callable[[], object]) -> None:
        from coach.analysis.filled_pauses import FrameMeasures

        self.frames = FrameMeasures()
        self._get_samples = get_samples
        self._wake = threading.Event()
        # Held to add measures or to close: a step the background thread measured is kept only
        # if nothing closed it meanwhile, so the stop never waits for a starved step to end.
        self._lock = threading.Lock()
        self._closed = False
        self._failed = False
        self._thread: threading.Thread | None = None
        self._last: threading.Thread | None = None

    def update(self) -> None:
        if self._thread is None and not self._closed:
            self._thread = threading.Thread(target=self._run, name="coach-fillers-ahead", daemon=True)
            self._thread.start()
        self._wake.set()

    def finish(self, samples) -> None:
        """The recording is complete: measure the last frames in a thread of normal priority (the
        background one would be starved on a busy machine), beside the last utterance's
        transcription."""
        self._close()
        self._last = threading.Thread(target=self._measure_last, args=(samples,), name="coach-fillers-last",
                                      daemon=True)
        self._last.start()

    def result(self):
        """The complete measures, or None when there are none worth finishing (the search then
        measures the recording itself). A background step under way is not waited for: it is
        dropped when it ends."""
        self._close()
        if self._last is not None:
            self._last.join()
        if self._failed or self.frames.final_length is None:
            return None
        return self.frames

    def _close(self) -> None:
        with self._lock:
            self._closed = True
        self._wake.set()

    def _measure_last(self, samples) -> None:
        if self._failed or self.frames.lag_s(len(samples)) > self._MAX_LAG_S:
            self._failed = True
            return
        try:
            self.frames.extend(samples, final=True)
        except Exception:  # only a head start: the search measures the recording itself
            self._failed = True

    def _run(self) -> None:
        spare_cpu_only()
        frames = self.frames
        try:
            while True:
                self._wake.wait()
                self._wake.clear()
                if self._closed:
                    return
                samples = self._get_samples()
                ready = frames.ready(len(samples))
                while frames.count < ready:
                    start = frames.count
                    part = frames.measure(samples, start, min(ready, start + self._STEP))
                    with self._lock:
                        if self._closed:
                            return
                        frames.append(start, part)
        except Exception:  # only a head start: the search after the stop measures it all itself
            with self._lock:
                self._failed = not self._closed or self._failed
            return


class AnswerRecording:
    """Records one answer while transcribing it; :meth:`finish` returns the full analysis.

    Args:
        on_level: called with each 0.1 s block's level in dBFS (from the recorder's thread).
        on_words: called with each transcribed utterance's words (from the transcriber's thread).
    """

    def __init__(self, settings: Settings, transcriber: Transcriber, question: QuestionContext,
                 on_level: Callable[[float], None] | None = None,
                 on_words: Callable[[list[Word]], None] | None = None, path: Path | None = None) -> None:
        self.settings = settings
        self.transcriber = transcriber
        self.question = question
        self._on_level = on_level
        self.spoken_s = 0.0
        self.last_voice_at: float | None = None
        self.recorder = Recorder(
            path or recording_path(settings, question.question_id),
            device=settings.audio.input,
            on_level=self._level,
            metadata={"question": question.text, "question_id": question.question_id, "kind": question.kind,
                      "target_s": question.target_s},
        )
        self._on_words = on_words
        self.live = LiveTranscriber(transcriber, self.recorder.samples, on_words=self._words)
        self._ahead = _LanguageAhead(question)
        self._fillers = _FillersAhead(self.recorder.samples)

    @property
    def path(self) -> Path:
        return self.recorder.path

    @property
    def elapsed_s(self) -> float:
        return self.recorder.duration_s

    def _words(self, words: list[Word]) -> None:
        self._ahead.update(self.live.words)
        self._fillers.update()
        if self._on_words:
            self._on_words(words)

    def _level(self, dbfs: float) -> None:
        if dbfs > _SPEAKING_DBFS:
            self.spoken_s += 0.1
            self.last_voice_at = time.monotonic()
        if self._on_level:
            self._on_level(dbfs)

    def silent_for(self) -> float:
        """Seconds since the user last spoke, once they have said something; else 0."""
        if self.spoken_s < _MIN_SPOKEN_S or self.last_voice_at is None:
            return 0.0
        return time.monotonic() - self.last_voice_at

    def start(self) -> None:
        """Raises MicrophoneError when no microphone can be opened."""
        self.recorder.start()
        self.live.start()

    def finish(self) -> AnswerAnalysis:
        """Stop, transcribe the last utterance, and analyse the whole answer.

        The recording is on disk whatever happens here.
        """
        self.recorder.stop()
        samples = self.recorder.samples()
        self._fillers.finish(samples)
        try:
            words = self.live.stop(samples)
        finally:
            self._ahead.close()
            frames = self._fillers.result()
        from coach.analysis.prosody import VoiceFrames

        return analyse_audio(Audio(samples, self.recorder.path), self.settings, transcriber=self.transcriber,
                             question=self.question, words=words, untranscribed=self.live.untranscribed,
                             voice_frames=VoiceFrames.join(self.live.voice_parts), regions=self.live.regions,
                             filler_frames=frames)

    def cancel(self) -> None:
        """Stop without analysing (the file stays on disk)."""
        self.recorder.stop()
        try:
            self.live.stop(self.recorder.samples())
        except Exception:  # a cancelled answer's transcription errors do not matter
            pass
        finally:
            self._ahead.close()
            self._fillers.result()
