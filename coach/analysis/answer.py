"""One spoken answer, from audio file to measurements: the pipeline the CLI and the TUI share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from coach.analysis.pace import Pace, Pause, find_pauses, measure_pace
from coach.audio.files import Audio, load_audio
from coach.errors import NoSpeechError
from coach.settings import Settings
from coach.speech.models import resolve_model
from coach.speech.transcriber import Transcriber, Word
from coach.speech.vad import SpeechRegion, speech_regions

#: Less voiced audio than this is not an answer (a cough, a click).
_MIN_SPEECH_S = 0.3


@dataclass(frozen=True)
class ModelInfo:
    name: str
    compute_type: str
    source: str


@dataclass
class AnswerAnalysis:
    """Everything measured about one answer. :meth:`to_json` gives the stable JSON shape."""

    duration_s: float
    speech_s: float
    transcript: str
    words: list[Word]
    pace: Pace
    pauses: list[Pause]
    model: ModelInfo
    speech_regions: list[SpeechRegion] = field(default_factory=list)
    source: str | None = None
    question: str | None = None
    target_s: float | None = None

    def to_json(self) -> dict[str, Any]:
        """The keys are a contract: later work adds keys, never renames these."""
        return {
            "source": self.source,
            "question": self.question,
            "target_s": self.target_s,
            "duration_s": round(self.duration_s, 3),
            "speech_s": round(self.speech_s, 3),
            "transcript": self.transcript,
            "words": [asdict(w) for w in self.words],
            "pace": asdict(self.pace),
            "pauses": [asdict(p) for p in self.pauses],
            "model": {"name": self.model.name, "compute_type": self.model.compute_type, "source": self.model.source},
        }


ProgressCallback = Callable[[str, float], None]


def transcriber_for(settings: Settings, model: str | None = None) -> Transcriber:
    """The transcriber the settings (or an explicit ``model``) ask for; nothing is loaded yet."""
    speech = settings.speech
    choice = resolve_model(model or speech.model, settings.models_dirs, settings.data_dir / "models")
    return Transcriber(choice, compute_type=speech.compute_type, cpu_threads=speech.cpu_threads,
                       language=speech.language)


def analyse_file(
    path: Path,
    settings: Settings,
    *,
    transcriber: Transcriber | None = None,
    question: str | None = None,
    target_s: float | None = None,
    on_progress: ProgressCallback | None = None,
) -> AnswerAnalysis:
    """Read, transcribe and measure one recorded answer.

    Raises:
        AudioFileError: the file cannot be read.
        NoSpeechError: the file holds no speech.
        ModelError: the model cannot be loaded.
    """
    audio = load_audio(path)
    return analyse_audio(audio, settings, transcriber=transcriber, question=question,
                         target_s=target_s, on_progress=on_progress)


def analyse_audio(
    audio: Audio,
    settings: Settings,
    *,
    transcriber: Transcriber | None = None,
    question: str | None = None,
    target_s: float | None = None,
    on_progress: ProgressCallback | None = None,
) -> AnswerAnalysis:
    """Measure decoded audio; see :func:`analyse_file`."""
    report = on_progress or (lambda stage, done: None)
    name = str(audio.source) if audio.source else "The recording"
    if audio.is_silent:
        raise NoSpeechError(f"{name} holds only silence; check the microphone and record the answer again.")
    report("voice activity", 0.0)
    regions = speech_regions(audio.samples)
    speech_s = sum(r.duration_s for r in regions)
    if speech_s < _MIN_SPEECH_S:
        raise NoSpeechError(f"No speech was heard in {name}; check the microphone and record the answer again.")
    transcriber = transcriber or transcriber_for(settings)
    report("loading model", 0.0)
    transcriber.load()
    report("transcribing", 0.0)
    transcript = transcriber.transcribe(audio.samples, on_progress=lambda done: report("transcribing", done))
    if not transcript.words:
        raise NoSpeechError(f"No words could be made out in {name}; speak closer to the microphone and try again.")
    analysis_settings = settings.analysis
    pace = measure_pace(transcript.words, speech_s, audio.duration_s, analysis_settings.pace_window_s)
    pauses = find_pauses(regions, analysis_settings.min_pause_s, analysis_settings.long_pause_s)
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
        source=str(audio.source) if audio.source else None,
        question=question,
        target_s=target_s,
    )
