"""The plain records the history hands to its callers, and the per-attempt metrics trends are drawn from.

Nothing here touches SQLite or the UI: callers get frozen dataclasses, never rows or cursors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from coach.process import printable  # noqa: F401  (re-exported: the history's callers print through it)

#: STAR parts in the order they should be told.
STAR_PARTS = ("situation", "task", "action", "result")
#: The think-aloud rubric's five behaviours, as stored (keys of the rubric in the analysis JSON).
THINK_ITEMS = ("clarifying_questions", "assumptions_stated", "signposting", "tradeoffs_discussed", "summary_at_end")


@dataclass(frozen=True)
class Metrics:
    """The numbers trends are drawn from, taken from one attempt's analysis.

    Kept in their own columns so that opening the review screen never parses the full analysis
    JSON of a thousand answers. Every field is None when it does not apply (pace for a typed
    answer, STAR for a think-aloud one) or when the analysis failed.
    """

    #: Spoken length in seconds (estimated at 150 wpm for a typed answer).
    duration_s: float | None = None
    #: True when the answer was spoken (timing fields are measured, not estimated).
    spoken: bool = False
    word_count: int | None = None
    wpm: float | None = None
    fillers_per_min: float | None = None
    fillers_per_100: float | None = None
    hedge_count: int | None = None
    hedges_per_100: float | None = None
    #: Share of the four STAR parts present, 0-1 (behavioral only).
    star_completeness: float | None = None
    #: STAR parts missing, in STAR order (behavioral only).
    star_missing: tuple[str, ...] = ()
    #: Share of the answer's time spent on the action, 0-1 (behavioral only).
    action_share: float | None = None
    result_quantified: bool | None = None
    #: Answer length divided by the question's target length.
    length_ratio: float | None = None
    #: The think-aloud reasoning rubric score, 0-100 (think-aloud only).
    think_score: float | None = None
    #: Rubric behaviours not shown (keys of :data:`THINK_ITEMS`; think-aloud only).
    think_missing: tuple[str, ...] = ()
    #: Mean of all the answer's 0-100 scores: what "best attempt" is judged on.
    overall: float | None = None
    #: Hincks' pitch variation quotient and the speech level in dBFS (spoken answers only).
    pitch_variation: float | None = None
    level_dbfs: float | None = None

    @classmethod
    def from_analysis(cls, data: dict[str, Any] | None) -> Metrics:
        """Derive the metrics from an analysis in the shape of ``AnswerAnalysis.to_json()``.

        Tolerant of missing keys, so analyses stored by older versions (or imported) still give
        whatever numbers they hold.
        """
        if not data:
            return cls()
        length = data.get("length") or {}
        words = (data.get("conciseness") or {}).get("words")
        rate = data.get("filler_rate") or {}
        hedges = data.get("hedges")
        star = data.get("star")
        think = data.get("think_aloud")
        scores = data.get("scores") or {}
        pace = data.get("pace") or {}
        duration = length.get("duration_s", data.get("duration_s"))
        target = length.get("target_s") or data.get("target_s")
        hedge_count = len(hedges) if isinstance(hedges, list) else None
        present = (star or {}).get("present") or {}
        voice = data.get("voice") if isinstance(data.get("voice"), dict) else {}
        return cls(
            duration_s=_float(duration),
            spoken=data.get("duration_s") is not None,
            word_count=int(words) if words is not None else None,
            wpm=_float(pace.get("wpm")),
            fillers_per_min=_float(rate.get("per_minute")),
            fillers_per_100=_float(rate.get("per_100_words")),
            hedge_count=hedge_count,
            hedges_per_100=(round(100.0 * hedge_count / words, 2) if hedge_count is not None and words else
                            (0.0 if hedge_count == 0 else None)),
            star_completeness=(sum(bool(present.get(p)) for p in STAR_PARTS) / 4 if star else None),
            star_missing=tuple(p for p in STAR_PARTS if star and not present.get(p)),
            action_share=_float(((star or {}).get("time_share") or {}).get("action")) if star else None,
            result_quantified=bool(star.get("result_quantified")) if star else None,
            length_ratio=(round(float(duration) / float(target), 3) if duration is not None and target else None),
            think_score=_float(scores.get("reasoning")) if think else None,
            think_missing=tuple(k for k in THINK_ITEMS if think and not think.get(k)),
            overall=round(sum(scores.values()) / len(scores), 1) if scores else None,
            pitch_variation=_float((voice.get("pitch") or {}).get("variation")),
            level_dbfs=_float((voice.get("loudness") or {}).get("median_dbfs")),
        )


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class Highlight:
    """A filler or hedge in the transcript, by character range."""

    start_char: int
    end_char: int
    kind: str  # "filler" | "hedge"


@dataclass(frozen=True)
class Session:
    """One sitting: a practice session, a mock round, or a `coach analyze --save`."""

    id: int
    uid: str
    started_at: datetime
    ended_at: datetime | None
    mode: str
    role: str | None


@dataclass(frozen=True)
class AttemptSummary:
    """One answer without its transcript and full analysis: what lists and trends need."""

    id: int
    uid: str
    session_id: int | None
    #: When the answer was given (timezone-aware, UTC).
    created_at: datetime
    question_id: str | None
    question_text: str | None
    kind: str
    target_s: float | None
    #: Where the recording is (absolute), or None for a typed answer.
    audio_path: Path | None
    #: The Whisper model the answer was transcribed with, if any.
    model: str | None
    #: The story rehearsed with this answer, if any.
    story: str | None
    #: Why the analysis failed, when it did (the attempt is kept regardless).
    analysis_error: str | None
    analysed: bool
    metrics: Metrics
    scores: dict[str, int] = field(default_factory=dict)
    #: The attempt this one follows up (a follow-up is a turn of that answer), if any.
    parent_id: int | None = None
    #: The user's own note on the attempt, if any.
    note: str | None = None

    @property
    def is_follow_up(self) -> bool:
        """A turn of another answer: not an attempt at the question it was asked under."""
        return self.parent_id is not None or self.kind == "follow_up"

    @property
    def question_key(self) -> str:
        """What attempts at "the same question" share: the bank id, else the question's text."""
        return self.question_id or (self.question_text or "").strip() or "(no question)"

    @property
    def question_label(self) -> str:
        return self.question_text or self.question_id or "(no question)"

    @property
    def audio_missing(self) -> bool:
        """True when the attempt had a recording that is no longer on disk."""
        return self.audio_path is not None and not self.audio_path.is_file()


@dataclass(frozen=True)
class Attempt(AttemptSummary):
    """One answer in full: transcript, the whole analysis (``AnswerAnalysis.to_json()``), highlights."""

    transcript: str | None = None
    analysis: dict[str, Any] | None = None
    highlights: tuple[Highlight, ...] = ()


@dataclass(frozen=True)
class DeletedAttempt:
    """What :meth:`History.delete_attempt` did with the attempt's recording."""

    id: int
    audio_path: Path | None
    audio_removed: bool
    #: The recording was already gone.
    audio_missing: bool
    #: The recording was left in place because it is outside coach's data folder.
    audio_kept: bool = False
