"""A STAR story as a plain Markdown file: a front-matter header and four sections.

The file format (what ``coach stories new`` writes and what people edit by hand)::

    ---
    title: The forecast that drifted on a Sunday
    competencies: [ml_in_production, ownership, impact]
    roles: [ML Engineer]
    tags: [forecasting, data quality]
    metric: forecast error back from 31% to 12%
    ---

    ## Situation
    ...
    ## Task
    ...
    ## Action
    ...
    ## Result
    ...

The header is read with PyYAML's ``BaseLoader``: every value stays a string (or a list of
strings), so a title such as ``No`` or ``2019`` is never turned into a boolean or a number.
Other header keys and other ``##`` sections (notes, lessons) are kept as written and saved back.
Nothing here imports spaCy or Textual.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coach.errors import CoachError
from coach.process import printable

#: The behavioral competencies of the question bank, in the order coverage lists them.
COMPETENCIES = (
    "conflict", "failure", "leadership", "ambiguity", "influence", "ownership", "impact",
    "prioritisation", "feedback", "collaboration", "ml_in_production",
)
PARTS = ("situation", "task", "action", "result")
#: A story is told in about two minutes (some 2,000 characters); fifty times that is no story.
MAX_STORY_CHARS = 100_000
#: Header keys with a meaning; any other key is kept and written back unchanged.
KNOWN_KEYS = ("title", "competencies", "roles", "tags", "metric")

# Spellings people write for a competency, mapped to the bank's names.
_COMPETENCY_ALIASES = {
    "prioritization": "prioritisation", "priorities": "prioritisation", "prioritizing": "prioritisation",
    "prioritising": "prioritisation", "influence_without_authority": "influence", "ml_production": "ml_in_production",
    "production": "ml_in_production", "ml": "ml_in_production", "failures": "failure", "conflicts": "conflict",
    "lead": "leadership", "leading": "leadership", "teamwork": "collaboration", "collaborating": "collaboration",
}
_HEADING = re.compile(r"^##[ \t]+(?P<name>.+?)[ \t#]*$")
_PART_HEADINGS = {"situation": "situation", "task": "task", "tasks": "task", "action": "action",
                  "actions": "action", "result": "result", "results": "result"}
_KEY_LINE = re.compile(r"^(?P<key>[A-Za-z_][\w-]*)[ \t]*:")
_WORD = re.compile(r"\S*[A-Za-z0-9]\S*")
_COMMENT = re.compile(r"<!--.*?-->", re.S)


class StoryFileError(CoachError):
    """A story file cannot be read: the message names the file and the line."""

    def __init__(self, path: Path | str | None, line: int | None, detail: str) -> None:
        self.path = Path(path) if path is not None else None
        self.line = line
        self.detail = detail
        where = str(path) if path is not None else "The story"
        if line is not None:
            where += f", line {line}"
        super().__init__(f"{where}: {detail}")


class StoryConflictError(CoachError):
    """The file changed on disk since the story was opened; saving would overwrite that edit."""

    def __init__(self, path: Path, changed_at: float | None = None) -> None:
        self.path = path
        self.changed_at = changed_at
        when = ""
        if changed_at is not None:
            import time

            when = f" (at {time.strftime('%H:%M:%S', time.localtime(changed_at))})"
        super().__init__(
            f"{path} was changed outside coach{when} since you opened it, so it was not saved; reload it to "
            "see that version, or save your version under a new title.")


@dataclass(frozen=True)
class Fingerprint:
    """What a story file looked like when it was read: an edit made elsewhere changes the hash."""

    mtime_ns: int
    size: int
    sha256: str

    @classmethod
    def of_bytes(cls, data: bytes, mtime_ns: int) -> Fingerprint:
        return cls(mtime_ns, len(data), hashlib.sha256(data).hexdigest())


@dataclass
class Story:
    """One STAR story. Equality compares the content only, not where or when it was read."""

    title: str
    competencies: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    metric: str = ""
    #: The four parts by name ("situation", "task", "action", "result"), text as written.
    sections: dict[str, str] = field(default_factory=dict)
    #: Other header keys, kept as read (strings or lists of strings).
    extra: dict[str, Any] = field(default_factory=dict)
    #: Other ``##`` sections (notes, lessons learned), as (heading, text), after the four parts.
    extra_sections: list[tuple[str, str]] = field(default_factory=list)
    #: Text between the header and the first section.
    preamble: str = ""
    path: Path | None = field(default=None, compare=False)
    #: Line (1-based) of each header key and section heading in the file; for error messages.
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    #: The file as it was when read or last saved; None for a story never saved.
    opened: Fingerprint | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Normalise once here so that a story saved and read back compares equal. Control
        # characters never belong in a one-line title, and printed raw they drive the terminal.
        self.title = " ".join(printable(self.title).split())
        self.competencies = _unique(normalise_competency(c) for c in self.competencies)
        self.roles = _unique(" ".join(r.split()) for r in self.roles)
        self.tags = _unique(" ".join(t.split()) for t in self.tags)
        self.metric = " ".join(self.metric.split())
        self.sections = {part: (self.sections.get(part) or "").strip() for part in PARTS}
        self.extra_sections = [(" ".join(h.split()), t.strip()) for h, t in self.extra_sections]
        self.preamble = self.preamble.strip()

    @property
    def id(self) -> str:
        """The file name without ``.md``; for a story never saved, its title."""
        return self.path.stem if self.path is not None else self.title

    def text_of(self, part: str) -> str:
        """A section's words for analysis: Markdown comments, emphasis and list markers removed."""
        return plain_text(self.sections.get(part, ""))

    def word_counts(self) -> dict[str, int]:
        return {part: count_words(self.text_of(part)) for part in PARTS}

    @property
    def word_count(self) -> int:
        return sum(self.word_counts().values())

    def speaking_s(self, wpm: float = 150.0) -> float:
        """Estimated time to tell the four parts aloud at ``wpm`` words per minute."""
        return speaking_seconds(self.word_count, wpm)

    def missing_parts(self) -> list[str]:
        return [part for part in PARTS if not self.text_of(part)]


