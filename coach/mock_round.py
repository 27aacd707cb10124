"""A mock interview round: mixed questions for one role, timed, summarised at the end.

Light on purpose: the home screen plans a round before any model or analysis code is imported.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from coach.questions.bank import Question

if TYPE_CHECKING:
    from coach.analysis.answer import AnswerAnalysis


@dataclass
class MockRound:
    """A timed round of mixed questions for one role."""

    role: str
    minutes: float
    questions: list[Question]
    started_at: float = field(default_factory=time.monotonic)
    answers: list[tuple[Question, AnswerAnalysis | None, float]] = field(default_factory=list)
    index: int = 0
    #: As in a real interview: no feedback between questions, all of it in the summary at the end.
    hold_feedback: bool = False

    @classmethod
    def plan(cls, bank: list[Question], role: str, minutes: float, seed: int | None = None) -> MockRound:
        """Alternate behavioral and think-aloud questions until their targets, plus a minute of
        discussion each, fill the round."""
        rng = random.Random(seed)
        for_role = [q for q in bank if role in q.roles] or list(bank)
        behavioral = [q for q in for_role if q.kind == "behavioral"]
        thinking = [q for q in for_role if q.kind == "think_aloud"]
        rng.shuffle(behavioral)
        rng.shuffle(thinking)
        chosen: list[Question] = []
        budget = minutes * 60
        seen_categories: set[str] = set()
        pools = [behavioral, thinking]
        turn = 0
        while budget > 0 and (behavioral or thinking):
            pool = pools[turn % 2] or pools[(turn + 1) % 2]
            turn += 1
            question = next((q for q in pool if q.category not in seen_categories), pool[0])
            pool.remove(question)
            seen_categories.add(question.category)
            chosen.append(question)
            budget -= question.target_s + 60
        return cls(role=role, minutes=minutes, questions=chosen)

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self.started_at

    @property
    def remaining_s(self) -> float:
        return max(0.0, self.minutes * 60 - self.elapsed_s)

    @property
    def current(self) -> Question | None:
        if self.index >= len(self.questions) or self.remaining_s <= 0:
            return None
        return self.questions[self.index]

    def record(self, analysis: AnswerAnalysis | None, spent_s: float) -> None:
        self.answers.append((self.questions[self.index], analysis, spent_s))
        self.index += 1

    def summary(self) -> dict:
        """Time per answer against its target, and the mean of each score."""
        rows = []
        scores: dict[str, list[int]] = {}
        for question, analysis, spent in self.answers:
            duration = analysis.duration_s if analysis and analysis.duration_s else None
            rows.append({"id": question.id, "kind": question.kind, "target_s": question.target_s,
                         "answer_s": duration, "spent_s": spent,
                         "verdict": analysis.coaching.length.verdict if analysis and analysis.coaching else None})
            if analysis and analysis.coaching:
                for name, value in analysis.coaching.scores.items():
                    scores.setdefault(name, []).append(value)
        return {
            "answered": len(self.answers),
            "planned": len(self.questions),
            "elapsed_s": self.elapsed_s,
            "answers": rows,
            "mean_scores": {k: round(sum(v) / len(v)) for k, v in scores.items()},
        }
