"""Typed settings, read from one TOML file.

Where things live (platformdirs picks the platform's conventional folders):

* config file: ``$COACH_CONFIG`` if set, else ``<user config dir>/coach/config.toml``
* data (recordings, history, stories, assembled models): ``$COACH_DATA_DIR`` if set, else the
  ``data_dir`` setting, else ``<user data dir>/coach``

Every setting is optional; a missing file means the built-in defaults.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from coach.errors import ConfigError

APP_NAME = "coach"
#: The project checkout's ``models/`` folder, the first place a dropped-in model is looked for.
REPO_MODELS_DIR = Path(__file__).resolve().parent.parent / "models"


@dataclass(frozen=True)
class SpeechSettings:
    """How answers are transcribed."""

    #: "tiny.en" (bundled, the default), "base" (bundled in the optional extra), any other
    #: faster-whisper model name (downloaded where there is internet), or a path to a
    #: CTranslate2 model directory.
    model: str = "tiny.en"
    #: CTranslate2 quantisation on the CPU; int8 is the fastest with no measurable loss here.
    compute_type: str = "int8"
    #: CPU threads for the model; 0 lets CTranslate2 decide.
    cpu_threads: int = 0
    #: Language spoken in answers; the English-only models need "en".
    language: str = "en"
    #: Primes Whisper to write fillers it would otherwise clean away, e.g. "Umm, let me think like,
    #: hmm... Okay, here's what I'm, like, thinking." Off by default: with the fillers recovered
    #: from the audio it finds no more of them (27 of 31 either way) and it made tiny.en drop
    #: words on the elicited-filler clip (word count -22%). benchmarks/fillers_audio.py measures it.
    initial_prompt: str = ""


@dataclass(frozen=True)
class AnalysisSettings:
    """Thresholds used when measuring an answer."""

    #: Shortest silence between stretches of speech reported as a pause, in seconds.
    min_pause_s: float = 0.25
    #: A pause at least this long is flagged as long (PRODUCT.md: flag pauses over ~2 s).
    long_pause_s: float = 2.0
    #: Width of the windows that pace over time is measured in, in seconds.
    pace_window_s: float = 10.0


@dataclass(frozen=True)
class AudioSettings:
    """Sound devices."""

    #: Input device name or index as sounddevice knows it; empty means the system default.
    input_device: str = ""
    #: Output device name or index; empty means the system default.
    output_device: str = ""

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

    #: Words per minute of the synthetic voice.
    rate: int = 170
    #: An espeak-ng voice id or name ("en-us", "en-gb", "english").
    voice: str = "en-us"
    #: Show questions as text only.
    mute: bool = False


@dataclass(frozen=True)
class PracticeSettings:
    """The practice session."""

    #: Stop recording after this many seconds of silence once the user has spoken; 0 = never.
    silence_stop_s: float = 6.0
    #: The role questions are picked for: "ML Engineer", "Data Scientist", "ML Research Scientist".
    role: str = "ML Engineer"
    #: Length of a mock round in minutes.
    mock_round_min: float = 45.0


@dataclass(frozen=True)
class Settings:
    """All settings. Build with :func:`load_settings`."""

    speech: SpeechSettings = field(default_factory=SpeechSettings)
    analysis: AnalysisSettings = field(default_factory=AnalysisSettings)
    audio: AudioSettings = field(default_factory=AudioSettings)
    voice: VoiceSettings = field(default_factory=VoiceSettings)
    practice: PracticeSettings = field(default_factory=PracticeSettings)
    #: Where recordings, history, stories and assembled models are kept.
    data_dir: Path = field(default_factory=lambda: default_data_dir())
    #: The story library folder; None means <data_dir>/stories.
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
        ConfigError: the file is not valid TOML, or a key or value is wrong.
    """
    path = path or config_path()
    settings = Settings()
    if path.is_file():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"The config file {path} is not valid TOML ({exc}); fix or delete it.") from exc
        settings = _from_mapping(raw, path)
    env_data = os.environ.get("COACH_DATA_DIR")
    if env_data:
        settings = replace(settings, data_dir=Path(env_data).expanduser())
    return settings


def _from_mapping(raw: dict[str, Any], path: Path) -> Settings:
    changes: dict[str, Any] = {"source": path}
    for key, value in raw.items():
        if key in ("data_dir", "stories_dir"):
            if not isinstance(value, str):
                raise ConfigError(f"In {path}, {key} must be a string path.")
            changes[key] = Path(value).expanduser()
        elif key in _SECTIONS:
            if not isinstance(value, dict):
                raise ConfigError(f"In {path}, [{key}] must be a table.")
            changes[key] = _section(_SECTIONS[key], value, key, path)
        else:
            raise ConfigError(f"In {path}, unknown setting {key!r}; known: data_dir, stories_dir, {', '.join(_SECTIONS)}.")
    return replace(Settings(), **changes)


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
            raise ConfigError(
                f"In {path}, {name}.{key} must be a {expected.__name__}, not {value!r}."
            )
        kwargs[key] = value
    return cls(**kwargs)


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write every setting to the config file (atomically: a temporary file, then a rename)."""
    import tomli_w

    path = path or settings.source or config_path()
    data: dict[str, Any] = {}
    if settings.data_dir != default_data_dir() and not os.environ.get("COACH_DATA_DIR"):
        data["data_dir"] = str(settings.data_dir)
    if settings.stories_dir is not None:
        data["stories_dir"] = str(settings.stories_dir)
    for name in _SECTIONS:
        data[name] = {f.name: getattr(getattr(settings, name), f.name) for f in fields(_SECTIONS[name])}
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(tomli_w.dumps(data), encoding="utf-8")
    partial.replace(path)
    return path