def _unique(items) -> list[str]:
    seen: list[str] = []
    for item in items:
        if item and item not in seen:
            seen.append(item)
    return seen


def normalise_competency(name: str) -> str:
    """``"Influence without authority"`` and ``ML-in-production`` become the bank's names."""
    key = re.sub(r"[\s/-]+", "_", name.strip().lower())
    return _COMPETENCY_ALIASES.get(key, key)


def count_words(text: str) -> int:
    """Words as a listener hears them: anything with a letter or digit in it (no bullets or dashes)."""
    return len(_WORD.findall(plain_text(text)))


def speaking_seconds(words: int, wpm: float = 150.0) -> float:
    return 60.0 * words / max(1.0, wpm)


def plain_text(markdown: str) -> str:
    """The text of a section as it would be said, with the same length and character offsets.

    HTML comments (the guidance ``coach stories new`` writes), emphasis marks and list markers
    become spaces, so offsets into the result are offsets into the file's section text.
    """
    text = _COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), markdown)
    text = re.sub(r"(?m)^([ \t]*)([-*+]|\d+[.)])(?=[ \t])", lambda m: m.group(1) + " " * len(m.group(2)), text)
    # Emphasis marks at a word's edge only: "ml_in_production" keeps its underscores.
    text = re.sub(r"(?<!\w)[*_`]+(?=\S)|(?<=\S)[*_`]+(?!\w)", lambda m: " " * len(m.group()), text)
    return text if text.strip() else ""


# --- reading -------------------------------------------------------------------------------------


