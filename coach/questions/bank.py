"""Loading and filtering questions. Users add their own TOML files in ``<data dir>/questions``."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from coach.errors import CoachError

BUNDLED_DIR = Path(__file__).resolve().parent / "bank"
KINDS = ("behavioral", "think_aloud")
ROLES = ("ML Engineer", "Data Scientist", "ML Research Scientist")


@dataclass(frozen=True)
class Question:
    id: str
    kind: str
    category: str
    competencies: tuple[str, ...]
    roles: tuple[str, ...]
    target_s: float
    text: str
    follow_ups: tuple[str, ...]
    concepts: tuple[str, ...]
    source: str


def _read(path: Path) -> list[Question]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CoachError(f"The question file {path} is not valid TOML ({exc}); fix or remove it.") from exc
    questions = []
    for n, raw in enumerate(data.get("question", []), start=1):
        try:
            kind = raw["kind"]
            if kind not in KINDS:
                raise ValueError(f"kind must be one of {', '.join(KINDS)}")
            questions.append(Question(
                id=str(raw["id"]), kind=kind, category=str(raw["category"]),
                competencies=tuple(raw.get("competencies", [])), roles=tuple(raw.get("roles", ROLES)),
                target_s=float(raw.get("target_s", 90 if kind == "behavioral" else 180)), text=str(raw["text"]),
                follow_ups=tuple(raw.get("follow_ups", [])), concepts=tuple(raw.get("concepts", [])),
                source=str(path),
            ))
        except (KeyError, ValueError, TypeError) as exc:
            raise CoachError(f"Question {n} in {path} is incomplete ({exc}); every question needs id, kind, "
                             "category and text.") from exc
    return questions


@cache
def _bundled() -> tuple[Question, ...]:
    return tuple(q for path in sorted(BUNDLED_DIR.glob("*.toml")) for q in _read(path))


def load_questions(user_dir: Path | None = None) -> list[Question]:
    """The bundled bank plus any ``*.toml`` in ``user_dir``; a user question replaces a bundled
    one with the same id."""
    by_id = {q.id: q for q in _bundled()}
    if user_dir is not None and user_dir.is_dir():
        for path in sorted(user_dir.glob("*.toml")):
            for question in _read(path):
                by_id[question.id] = question
    return list(by_id.values())


def filter_questions(questions: list[Question], *, role: str | None = None, kind: str | None = None,
                     category: str | None = None) -> list[Question]:
    def matches(q: Question) -> bool:
        return ((role is None or any(r.lower() == role.lower() for r in q.roles))
                and (kind is None or q.kind == kind)
                and (category is None or q.category == category or category in q.competencies))

    return [q for q in questions if matches(q)]


def find_question(questions: list[Question], question_id: str) -> Question:
    for question in questions:
        if question.id == question_id:
            return question
    raise CoachError(f"There is no question {question_id!r}; list them with `coach questions`.")
