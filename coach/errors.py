"""Errors whose message is written for the user: what is wrong and what to do about it."""


class CoachError(Exception):
    """Base class: the message is one sentence a user can act on, shown without a traceback."""


class ConfigError(CoachError):
    """The config file cannot be read or holds a bad value."""


class AudioFileError(CoachError):
    """An audio file is missing, empty, not audio, truncated or corrupt."""


class NoSpeechError(CoachError):
    """The audio holds no speech to analyse."""


class ModelError(CoachError):
    """The speech model cannot be found, assembled or loaded."""


class StorageError(CoachError):
    """A file or the history could not be written (disk full, permission refused, locked, unsafe path)."""
