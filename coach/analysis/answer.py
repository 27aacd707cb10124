"""One spoken answer, from audio file to measurements: the pipeline the CLI and the TUI share."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coach.analysis.coaching import Coaching, Kind, coach_answer
from coach.analysis.disfluency import Phrase
from coach.analysis.language import TimedText
from coach.analysis.pace import Pace, Pause, find_pauses, measure_pace
from coach.analysis.prosody import Voice, VoiceFrames
from coach.audio.files import Audio, load_audio
from coach.errors import CoachError, ModelError, NoSpeechError
from coach.settings import Settings
from coach.speech.transcriber import Transcriber, Transcript, Word, transcriber_for, transcript_text
from coach.speech.vad import SpeechRegion, speech_regions

if TYPE_CHECKING:
    from coach.analysis.filled_pauses import FrameMeasures

#: Less voiced audio than this is not an answer (a cough, a click).
_MIN_SPEECH_S = 0.3
#: A written answer longer than this is not one answer: about 10,000 words, an hour of speech.
MAX_ANSWER_CHARS = 60_000
#: English prose has 30-55% function words ("the", "and", "I"), terse notes about 20%; other languages almost none.
_MIN_ENGLISH_STOP_SHARE = 0.12
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_FILLER_WORDS = {"um", "umm", "uh", "uhm", "er", "erm", "ah", "hmm", "mm", "like", "you", "know", "so", "yeah",
                 "basically", "actually", "okay", "ok", "i", "mean", "well", "right", "sort", "kind", "of", "oh"}


@dataclass(frozen=True)
class ModelInfo:
    name: str
    compute_type: str
    source: str


@dataclass(frozen=True)
class QuestionContext:
    """What the answer responds to; every field optional."""

    text: str | None = None
    kind: Kind = "behavioral"
    target_s: float | None = None
    concepts: tuple[str, ...] = ()
    follow_ups: tuple[str, ...] = ()
    question_id: str | None = None


@dataclass
class AnswerAnalysis:
    """Everything measured about one answer. :meth:`to_json` gives the stable JSON shape.

    For a typed answer the timing fields (duration, speech, words, pace, pauses, model) are None.
    """

    transcript: str
    duration_s: float | None = None
    speech_s: float | None = None
    words: list[Word] = field(default_factory=list)
    pace: Pace | None = None
    pauses: list[Pause] = field(default_factory=list)
    model: ModelInfo | None = None
    speech_regions: list[SpeechRegion] = field(default_factory=list)
    #: Speech the voice-activity detector heard that no word covers even after re-decoding: said
    #: plainly rather than left as a silent hole in the transcript.
    untranscribed: list[SpeechRegion] = field(default_factory=list)
    source: str | None = None
    question: QuestionContext = field(default_factory=QuestionContext)
    coaching: Coaching | None = None
    #: How it sounded (coach/analysis/prosody.py); None for a typed answer.
    voice: Voice | None = None

    @property
    def target_s(self) -> float | None:
        return self.question.target_s

    def to_json(self) -> dict[str, Any]:
        """The keys are a contract: later work adds keys, never renames these."""
        spoken = self.duration_s is not None
        out: dict[str, Any] = {
            "source": self.source,
            "question": self.question.text,
            "question_id": self.question.question_id,
            "target_s": self.question.target_s,
            "duration_s": round(self.duration_s, 3) if spoken else None,
            "speech_s": round(self.speech_s, 3) if spoken and self.speech_s is not None else None,
            "transcript": self.transcript,
            "words": [asdict(w) for w in self.words] if spoken else None,
            "pace": asdict(self.pace) if self.pace else None,
            "pauses": [asdict(p) for p in self.pauses] if spoken else None,
            "untranscribed": [asdict(r) for r in self.untranscribed] if spoken else None,
            "model": ({"name": self.model.name, "compute_type": self.model.compute_type, "source": self.model.source}
                      if self.model else None),
            "voice": self.voice.to_json() if self.voice else None,
        }
        if self.coaching is not None:
            out.update(self.coaching.to_json())
        return out


ProgressCallback = Callable[[str, float], None]


def analyse_file(
    path: Path,
    settings: Settings,
    *,
    transcriber: Transcriber | None = None,
    question: QuestionContext | None = None,
    on_progress: ProgressCallback | None = None,
) -> AnswerAnalysis:
    """Read, transcribe, measure and coach one recorded answer.

    Raises:
        AudioFileError: the file cannot be read.
        NoSpeechError: the file holds no speech.
        ModelError: the model cannot be loaded.
    """
    # Decoded to an unlinked temporary file and read a slice at a time: memory stays flat in
    # the answer's length (a whole mock round as one file needs no more than a short answer).
    audio = load_audio(path, stream=True)
    try:
        return analyse_audio(audio, settings, transcriber=transcriber, question=question, on_progress=on_progress)
    finally:
        audio.samples.close()


def analyse_audio(
    audio: Audio,
    settings: Settings,
    *,
    transcriber: Transcriber | None = None,
    question: QuestionContext | None = None,
    on_progress: ProgressCallback | None = None,
    words: list[Word] | None = None,
    untranscribed: list[SpeechRegion] | None = None,
    voice_frames: VoiceFrames | None = None,
    regions: list[SpeechRegion] | None = None,
    filler_frames: FrameMeasures | None = None,
) -> AnswerAnalysis:
    """Measure decoded audio; see :func:`analyse_file`.

    Args:
        words: the transcript's words when they are already known (transcribed live while the
            user spoke); the audio is then not transcribed again.
        untranscribed: with ``words``, the speech the live transcriber could not make out.
        voice_frames: pitch and level already tracked while the user spoke (prosody.track per
            utterance); else they are tracked here over the speech regions.
        regions: with ``words``, the voice activity found while the user spoke; else it is
            measured here over the whole recording.
        filler_frames: the filled-pause search's frame measures, taken while the user spoke
            (filled_pauses.FrameMeasures); the frames they lack are measured here.
    """
    question = question or QuestionContext()
    report = on_progress or (lambda stage, done: None)
    name = str(audio.source) if audio.source else "The recording"
    if audio.is_silent:
        raise NoSpeechError(f"{name} holds only silence; check the microphone and record the answer again.")
    transcriber = transcriber or transcriber_for(settings)
    # spaCy (Python) loads in a thread while Whisper loads and voice activity runs (native
    # code): on two cores the loads overlap instead of adding up.
    loading = _load_analysis_models(question)
    report("voice activity", 0.0)
    if words is not None and regions is not None:
        regions, load_error = list(regions), None
    elif words is None and not transcriber.is_loaded:
        regions, load_error = _regions_while_loading(audio.samples, transcriber)
    else:
        regions, load_error = speech_regions(audio.samples), None
    speech_s = sum(r.duration_s for r in regions)
    if speech_s < _MIN_SPEECH_S:
        raise NoSpeechError(f"No speech was heard in {name}; check the microphone and record the answer again.")
    if load_error is not None:
        raise load_error
    if words is None:
        report("loading model", 0.0)
        transcriber.load()
        for thread in loading:  # the decoder then has both cores to itself
            if thread is not None:
                thread.join()
        report("transcribing", 0.0)
        transcript = transcriber.transcribe(audio.samples, regions=regions,
                                            on_progress=lambda done: report("transcribing", done))
    else:
        transcript = Transcript(words=list(words), text=transcript_text(words),
                                untranscribed=list(untranscribed or []))
    if not transcript.words:
        raise NoSpeechError(f"No words could be made out in {name}; speak closer to the microphone and try again.")
    analysis_settings = settings.analysis
    pace = measure_pace(transcript.words, speech_s, audio.duration_s, analysis_settings.pace_window_s)
    pauses = find_pauses(regions, analysis_settings.min_pause_s, analysis_settings.long_pause_s)
    report("voice", 0.0)
    from coach.analysis import prosody

    if voice_frames is None:
        voice_frames = prosody.track(audio.samples, regions)
    voice = prosody.measure_voice(voice_frames, transcript.words)
    report("coaching", 0.0)
    from coach.analysis.filled_pauses import recover_filled_pauses

    recovered = [Phrase(f.text, -1, -1, f.start, f.end, "audio")
                 for f in recover_filled_pauses(audio.samples, transcript.words, regions, filler_frames)]
    coaching = coach_answer(
        TimedText.from_words(transcript.words),
        kind=question.kind,
        target_s=question.target_s,
        duration_s=spoken_span_s(transcript.words),
        pace_wpm=pace.wpm,
        longest_silence_s=max((p.duration_s for p in pauses), default=0.0),
        audio_fillers=recovered,
        voice=voice,
        concepts=list(question.concepts),
        follow_ups=list(question.follow_ups),
        question=question.text,
    )
    report("done", 1.0)
    return AnswerAnalysis(
        duration_s=audio.duration_s,
        speech_s=speech_s,
        transcript=transcript.text,
        words=transcript.words,
        pace=pace,
        pauses=pauses,
        model=ModelInfo(transcriber.model.name, transcriber.compute_type, transcriber.model.source),
        speech_regions=regions,
        untranscribed=transcript.untranscribed,
        source=str(audio.source) if audio.source else None,
        question=question,
        coaching=coaching,
        voice=voice,
    )


def spoken_span_s(words: list[Word]) -> float:
    """How long the answer took: first word's start to last word's end. The silence before
    speaking and the silence that ended the recording are not part of it."""
    return max(0.0, words[-1].end - words[0].start) if words else 0.0


def _regions_while_loading(samples, transcriber: Transcriber) -> tuple[list[SpeechRegion], ModelError | None]:
    """Voice activity, measured in a thread while Whisper loads on its decoder thread.
    A model that cannot load is returned, not raised: a recording without speech says so first."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1, thread_name_prefix="coach-vad") as pool:
        found = pool.submit(speech_regions, samples)
        try:
            transcriber.load()
            error = None
        except ModelError as exc:
            error = exc
        return found.result(), error


