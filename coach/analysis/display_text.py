"""The transcript's text from Whisper's words, with the splits Whisper makes inside a word repaired.

Whisper sometimes ends a word inside a number or a hyphenated word, so joining the words with
spaces shows "10 ,000", "0 .81" and "trade -off". The transcript the user reads, the text spaCy
parses and every word's character span are built here together, so they always agree.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

#: ",000" or ".81" after a digit: the rest of a number.
_NUMBER_REST = re.compile(r"[.,]\d")
#: "-off" after a letter or digit: the rest of a hyphenated word ("trade-off", "10-fold").
_HYPHEN_REST = re.compile(r"-[^\W_]")
#: Punctuation on its own after a word ("word ," / "20 %").
_CLOSING = re.compile(r"[.,;:!?%]+")


def _attached(previous: str, word: str) -> bool:
    """True when ``word`` continues ``previous`` with no space between them."""
    if not previous or not word:
        return False
    last = previous[-1]
    if _NUMBER_REST.match(word):
        return last.isdigit()
    if _HYPHEN_REST.match(word):
        return last.isalnum()
    return _CLOSING.fullmatch(word) is not None and last.isalnum()


def join_words(words: Sequence[str]) -> tuple[str, list[tuple[int, int]]]:
    """The text of ``words`` and each word's (start, end) character span in it.

    Words are joined with one space, except a word that continues the one before it.
    ``text[start:end]`` is the word for every span.
    """
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    offset = 0
    previous = ""
    for word in words:
        if parts and not _attached(previous, word):
            parts.append(" ")
            offset += 1
        parts.append(word)
        spans.append((offset, offset + len(word)))
        offset += len(word)
        previous = word
    return "".join(parts), spans
