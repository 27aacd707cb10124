"""Follow-ups placed under the answer they follow, for every list of attempts (the TUI history,
``coach history``, the progress report).

A follow-up is stored as a turn of its answer (``parent_id``), so a list in time order would put
"What was the outcome?" among the questions as if it were one of its own. Pure functions over
:class:`AttemptSummary`; no database, no UI.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from coach.storage.models import AttemptSummary


@dataclass(frozen=True)
class Row:
    """One attempt in a list, with how deep it is nested (0 for an answer, 1 for its follow-ups)."""

    attempt: AttemptSummary
    depth: int = 0

    @property
    def orphan_turn(self) -> bool:
        """A follow-up shown on its own: its answer is not in the list (cut by a limit, or deleted)."""
        return self.depth == 0 and self.attempt.is_follow_up


def threaded(attempts: Sequence[AttemptSummary]) -> list[Row]:
    """``attempts`` in their order, each followed by its turns oldest first, nested one deeper.

    A turn whose answer is not in ``attempts`` keeps its own place (at depth 0), so nothing the
    caller asked for is dropped.
    """
    ids = {a.id for a in attempts}
    turns: dict[int, list[AttemptSummary]] = defaultdict(list)
    for attempt in attempts:
        if attempt.parent_id is not None and attempt.parent_id in ids and attempt.parent_id != attempt.id:
            turns[attempt.parent_id].append(attempt)
    for group in turns.values():
        group.sort(key=lambda a: (a.created_at, a.id))
    out: list[Row] = []
    placed: set[int] = set()

    def place(attempt: AttemptSummary, depth: int) -> None:
        if attempt.id in placed:  # a cycle in imported data must not loop
            return
        placed.add(attempt.id)
        out.append(Row(attempt, depth))
        for turn in turns.get(attempt.id, []):
            place(turn, depth + 1)

    for attempt in attempts:
        if attempt.parent_id is None or attempt.parent_id not in ids or attempt.parent_id == attempt.id:
            place(attempt, 0)
    for attempt in attempts:  # only a cycle leaves any behind
        place(attempt, 0)
    return out


def turn_label(row: Row) -> str:
    """The question column of a row: a turn indented under its answer, a lone turn says whose it is."""
    attempt = row.attempt
    if row.depth:
        return "  " * (row.depth - 1) + "↳ " + attempt.question_label
    if row.orphan_turn:
        whose = f"follow-up to #{attempt.parent_id}" if attempt.parent_id is not None else "follow-up"
        return f"↳ ({whose}) {attempt.question_label}"
    return attempt.question_label