def parse_story(text: str, path: Path | str | None = None) -> Story:
    """Read a story file's text.

    Args:
        text: The whole file.
        path: Where it came from, named in error messages.

    Raises:
        StoryFileError: no header, a header that is not valid YAML or lacks a title, a header value
            of the wrong shape, or a section heading used twice; the message names the line.
    """
    if len(text) > MAX_STORY_CHARS:
        # spaCy refuses texts over a million characters (E088) and lint, coverage and matching
        # parse every story: one runaway file must not stop the commands for the others.
        raise StoryFileError(path, None, f"the file is {len(text):,} characters long, more than the "
                                         f"{MAX_STORY_CHARS:,} a story may have; shorten it or move it out of "
                                         "the library.")
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise StoryFileError(path, 1, "a story starts with a front-matter header between two '---' lines "
                                      "(title, competencies, roles, tags, metric); add one.")
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in {"---", "..."}), None)
    if end is None:
        raise StoryFileError(path, 1, "the front matter that starts here is never closed with a '---' line; "
                                      "add one after the last header line.")
    header, key_lines = _read_header(lines[1:end], path)
    body_start = end + 1  # 0-based index of the first body line
    sections, extra_sections, preamble, section_lines = _read_body(lines[body_start:], body_start, path)

    def strings(key: str) -> list[str]:
        value = header.pop(key, [])
        if isinstance(value, str):
            # "competencies: conflict, failure" is a list written without brackets.
            return [v.strip() for v in value.split(",") if v.strip()]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return value
        raise StoryFileError(path, key_lines.get(key), f"{key} must be a list such as [a, b], not {value!r}.")

    def string(key: str) -> str:
        value = header.pop(key, "")
        if not isinstance(value, str):
            raise StoryFileError(path, key_lines.get(key), f"{key} must be one line of text, not {value!r}.")
        return value

    title = string("title")
    if not title.strip():
        raise StoryFileError(path, key_lines.get("title", 2), "the header has no title; add a line "
                                                              "'title: ...' between the '---' lines.")
    story = Story(
        title=title, competencies=strings("competencies"), roles=strings("roles"), tags=strings("tags"),
        metric=string("metric"), sections=sections, extra=header, extra_sections=extra_sections,
        preamble=preamble, path=Path(path) if path is not None else None,
    )
    story.lines = {**key_lines, **section_lines, "end": len(lines) + 1}
    return story


def _read_header(lines: list[str], path) -> tuple[dict[str, Any], dict[str, int]]:
    try:
        import yaml
    except ImportError as exc:  # PyYAML comes with faster-whisper's huggingface_hub
        raise CoachError("PyYAML is missing, so story headers cannot be read; run pip install pyyaml.") from exc
    source = "\n".join(lines)
    try:
        header = yaml.load(source, Loader=yaml.BaseLoader) if source.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 2  # +1 for 1-based, +1 for the opening '---'
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context_mark", None)
        if context is not None and context.line + 2 != line:
            # An unclosed [ or " is noticed lines later; say where it was opened.
            problem += f", in what opens on line {context.line + 2}"
        raise StoryFileError(path, line, f"the front matter is not valid ({problem}); a header line is "
                                         "'key: value' or 'key: [a, b]', and a value with ': ' or '#' needs "
                                         "quotes.") from exc
    if not isinstance(header, dict):
        raise StoryFileError(path, 2, "the front matter must be 'key: value' lines (title, competencies, ...).")
    key_lines = {}
    for i, line in enumerate(lines):
        match = _KEY_LINE.match(line)
        if match and match["key"] not in key_lines:
            key_lines[match["key"]] = i + 2
    return dict(header), key_lines


def _read_body(lines: list[str], offset: int, path) -> tuple[dict[str, str], list, str, dict[str, int]]:
    sections: dict[str, str] = {}
    extra: list[tuple[str, str]] = []
    section_lines: dict[str, int] = {}
    preamble: list[str] = []
    current: list[str] = preamble
    in_fence = False
    for i, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        match = None if in_fence else _HEADING.match(line)
        if match is None:
            current.append(line)
            continue
        name = match["name"].strip()
        part = _PART_HEADINGS.get(name.lower())
        line_no = offset + i + 1
        current = []
        if part is not None:
            if part in sections:
                raise StoryFileError(path, line_no, f"a second '## {name}' section (the first is at line "
                                                    f"{section_lines[part]}); merge them into one.")
            sections[part] = current  # type: ignore[assignment]  # joined below
            section_lines[part] = line_no
        else:
            extra.append((name, current))  # type: ignore[arg-type]
            section_lines[f"## {name}"] = line_no
    joined = {part: "\n".join(body).strip() for part, body in sections.items()}
    # Where each section's text begins (its first non-blank line), so findings can name a line.
    for name, line_no in list(section_lines.items()):
        body = sections.get(name) if name in sections else None
        if body is not None:
            blank = next((k for k, text in enumerate(body) if text.strip()), 0)
            section_lines[f"{name}:text"] = line_no + 1 + blank
    return joined, [(h, "\n".join(body)) for h, body in extra], "\n".join(preamble), section_lines


