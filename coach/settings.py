"""Typed settings, read from one TOML file.

Where things live (platformdirs picks the platform's conventional folders):

* config file: ``$COACH_CONFIG`` if set, else ``<user config dir>/coach/config.toml``
* data (recordings, history, stories, assembled models): ``$COACH_DATA_DIR`` if set, else the
  ``data_dir`` setting, else ``<user data dir>/coach``

Every setting is optional; a missing file means the built-in defaults.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import Field, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from coach.errors import ConfigError

APP_NAME = "coach"
#: The project checkout's ``models/`` folder, the first place a dropped-in model is looked for.
REPO_MODELS_DIR = Path(__file__).resolve().parent.parent / "models"


@dataclass(frozen=True)
class Rule:
    """What a setting may hold, checked when the file is read and before it is saved."""

    low: float | None = None
    high: float | None = None
    #: ``low`` itself is not allowed (a width or a duration that must be above zero).
    low_open: bool = False
    #: A value allowed outside the range with a meaning of its own ("0 = never").
    special: float | None = None
    choices: tuple[str, ...] = ()
    #: A full-match regular expression for text.
    pattern: str = ""
    #: Text may not be empty.
    required: bool = False
    max_length: int = 500
    unit: str = ""
    #: Says what is allowed where the fields above cannot (a pattern).
    describe: str = ""

    def allowed(self) -> str:
        """The allowed values, as the end of a sentence."""
        if self.describe:
            return self.describe
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.low is None and self.high is None:
            return ("non-empty text" if self.required else "text") + f" of at most {self.max_length} characters " \
                "without control characters"
        unit = f" {self.unit}" if self.unit else ""
        low = f"above {self.low:g}" if self.low_open else f"from {self.low:g}"
        text = f"a number {low} to {self.high:g}{unit}"
        return text + (f", or {self.special:g}" if self.special is not None else "")

    def accepts(self, value: Any) -> bool:
        if isinstance(value, str):
            if self.choices:
                return value in self.choices
            if len(value) > self.max_length or (self.required and not value.strip()) or _CONTROL.search(value):
                return False
            return not self.pattern or re.fullmatch(self.pattern, value) is not None
        if not math.isfinite(value):
            return False
        if self.special is not None and value == self.special:
            return True
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            return False
        return self.high is None or value <= self.high


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
#: CTranslate2's quantisation names (https://opennmt.net/CTranslate2/quantization.html).
COMPUTE_TYPES = ("int8", "int8_float32", "int8_float16", "int8_bfloat16", "int16", "float16", "bfloat16", "float32",
                 "default", "auto")
ROLES = ("ML Engineer", "Data Scientist", "ML Research Scientist")
#: "pyttsx3" is the older name of "espeak-ng", kept so that existing config files still load.
VOICE_ENGINES = ("piper", "espeak-ng", "pyttsx3")
#: More threads than this only thrash, and CTranslate2 crashed outright on 100000.
MAX_CPU_THREADS = (os.cpu_count() or 1) * 4


def _setting(default: Any, rule: Rule) -> Any:
    return field(default=default, metadata={"rule": rule})


@dataclass(frozen=True)
class SpeechSettings:
    """How answers are transcribed."""

    #: "tiny.en" (bundled, the default), "base" (bundled in the optional extra), any other
    #: faster-whisper model name (downloaded where there is internet), or a path to a
    #: CTranslate2 model directory.
    model: str = _setting("tiny.en", Rule(required=True, max_length=4096))
    #: CTranslate2 quantisation on the CPU; int8 is the fastest with no measurable loss here.
    compute_type: str = _setting("int8", Rule(choices=COMPUTE_TYPES))
    #: CPU threads for the model; 0 lets CTranslate2 decide.
    cpu_threads: int = _setting(0, Rule(0, MAX_CPU_THREADS))
    #: Language spoken in answers (a Whisper language code); the English-only models need "en".
    language: str = _setting("en", Rule(pattern="[a-z]{2,3}", required=True, max_length=3,
                                         describe="a Whisper language code such as 'en' or 'de'"))
    #: Primes Whisper to write fillers it would otherwise clean away, e.g. "Umm, let me think like,
    #: hmm... Okay, here's what I'm, like, thinking." Off by default: with the fillers recovered
    #: from the audio it finds no more of them (27 of 31 either way) and it made tiny.en drop
    #: words on the elicited-filler clip (word count -22%). benchmarks/fillers_audio.py measures it.
    #: Whisper reads at most 224 prompt tokens, and long prompts cause loops: 1000 characters is plenty.
    initial_prompt: str = _setting("", Rule(max_length=1000))


@dataclass(frozen=True)
class AnalysisSettings:
    """Thresholds used when measuring an answer."""

    #: Shortest silence between stretches of speech reported as a pause, in seconds.
    min_pause_s: float = _setting(0.25, Rule(0.05, 10, unit="seconds"))
    #: A pause at least this long is flagged as long (PRODUCT.md: flag pauses over ~2 s); above min_pause_s.
    long_pause_s: float = _setting(2.0, Rule(0.1, 60, unit="seconds"))
    #: Width of the windows that pace over time is measured in, in seconds (0 hung the analysis).
    pace_window_s: float = _setting(10.0, Rule(2, 300, unit="seconds"))


@dataclass(frozen=True)
class AudioSettings:
    """Sound devices."""

    #: Input device name or index as sounddevice knows it; empty means the system default.
    input_device: str = _setting("", Rule(max_length=200))
    #: Output device name or index; empty means the system default.
    output_device: str = _setting("", Rule(max_length=200))

    @property
    def input(self) -> int | str | None:
        """The input device as sounddevice takes it: an index, a name, or None for the default."""
        return _device(self.input_device)

    @property
    def output(self) -> int | str | None:
        return _device(self.output_device)


def _device(value: str) -> int | str | None:
    return int(value) if value.isdigit() else value or None


@dataclass(frozen=True)
class VoiceSettings:
    """How questions are read aloud."""

    #: "piper" (the bundled natural voice; espeak-ng when Piper cannot speak) or "espeak-ng".
    engine: str = _setting("piper", Rule(choices=VOICE_ENGINES))
    #: Words per minute of the voice, for either engine (espeak-ng speaks from 80 to 450).
    rate: int = _setting(170, Rule(80, 450, unit="words a minute"))
    #: Loudness of the voice, 1 = full scale.
    volume: float = _setting(1.0, Rule(0.05, 1, unit="of full scale"))
    #: A Piper voice file (.onnx, with its .onnx.json beside it); empty means the bundled "joe".
    piper_voice: str = _setting("", Rule(max_length=4096))
    #: An espeak-ng voice id or name ("en-us", "en-gb", "english").
    voice: str = _setting("en-us", Rule(required=True, max_length=100))
    #: Show questions as text only.
    mute: bool = False


@dataclass(frozen=True)
class PracticeSettings:
    """The practice session."""

    #: Stop recording after this many seconds of silence once the user has spoken; 0 = never.
    silence_stop_s: float = _setting(6.0, Rule(1, 600, special=0, unit="seconds"))
    #: The role questions are picked for: "ML Engineer", "Data Scientist", "ML Research Scientist".
    role: str = _setting("ML Engineer", Rule(choices=ROLES))
    #: Length of a mock round in minutes.
    mock_round_min: float = _setting(45.0, Rule(1, 240, unit="minutes"))
    #: Hold a mock round's feedback to the end of the round, as a real interview does: after each
    #: answer only "answer recorded"; the summary then holds every answer's feedback. The home
    #: screen's `e` changes it for the next round.
    mock_hold_feedback: bool = False


@dataclass(frozen=True)
class Settings:
    """All settings. Build with :func:`load_settings`."""

    speech: SpeechSettings = field(default_factory=SpeechSettings)
    analysis: AnalysisSettings = field(default_factory=AnalysisSettings)
    audio: AudioSettings = field(default_factory=AudioSettings)
    voice: VoiceSettings = field(default_factory=VoiceSettings)
    practice: PracticeSettings = field(default_factory=PracticeSettings)
    #: Where recordings, history, stories and assembled models are kept: an absolute path (``~``
    #: allowed). A relative one would scatter the history over whatever folder coach is run from.
    data_dir: Path = field(default_factory=lambda: default_data_dir())
    #: The story library folder, absolute like data_dir; None means <data_dir>/stories.
    stories_dir: Path | None = None
    #: Where the file was read from (None when no file exists).
    source: Path | None = None

    @property
    def models_dirs(self) -> list[Path]:
        """Folders searched for a model named in ``speech.model``, in order."""
        return [REPO_MODELS_DIR, self.data_dir / "models"]

    @property
    def recordings_dir(self) -> Path:
        return self.data_dir / "recordings"


_SECTIONS: dict[str, type] = {
    "speech": SpeechSettings,
    "analysis": AnalysisSettings,
    "audio": AudioSettings,
    "voice": VoiceSettings,
    "practice": PracticeSettings,
}


def default_data_dir() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def config_path() -> Path:
    """The config file in use: ``$COACH_CONFIG`` or the platform's user config folder."""
    env = os.environ.get("COACH_CONFIG")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False) / "config.toml"


