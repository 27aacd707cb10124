"""coach: a private, offline, voice-based interview coach for machine-learning roles."""

import os as _os
import sys as _sys

__version__ = "0.1.0"

# Privacy switches, set on import of the package so every entry point (CLI, TUI, benchmarks,
# tests) has them before any library that phones home loads. onnxruntime (Silero VAD inside
# faster-whisper) otherwise writes a persistent device id and a queue of telemetry events under
# ~/.cache/Microsoft and uploads them; it reads this variable once, when its native library loads,
# so setting it later does nothing. Forced rather than defaulted: the README promises that
# nothing leaves the machine. huggingface_hub is only reached for a model the user asks to
# download by name; its telemetry is never wanted.
_os.environ["ORT_DISABLE_TELEMETRY"] = "1"
_os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
if "onnxruntime" in _sys.modules:  # loaded before coach: the variable came too late, the API is what is left
    try:
        _sys.modules["onnxruntime"].disable_telemetry_events()
    except AttributeError:  # an onnxruntime without the API
        pass
