"""coach: a private, offline, voice-based interview coach for machine-learning roles."""

__version__ = "0.1.0"
