"""Durations said the way a person says them ("45 minutes", "1 min 36 s"), for every screen."""

from __future__ import annotations


def spoken_duration(seconds: float) -> str:
    """``96`` -> "1 min 36 s", ``2700`` -> "45 minutes", ``60`` -> "1 minute", ``40`` -> "40 s"."""
    total = max(0, round(seconds))
    minutes, rest = divmod(total, 60)
    if not minutes:
        return f"{rest} s"
    if not rest:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{minutes} min {rest} s"


def round_length(minutes: float) -> str:
    """The length of a round as an adjective: "45-minute", "1 min 36 s"."""
    seconds = round(minutes * 60)
    if seconds % 60 == 0:
        return f"{seconds // 60}-minute"
    return spoken_duration(seconds)