def read_story(path: Path) -> Story:
    """Read and parse one story file, remembering its fingerprint for :func:`save_story`.

    Raises:
        StoryFileError: the file cannot be read, is not UTF-8, or is malformed.
    """
    try:
        data = path.read_bytes()
        mtime_ns = path.stat().st_mtime_ns
    except OSError as exc:
        raise StoryFileError(path, None, f"cannot be read ({exc.strerror or exc}).") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise StoryFileError(path, line, "is not UTF-8 text; save it as UTF-8 in your editor.") from exc
    story = parse_story(text, path)
    story.opened = Fingerprint.of_bytes(data, mtime_ns)
    return story


# --- writing -------------------------------------------------------------------------------------


def format_story(story: Story) -> str:
    """The file text for a story: the header, then Situation, Task, Action, Result, then any other
    sections. :func:`parse_story` reads it back into an equal story.

    Raises:
        CoachError: a section holds a line starting with '## ', which would start a new section.
    """
    header = {"title": story.title, "competencies": story.competencies, "roles": story.roles,
              "tags": story.tags, "metric": story.metric, **story.extra}
    out = ["---"]
    for key, value in header.items():
        out.append(f"{key}: {_yaml_value(value)}")
    out.append("---")
    if story.preamble:
        out += ["", story.preamble]
    bodies = [(part.capitalize(), story.sections.get(part, "")) for part in PARTS] + list(story.extra_sections)
    for heading, body in bodies:
        for n, line in enumerate(body.splitlines(), start=1):
            if _HEADING.match(line):
                raise CoachError(f"Line {n} of the {heading} section of {story.title!r} starts with '## ', "
                                 "which would start a new section; use '###' or reword it.")
        out += ["", f"## {heading}", ""]
        if body:
            out.append(body)
    return "\n".join(out) + "\n"


def _yaml_value(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_yaml_scalar(str(v), in_list=True) for v in value) + "]"
    return _yaml_scalar(str(value), in_list=False)


def _yaml_scalar(value: str, *, in_list: bool) -> str:
    """Plain when it reads back unchanged (people edit these files), else double-quoted."""
    import yaml

    if value and "\n" not in value and not (in_list and "," in value):
        probe = f"k: [{value}]" if in_list else f"k: {value}"
        try:
            loaded = yaml.load(probe, Loader=yaml.BaseLoader)
        except yaml.YAMLError:
            loaded = None
        if isinstance(loaded, dict) and loaded.get("k") == ([value] if in_list else value):
            return value
    # A JSON string is a valid YAML double-quoted scalar.
    return json.dumps(value, ensure_ascii=False)


NEW_STORY_GUIDANCE = {
    "situation": "<!-- Where and when; the team; the problem and what was at stake. Two or three sentences. -->",
    "task": "<!-- What you were responsible for: the goal, the deadline, the constraint. One or two sentences. -->",
    "action": "<!-- What you did, in the first person and the past tense: the investigation, the decisions and "
              "why, who you brought in. The longest part. -->",
    "result": "<!-- How it ended, with a number: by how much, how many, how fast. Then one line on what "
              "changed for the team. -->",
}


def new_story(title: str, competencies: list[str] | None = None, roles: list[str] | None = None,
              tags: list[str] | None = None, metric: str = "") -> Story:
    """A blank story whose sections hold guidance in comments (not counted as words, not linted)."""
    return Story(title=title, competencies=list(competencies or []), roles=list(roles or []),
                 tags=list(tags or []), metric=metric, sections=dict(NEW_STORY_GUIDANCE))
