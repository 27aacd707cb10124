"""After a story is told aloud: which points of the draft made it into the telling, which were left
out, and how the telling's time split compares with the draft's.

A point is one sentence of the draft. It counts as told when at least 40% of its key words
(content lemmas and numbers) appear anywhere in the transcript: a telling paraphrases and
reorders, so matching is by lemma over the whole answer, not sentence against sentence.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from coach.stories.model import PARTS, Story

_CONTENT_POS = {"NOUN", "PROPN", "VERB", "ADJ", "ADV"}
_NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
    "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "fifteen": "15", "twenty": "20", "thirty": "30",
    "forty": "40", "fifty": "50", "hundred": "100", "thousand": "1000", "half": "half", "double": "double",
}
# Words too common in any story to show whether a point was told.
_WEAK = {"be", "have", "do", "get", "go", "make", "take", "also", "then", "so", "just", "very", "really", "only",
         "even", "still", "well", "back", "first", "next", "time", "way", "thing", "lot"}
#: A point is told when this share of its key words is in the telling. Long draft sentences carry
#: many details a telling drops without dropping the point; half was too strict in trials.
TOLD_SHARE = 0.4
#: Differences in time share below this are not worth mentioning.
NOTABLE_SHIFT = 0.10


@dataclass(frozen=True)
class DraftPoint:
    """One sentence of the draft and whether the telling covered it."""

    part: str
    text: str
    keywords: tuple[str, ...]
    matched: tuple[str, ...]

    @property
    def told(self) -> bool:
        return len(self.matched) >= max(1, math.ceil(TOLD_SHARE * len(self.keywords)))

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(k for k in self.keywords if k not in self.matched)


@dataclass
class Rehearsal:
    story: Story
    points: list[DraftPoint]
    #: Share of the draft's words per part (situation, task, action, result).
    draft_split: dict[str, float]
    #: Share of the telling's time per label (the four parts and "other"), from the STAR analysis.
    told_split: dict[str, float]
    #: Seconds per label when the telling was spoken, else None.
    told_seconds: dict[str, float] | None

    @property
    def told(self) -> list[DraftPoint]:
        return [p for p in self.points if p.told]

    @property
    def left_out(self) -> list[DraftPoint]:
        return [p for p in self.points if not p.told]

    @property
    def coverage(self) -> float:
        """Share of the draft's points that were told."""
        return len(self.told) / len(self.points) if self.points else 1.0

    def notes(self) -> list[str]:
        """What to say after a rehearsal, most useful first."""
        out = []
        left_out = self.left_out
        results_missed = [p for p in left_out if p.part == "result"]
        if results_missed:
            out.append(f"You left out part of your result: \"{_clip(results_missed[0].text)}\"")
        told = f"You told {len(self.told)} of the draft's {len(self.points)} points"
        # Every point left out is named, so the count can be checked against the list.
        named = results_missed[:1]
        others = [p for p in left_out if all(p is not n for n in named)]
        if not left_out:
            out.append(told + ".")
        elif not others:
            out.append(told + "; the one left out is the result above.")
        else:
            also = " also" if results_missed else ""
            out.append(f"{told}; you{also} left out:")
            out.extend(f"  - ({p.part}) \"{_clip(p.text)}\"" for p in others)
        for part in PARTS:
            draft, told = self.draft_split.get(part, 0.0), self.told_split.get(part, 0.0)
            if abs(told - draft) >= NOTABLE_SHIFT:
                seconds = ""
                if self.told_seconds is not None:
                    seconds = f" ({self.told_seconds.get(part, 0.0):.0f} s)"
                more = "more" if told > draft else "less"
                out.append(f"The {part} took {told:.0%} of the telling{seconds}; the draft gives it {draft:.0%}, "
                           f"so you spent {more} time on it than you wrote.")
        if self.told_split.get("other", 0.0) >= NOTABLE_SHIFT:
            out.append(f"{self.told_split['other']:.0%} of the telling was neither situation, task, action nor "
                       "result (preambles, asides, lessons).")
        return out


def _clip(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _star_of(telling: Any) -> dict[str, Any] | None:
    """The STAR summary of an AnswerAnalysis, a Coaching, or the summary dict itself."""
    if isinstance(telling, dict):
        return telling.get("star", telling) if "sentences" not in telling else telling
    coaching = getattr(telling, "coaching", None)
    if coaching is not None:
        return coaching.star
    return getattr(telling, "star", None)


def _transcript_of(telling: Any, star: dict[str, Any] | None) -> str:
    text = getattr(telling, "transcript", None)
    if isinstance(telling, dict):
        text = telling.get("transcript")
    if not text and star:
        text = " ".join(s["text"] for s in star.get("sentences", []))
    return text or ""


def _key(token) -> str | None:
    """The form a word is compared in: digits for numbers ("six", "6" and "6%" alike), else the lemma."""
    lower = token.lower_
    if token.like_num or re.fullmatch(r"\d[\d.,]*(%|x|k|m)?", lower):
        digits = re.sub(r"[^\d.]", "", lower).rstrip(".")
        return digits or _NUMBER_WORDS.get(lower, lower)
    if lower in _NUMBER_WORDS:
        return _NUMBER_WORDS[lower]
    lemma = token.lemma_.lower()
    if token.pos_ in _CONTENT_POS and token.is_alpha and not token.is_stop and lemma not in _WEAK and len(lemma) > 2:
        return lemma
    return None


def compare_telling(story: Story, telling: Any) -> Rehearsal:
    """Compare a told story with its draft.

    Args:
        story: The draft.
        telling: The analysed telling: an ``AnswerAnalysis`` (spoken or typed), its ``Coaching``, or
            a dict with the ``star`` summary (``sentences`` with labels, ``time_share``,
            ``time_s``) and optionally ``transcript``.

    Returns:
        The points told and left out, and the two splits.
    """
    from coach.analysis.language import nlp

    star = _star_of(telling)
    transcript = _transcript_of(telling, star)
    pipeline = nlp()
    told_keys = {k for k in (_key(t) for t in pipeline(transcript, disable=["parser"])) if k}

    points: list[DraftPoint] = []
    words: dict[str, int] = {}
    texts = [story.text_of(part) for part in PARTS]
    for part, doc in zip(PARTS, pipeline.pipe([" ".join(t.split()) for t in texts])):
        words[part] = sum(1 for t in doc if not t.is_punct and not t.is_space)
        for sentence in doc.sents:
            keys = tuple(dict.fromkeys(k for k in (_key(t) for t in sentence) if k))
            if not keys:
                continue
            matched = tuple(k for k in keys if k in told_keys)
            points.append(DraftPoint(part, sentence.text.strip(), keys, matched))
    total = sum(words.values()) or 1
    draft_split = {part: round(words[part] / total, 3) for part in PARTS}
    told_split = dict(star.get("time_share", {})) if star else {}
    told_seconds = dict(star["time_s"]) if star and star.get("time_s") else None
    return Rehearsal(story, points, draft_split, told_split, told_seconds)
