"""Loading and filtering questions. Users add their own TOML files in ``<data dir>/questions``."""

from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from coach.errors import CoachError
from coach.process import printable
from coach.settings import ROLES

BUNDLED_DIR = Path(__file__).resolve().parent / "bank"
KINDS = ("behavioral", "think_aloud")


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


#: Shortest and longest answer a question may ask for, in seconds.
TARGET_RANGE = (10.0, 3600.0)
_ID = re.compile(r"[\w.-]{1,100}")
#: The whole bundled bank is under 100 KB; a file far larger is a mistake, and is read into memory whole.
MAX_FILE_BYTES = 2_000_000


def _read(path: Path, *, bundled: bool = False) -> list[Question]:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise CoachError(f"The question file {path} is {size:,} bytes, more than the {MAX_FILE_BYTES:,} a "
                             "question file may have; split it or remove it.")
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CoachError(f"The question file {path} is not valid TOML ({exc}); fix or remove it.") from exc
    except OSError as exc:
        raise CoachError(f"The question file {path} cannot be read ({(exc.strerror or str(exc)).lower()}); "
                         "fix its permissions or remove it.") from exc
    entries = data.get("question", [])
    if not isinstance(entries, list):
        raise CoachError(f"In {path}, questions must be [[question]] tables; see the bundled files for the format.")
    return [_question(raw, n, path, bundled) for n, raw in enumerate(entries, start=1)]


def _question(raw: object, n: int, path: Path, bundled: bool = False) -> Question:
    where = f"Question {n} in {path}"
    if not isinstance(raw, dict):
        raise CoachError(f"{where} is not a table; write it as a [[question]] block.")
    missing = [key for key in ("id", "kind", "category", "text") if key not in raw]
    if missing:
        raise CoachError(f"{where} is incomplete (no {', '.join(missing)}); every question needs id, kind, "
                         "category and text.")

    def text(key: str, limit: int) -> str:
        value = raw[key]
        if not isinstance(value, str) or not printable(value).strip() or len(value) > limit:
            raise CoachError(f"{where}: {key} must be text of 1 to {limit} characters, not {_short(value)}.")
        return printable(value).strip()

    def texts(key: str, limit: int = 500) -> tuple[str, ...]:
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and len(v) <= limit for v in value):
            raise CoachError(f"{where}: {key} must be a list of texts such as [\"a\", \"b\"], not {_short(value)}.")
        return tuple(shown for shown in (printable(v).strip() for v in value) if shown)

    question_id = text("id", 100)
    if not _ID.fullmatch(question_id):
        raise CoachError(f"{where}: id {question_id!r} may hold only letters, digits, '_', '-' and '.'; rename it.")
    kind = raw["kind"]
    if kind not in KINDS:
        raise CoachError(f"{where}: kind must be one of {', '.join(KINDS)}, not {_short(kind)}.")
    competencies = texts("competencies")
    if not bundled:  # the bundled ones are checked by the tests; this keeps the story library unloaded
        from coach.stories.model import COMPETENCIES, normalise_competency

        competencies = tuple(normalise_competency(c) for c in competencies)
        unknown = [c for c in competencies if c not in COMPETENCIES]
        if unknown:
            raise CoachError(f"{where}: {', '.join(map(repr, unknown))} is not a competency; use one of "
                             f"{', '.join(COMPETENCIES)}.")
    roles = texts("roles") if "roles" in raw else ROLES
    by_name = {r.lower(): r for r in ROLES}
    if not roles or any(r.lower() not in by_name for r in roles):
        raise CoachError(f"{where}: roles must be a list of {', '.join(ROLES)}, not {_short(raw.get('roles'))}.")
    target = raw.get("target_s", 90 if kind == "behavioral" else 180)
    low, high = TARGET_RANGE
    if isinstance(target, bool) or not isinstance(target, int | float) or not math.isfinite(target) \
            or not low <= target <= high:
        raise CoachError(f"{where}: target_s must be a number of seconds from {low:g} to {high:g}, "
                         f"not {_short(target)}.")
    return Question(
        id=question_id, kind=kind, category=text("category", 100), competencies=competencies,
        roles=tuple(by_name[r.lower()] for r in roles), target_s=float(target), text=text("text", 2000),
        follow_ups=texts("follow_ups", 2000), concepts=texts("concepts"), source=str(path),
    )


def _short(value: object) -> str:
    shown = repr(value)
    return printable(shown if len(shown) <= 60 else shown[:57] + "...")


@cache
def _bundled() -> tuple[Question, ...]:
    return tuple(q for path in sorted(BUNDLED_DIR.glob("*.toml")) for q in _read(path, bundled=True))


def load_questions(user_dir: Path | None = None) -> list[Question]:
    """The bundled bank plus any ``*.toml`` in ``user_dir``; a user question replaces a bundled
    one with the same id."""
    by_id = {q.id: q for q in _bundled()}
    for path in _user_files(user_dir):
        for question in _read(path):
            by_id[question.id] = question
    return list(by_id.values())


def _user_files(user_dir: Path | None) -> list[Path]:
    """The ``*.toml`` files (not folders: a folder named ``x.toml`` is not a question file)."""
    if user_dir is None:
        return []
    try:
        entries = list(os.scandir(user_dir))
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as exc:
        raise CoachError(f"The questions folder {user_dir} cannot be read ({(exc.strerror or str(exc)).lower()}); "
                         "fix its permissions or move it away.") from exc
    return sorted(Path(e.path) for e in entries if e.name.endswith(".toml") and e.is_file())


def categories(questions: list[Question]) -> list[str]:
    """Every category and competency a question in ``questions`` has, for ``--category``."""
    return sorted({q.category for q in questions} | {c for q in questions for c in q.competencies})


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
