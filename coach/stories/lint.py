"""Checking a written story with the same analysers that coach a spoken answer.

The four sections are joined and coached as a typed behavioral answer
(:func:`coach.analysis.coaching.coach_answer`), which finds the fillers and hedges; the parse
of the joined text is then split back into its sections for the checks that depend on where a
sentence was written: a result with no magnitude, "we" in the actions, a situation longer than
the action, lessons filed as results. Each finding names the section and, for a story read from
a file, the line.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from coach.questions.bank import ROLES
from coach.stories.model import COMPETENCIES, PARTS, Story, count_words, speaking_seconds

if TYPE_CHECKING:
    from coach.analysis.coaching import Coaching

Severity = Literal["error", "warning"]
#: A behavioral answer should fit in two minutes (PRODUCT.md: 60-120 s is the consensus).
MAX_TELLING_S = 120.0
#: Below this a draft is short of the 60-120 s range, the same line the coaching of a told answer
#: draws (a third under its 90 s target); the message names the range, so the two must agree.
MIN_TELLING_S = 60.0
DEFAULT_WPM = 150.0


@dataclass(frozen=True)
class Finding:
    """One problem in a story: how bad, a stable code, the message, and where."""

    severity: Severity
    code: str
    message: str
    section: str | None = None
    line: int | None = None

    def where(self) -> str:
        parts = []
        if self.section:
            parts.append(self.section.capitalize())
        if self.line is not None:
            parts.append(f"line {self.line}")
        return ", ".join(parts)


@dataclass
class LintReport:
    story: Story
    findings: list[Finding]
    words: dict[str, int]
    speaking_s: float
    wpm: float
    coaching: Coaching | None = field(default=None, repr=False)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def status(self) -> str:
        """"ok", "2 warnings", "1 error, 3 warnings": for lists."""
        if not self.findings:
            return "ok"
        out = []
        if self.errors:
            out.append(_plural(len(self.errors), "error"))
        if self.warnings:
            out.append(_plural(len(self.warnings), "warning"))
        return ", ".join(out)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class _Joined:
    """The sections as one text for the analysers, with a map back to each section's own text.

    Whitespace is collapsed (hand-wrapped lines would otherwise put newline tokens mid-sentence),
    and a full stop is added where a section, a paragraph or a list item ends without one, so no
    sentence runs across a section boundary."""

    def __init__(self, story: Story) -> None:
        self.text = ""
        self._starts: list[int] = []  # joined offset of each word
        self._origin: list[tuple[str, int, int]] = []  # (part, offset in the section, word length)
        self.ranges: dict[str, tuple[int, int]] = {}
        for part in PARTS:
            plain = story.text_of(part)
            raw_lines = story.sections.get(part, "").split("\n")
            if not plain.strip():
                continue
            begin = len(self.text) + (1 if self.text else 0)
            line_starts = [m.start() for m in re.finditer(r"(?m)^", plain)]
            for match in re.finditer(r"\S+", plain):
                line = bisect.bisect_right(line_starts, match.start()) - 1
                first_on_line = not plain[line_starts[line] : match.start()].strip()
                starts_block = first_on_line and line > 0 and (
                    not raw_lines[line - 1].strip() or _is_item(raw_lines[line]))
                if self.text:
                    if starts_block:
                        self._end_sentence()
                    self.text += " "
                self._starts.append(len(self.text))
                self._origin.append((part, match.start(), len(match.group())))
                self.text += match.group()
            self._end_sentence()
            self.ranges[part] = (begin, len(self.text))

    def _end_sentence(self) -> None:
        if self.text and not re.search(r"[.!?…:;][\"'’”)]*$", self.text):
            self.text += "."

    def locate(self, offset: int) -> tuple[str, int]:
        """The section and the offset in its text of a joined-text offset."""
        i = max(0, bisect.bisect_right(self._starts, offset) - 1)
        part, start, length = self._origin[i]
        return part, start + min(max(0, offset - self._starts[i]), length)

    def part_at(self, offset: int) -> str | None:
        for part, (begin, end) in self.ranges.items():
            if begin <= offset < end:
                return part
        return None


def _is_item(line: str) -> bool:
    return bool(re.match(r"^\s*([-*+]|\d+[.)])\s", line))


def _line(story: Story, part: str, offset: int | None = None) -> int | None:
    """The file line of a section (its heading), or of an offset in its text."""
    if offset is None:
        return story.lines.get(part)
    start = story.lines.get(f"{part}:text")
    if start is None:
        return None
    return start + story.sections.get(part, "")[:offset].count("\n")


def lint_story(story: Story, wpm: float = DEFAULT_WPM) -> LintReport:
    """Check a story the way a coach would read it.

    Args:
        story: The story, as read from its file or as it stands in the editor.
        wpm: The user's speaking pace, for the time the telling will take.

    Returns:
        The findings, worst first, with the word counts and estimated speaking time.
    """
    findings: list[Finding] = []
    words = story.word_counts()
    total_words = sum(words.values())
    seconds = speaking_seconds(total_words, wpm)
    findings += _header_findings(story)
    for part in story.missing_parts():
        findings.append(Finding("error", "missing_part",
                                f"No {part} yet: {_PART_HINT[part]}", part, _line(story, part) or story.lines.get("end")))
    coaching = None
    if total_words:
        coaching = _language_findings(story, findings)
        if seconds > MAX_TELLING_S:
            longest = max(PARTS, key=lambda p: words[p] if p != "action" else 0)
            findings.append(Finding(
                "warning", "too_long",
                f"About {seconds:.0f} s to tell at {wpm:.0f} words a minute ({total_words} words): past the "
                f"two-minute mark. Cut about {total_words - int(MAX_TELLING_S * wpm / 60)} words, starting with "
                f"the {longest}."))
        elif seconds < MIN_TELLING_S and not story.missing_parts():
            findings.append(Finding(
                "warning", "too_short",
                f"About {seconds:.0f} s to tell at {wpm:.0f} words a minute: thin for a {MIN_TELLING_S:.0f}-"
                f"{MAX_TELLING_S:.0f} s answer. "
                "Add what you did and why, and the numbers behind the result."))
        if words["situation"] > words["action"] and words["action"]:
            findings.append(Finding(
                "warning", "long_situation",
                f"The situation ({words['situation']} words) is longer than the action ({words['action']}): "
                "keep the background to two sentences and give your actions the most time.",
                "situation", _line(story, "situation")))
    order = {"error": 0, "warning": 1}
    findings.sort(key=lambda f: (order[f.severity], PARTS.index(f.section) if f.section in PARTS else -1,
                                 f.line or 0))
    return LintReport(story, findings, words, seconds, wpm, coaching)


_PART_HINT = {
    "situation": "say where you were, the team and what was at stake, in two or three sentences.",
    "task": "say what you were responsible for, and the goal or deadline.",
    "action": "tell what you did, step by step, in the first person.",
    "result": "say how it ended, with a number (by how much, how many, how fast).",
}


def _header_findings(story: Story) -> list[Finding]:
    found = []
    line = story.lines.get("competencies")
    unknown = [c for c in story.competencies if c not in COMPETENCIES]
    if unknown:
        found.append(Finding("error", "unknown_competency",
                             f"Unknown competenc{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)}; "
                             f"use {', '.join(COMPETENCIES)}.", "header", line))
    if not story.competencies:
        found.append(Finding("warning", "no_competencies",
                             "No competencies: list the ones this story shows (e.g. competencies: [conflict, "
                             "influence]) so coverage and matching can use it.", "header", line or story.lines.get("title")))
    unknown_roles = [r for r in story.roles if r.lower() not in {x.lower() for x in ROLES}]
    if unknown_roles:
        found.append(Finding("warning", "unknown_role",
                             f"Unknown role {', '.join(unknown_roles)}; use {', '.join(ROLES)}.",
                             "header", story.lines.get("roles")))
    if not story.metric:
        found.append(Finding("warning", "no_metric",
                             "No headline metric: add 'metric: ...' with the one number you want remembered.",
                             "header", story.lines.get("metric") or story.lines.get("title")))
    return found


def _language_findings(story: Story, findings: list[Finding]) -> Coaching:
    from coach.analysis import star as star_module
    from coach.analysis.coaching import coach_answer
    from coach.analysis.language import TimedText, parse

    joined = _Joined(story)
    coaching = coach_answer(TimedText(joined.text), kind="behavioral")

    for kind, phrases, advice in (
        ("filler", coaching.fillers, "a filler in writing becomes two when spoken; cut it"),
        ("hedge", coaching.hedges, "say what you did and believe plainly"),
    ):
        for phrase in phrases:
            part, offset = joined.locate(phrase.start_char)
            findings.append(Finding("warning", kind, f"{kind.capitalize()} \"{phrase.text}\": {advice}.",
                                    part, _line(story, part, offset)))

    doc = parse(TimedText(joined.text))
    by_part: dict[str, list] = {part: [] for part in PARTS}
    for sentence in doc.sents:
        if not any(not t.is_punct and not t.is_space for t in sentence):
            continue
        part = joined.part_at(sentence.start_char)
        if part is not None:
            by_part[part].append(sentence)

    result = by_part["result"]
    if result:
        outcomes = [s for s in result if not star_module.is_lesson(s.text)]
        if not any(star_module._has_magnitude(s) for s in outcomes):
            metric = f" Your headline metric is \"{story.metric}\": say it here." if story.metric else ""
            findings.append(Finding("warning", "result_unquantified",
                                    "The result has no number: say by how much things changed (a percentage, "
                                    f"a count, hours saved, \"cut in half\").{metric}",
                                    "result", _line(story, "result")))
        for sentence in result:
            if star_module.is_lesson(sentence.text):
                part, offset = joined.locate(sentence.start_char)
                findings.append(Finding("warning", "lesson_in_result",
                                        f"\"{_clip(sentence.text)}\" is a lesson, not a result: keep it for the "
                                        "\"what did you learn\" follow-up.", "result", _line(story, part, offset)))

    action = by_part["action"]
    if action:
        owner, i_count, we_count = star_module.ownership([(s, "action") for s in action])
        if owner == "we":
            findings.append(Finding(
                "warning", "we_not_i",
                f"The action is told as \"we\" ({we_count} sentences, \"I\" {i_count}): interviewers ask what "
                "you did yourself, so say \"I\" for your own part.", "action", _line(story, "action")))
        elif owner is None:
            findings.append(Finding(
                "warning", "no_first_person",
                "No sentence in the action says who acted: tell it as \"I ...\" (what you did, decided, built).",
                "action", _line(story, "action")))
    return coaching


def _clip(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def lint_text_words(story: Story, wpm: float = DEFAULT_WPM) -> tuple[int, float]:
    """Word count and speaking time, without spaCy: for live counters while typing."""
    total = sum(count_words(story.text_of(part)) for part in PARTS)
    return total, speaking_seconds(total, wpm)