def load_settings(path: Path | None = None) -> Settings:
    """Read the settings file, validate every value, and apply environment overrides.

    Raises:
        ConfigError: the file cannot be read or is not valid TOML, or a key or value is wrong; the
            sentence names the key, the value and what is allowed.
    """
    path = path or config_path()
    settings = Settings()
    raw = _read_file(path)
    if raw is not None:
        settings = _from_mapping(raw, path)
    env_data = os.environ.get("COACH_DATA_DIR")
    if env_data:
        settings = replace(settings, data_dir=_folder(env_data, "The environment variable COACH_DATA_DIR"))
    return settings


def load_settings_or_defaults(path: Path | None = None) -> tuple[Settings, ConfigError | None]:
    """The settings, or when the file is wrong the defaults (with ``$COACH_DATA_DIR`` still applied)
    and the error: for ``coach doctor``, which must report a bad config and still check the rest."""
    try:
        return load_settings(path), None
    except ConfigError as exc:
        settings = Settings(source=path or config_path())
        env_data = os.environ.get("COACH_DATA_DIR")
        if env_data:
            try:
                settings = replace(settings, data_dir=_folder(env_data, "COACH_DATA_DIR"))
            except ConfigError:
                pass
        return settings, exc


def _read_file(path: Path) -> dict[str, Any] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except IsADirectoryError as exc:
        raise ConfigError(f"The config file {path} is a folder; remove it or point COACH_CONFIG at a file.") from exc
    except PermissionError as exc:
        raise ConfigError(f"The config file {path} cannot be read (permission denied); fix its permissions "
                          "or point COACH_CONFIG at another file.") from exc
    except NotADirectoryError:
        return None  # a file where a parent folder should be: there is no config file here
    except UnicodeDecodeError as exc:
        raise ConfigError(f"The config file {path} is not UTF-8 text; fix or delete it.") from exc
    except OSError as exc:
        raise ConfigError(f"The config file {path} cannot be read ({exc.strerror or exc}); fix or delete it.") \
            from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"The config file {path} is not valid TOML ({exc}); fix or delete it.") from exc