def _load_analysis_models(question: QuestionContext) -> list:
    """Start loading, in threads, what the language analysis of this answer will use."""
    from coach.analysis import embeddings
    from coach.analysis.language import load_in_background

    threads = [load_in_background()]
    if _uses_encoder(question):
        threads.append(embeddings.load_in_background())
    return threads


def _uses_encoder(question: QuestionContext) -> bool:
    """Relevance needs a question, concept coverage concepts, and the STAR labeller the encoder
    only when the shipped model reads meaning (the cue-only one does not: no 150 MB for it)."""
    if question.text or question.concepts:
        return True
    if question.kind != "behavioral":
        return False
    from coach.analysis.star import default_model

    model = default_model()
    return model is not None and model.meaning_weights is not None


def check_answer_text(cleaned: str, name: str = "The answer") -> None:
    """One clear sentence for text that cannot be coached: empty, too long, only fillers, not English.

    Raises:
        NoSpeechError: the text is empty or holds only filler words.
        CoachError: it is too long or not in English.
    """
    if not cleaned:
        raise NoSpeechError(f"{name} is empty; write or paste the answer and try again.")
    if len(cleaned) > MAX_ANSWER_CHARS:
        raise CoachError(f"{name} is {len(cleaned):,} characters long; coach judges one answer of up to "
                         f"{MAX_ANSWER_CHARS:,} characters (about an hour of speech): paste a single answer.")
    words = _WORD.findall(cleaned.lower())
    if not words:
        raise NoSpeechError(f"{name} has no words, only numbers or symbols; write the answer out in words.")
    if all(w in _FILLER_WORDS for w in words):
        raise NoSpeechError(f"{name} holds only filler words ({' '.join(words[:6])}...); give the answer itself "
                            "and try again.")
    if len(words) >= 8:
        from coach.analysis.language import import_spacy

        import_spacy()  # spaCy without its command line, before anything imports it whole
        from spacy.lang.en.stop_words import STOP_WORDS

        if sum(w in STOP_WORDS for w in words) / len(words) < _MIN_ENGLISH_STOP_SHARE:
            raise CoachError(f"{name} does not look like English; coach judges answers in English, so write "
                             "or say it in English.")


def analyse_text(text: str, *, question: QuestionContext | None = None, source: str | None = None) -> AnswerAnalysis:
    """Coach a written or typed answer: everything but timing.

    Raises:
        NoSpeechError: the text is empty or only fillers.
        CoachError: the text is too long or not in English.
    """
    question = question or QuestionContext()
    name = source or "The answer"
    if len(text) > MAX_ANSWER_CHARS * 2:  # checked before splitting, so a huge paste costs nothing
        raise CoachError(f"{name} is {len(text):,} characters long; coach judges one answer of up to "
                         f"{MAX_ANSWER_CHARS:,} characters (about an hour of speech): paste a single answer.")
    cleaned = " ".join(text.split())
    check_answer_text(cleaned, name)
    if _uses_encoder(question):  # it loads (native code) while spaCy's pipeline loads (Python)
        from coach.analysis import embeddings

        embeddings.load_in_background()
    coaching = coach_answer(TimedText(cleaned), kind=question.kind, target_s=question.target_s,
                            concepts=list(question.concepts), follow_ups=list(question.follow_ups),
                            question=question.text)
    return AnswerAnalysis(transcript=cleaned, source=source, question=question, coaching=coaching)
