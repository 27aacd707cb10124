"""Small closed word classes shared by the analysers."""

from __future__ import annotations

import re

#: Filled pauses: sounds that are never words, whatever the context.
FILLED_PAUSES = frozenset({"um", "umm", "uh", "uhh", "er", "erm", "hm", "hmm", "mm", "ah", "eh"})

_EDGE_PUNCTUATION = re.compile(r"^[^\w']+|[^\w']+$")


def normalise_token(text: str) -> str:
    """Lower-case and strip the punctuation Whisper attaches to a word."""
    return _EDGE_PUNCTUATION.sub("", text.lower())


def is_filled_pause(text: str) -> bool:
    return normalise_token(text) in FILLED_PAUSES