def _folder(value: str, where: str) -> Path:
    folder = Path(value).expanduser()
    if not value.strip() or _CONTROL.search(value) or not folder.is_absolute():
        raise ConfigError(f"{where} is {value!r}, which is not an absolute folder path; use one such as "
                          f"{str(default_data_dir())!r} or '~/coach'.")
    return folder


_TYPE_NAMES = {int: "a whole number", float: "a number", str: "text in quotes", bool: "true or false"}


def _from_mapping(raw: dict[str, Any], path: Path) -> Settings:
    changes: dict[str, Any] = {"source": path}
    for key, value in raw.items():
        if key in ("data_dir", "stories_dir"):
            if not isinstance(value, str):
                raise ConfigError(f"In {path}, {key} must be a folder path in quotes, not {value!r}.")
            changes[key] = _folder(value, f"In {path}, {key}")
        elif key in _SECTIONS:
            if not isinstance(value, dict):
                raise ConfigError(f"In {path}, [{key}] must be a table.")
            changes[key] = _section(_SECTIONS[key], value, key, path)
        else:
            raise ConfigError(f"In {path}, unknown setting {key!r}; known: data_dir, stories_dir, {', '.join(_SECTIONS)}.")
    settings = replace(Settings(), **changes)
    _check_together(settings, f"In {path}, ")
    return settings


def _section(cls: type, values: dict[str, Any], name: str, path: Path) -> Any:
    known = {f.name: f for f in fields(cls)}
    defaults = cls()
    kwargs = {}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"In {path}, unknown setting {name}.{key}; known: {', '.join(known)}.")
        expected = type(getattr(defaults, key))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or isinstance(value, bool) != (expected is bool):
            raise ConfigError(f"In {path}, {name}.{key} must be {_TYPE_NAMES.get(expected, expected.__name__)}, "
                              f"not {value!r}.")
        _check_value(known[key], name, value, f"In {path}, ")
        kwargs[key] = value
    return cls(**kwargs)


def _check_value(spec: Field, section: str, value: Any, where: str) -> None:
    rule: Rule | None = spec.metadata.get("rule")
    if rule is not None and not rule.accepts(value):
        raise ConfigError(f"{where}{section}.{spec.name} = {value!r} is not allowed; use {rule.allowed()}.")


def _check_together(settings: Settings, where: str) -> None:
    analysis = settings.analysis
    if analysis.min_pause_s >= analysis.long_pause_s:
        raise ConfigError(f"{where}analysis.min_pause_s ({analysis.min_pause_s:g}) must be shorter than "
                          f"analysis.long_pause_s ({analysis.long_pause_s:g}); lower the first or raise the second.")


def validate(settings: Settings) -> None:
    """Check every value, as loading does (the settings screen builds Settings itself).

    Raises:
        ConfigError: a value is out of range; the sentence names it and what is allowed.
    """
    for name, cls in _SECTIONS.items():
        section = getattr(settings, name)
        for spec in fields(cls):
            value = getattr(section, spec.name)
            expected = type(getattr(cls(), spec.name))
            if expected is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if not isinstance(value, expected) or isinstance(value, bool) != (expected is bool):
                raise ConfigError(f"{name}.{spec.name} must be {_TYPE_NAMES.get(expected, expected.__name__)}, "
                                  f"not {value!r}.")
            _check_value(spec, name, value, "")
    for key in ("data_dir", "stories_dir"):
        folder = getattr(settings, key)
        if folder is not None:
            _folder(str(folder), key)
    _check_together(settings, "")


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Check every value, then write every setting to the config file atomically (private to the user).

    Raises:
        ConfigError: a value is out of range (nothing is written).
        StorageError: the config folder cannot be written.
    """
    import tomli_w

    from coach.safe_files import write_atomic

    validate(settings)
    path = path or settings.source or config_path()
    data: dict[str, Any] = {}
    if settings.data_dir != default_data_dir() and not os.environ.get("COACH_DATA_DIR"):
        data["data_dir"] = str(settings.data_dir)
    if settings.stories_dir is not None:
        data["stories_dir"] = str(settings.stories_dir)
    for name in _SECTIONS:
        data[name] = {f.name: getattr(getattr(settings, name), f.name) for f in fields(_SECTIONS[name])}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        from coach.safe_files import storage_error

        raise storage_error(exc, path.parent, "the settings were not saved") from exc
    write_atomic(path, tomli_w.dumps(data), kept="the settings were not saved")
    return path
