"""Which competencies the library covers: the competency × story matrix, gaps and overuse.

Candidates reuse 8-12 stories across every behavioral question, so the useful questions are:
which competency has no story at all (a gap), which has only one (tell it for one question and
the next has nothing), and which story is asked to carry too much.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from coach.stories.model import COMPETENCIES, Story

#: A story tagged with more competencies than this is spread too thin to be told well for each.
MAX_COMPETENCIES_PER_STORY = 4
#: A story that is the only one for this many competencies leaves them all bare once it is used.
SOLE_STORY_LIMIT = 3


@dataclass(frozen=True)
class Overuse:
    story_id: str
    title: str
    reason: str


@dataclass
class Coverage:
    """The matrix and what it says."""

    #: Rows, in the bank's order.
    competencies: tuple[str, ...]
    #: Columns: the stories, in library order.
    stories: list[Story]
    #: Competency -> ids of the stories that cover it.
    matrix: dict[str, list[str]]
    #: Competencies with no story.
    gaps: list[str]
    #: Competencies with exactly one story.
    thin: list[str]
    overused: list[Overuse]
    #: Behavioral questions in the bank per competency, when the bank was given.
    question_counts: dict[str, int] = field(default_factory=dict)

    def covers(self, story: Story, competency: str) -> bool:
        return story.id in self.matrix.get(competency, [])

    def gap_messages(self) -> list[str]:
        """"No story for conflict (14 questions ask for it)", the most-asked gaps first."""
        out = []
        for competency in sorted(self.gaps, key=lambda c: -self.question_counts.get(c, 0)):
            asked = self.question_counts.get(competency)
            suffix = f" ({asked} questions in the bank ask for it)" if asked else ""
            out.append(f"No story for {_name(competency)}{suffix}.")
        return out

    def thin_messages(self) -> list[str]:
        titles = {s.id: s.title for s in self.stories}
        return [f"Only one story for {_name(c)} ({titles[self.matrix[c][0]]!r}): a second one lets you answer "
                "two questions on it in one interview." for c in self.thin]

    def summary(self) -> list[str]:
        """Gaps, thin spots and overuse as sentences, gaps first; empty when all is well."""
        return self.gap_messages() + [o.reason for o in self.overused] + self.thin_messages()


def _name(competency: str) -> str:
    return competency.replace("_", " ")


def coverage(stories: Iterable[Story], questions: Iterable | None = None) -> Coverage:
    """Build the matrix for a set of stories.

    Args:
        stories: The library.
        questions: Optionally the question bank (objects with ``kind`` and ``competencies``), to say
            how often each gap is asked about.

    Returns:
        The matrix, gaps, single-story competencies and overused stories. Competencies that are not
        in the bank's list (typos) are left out here; the lint reports them.
    """
    stories = list(stories)
    matrix: dict[str, list[str]] = {c: [] for c in COMPETENCIES}
    for story in stories:
        for competency in story.competencies:
            if competency in matrix and story.id not in matrix[competency]:
                matrix[competency].append(story.id)
    gaps = [c for c in COMPETENCIES if not matrix[c]]
    thin = [c for c in COMPETENCIES if len(matrix[c]) == 1]
    overused: list[Overuse] = []
    for story in stories:
        known = [c for c in story.competencies if c in matrix]
        sole = [c for c in thin if matrix[c][0] == story.id]
        if len(known) > MAX_COMPETENCIES_PER_STORY:
            overused.append(Overuse(story.id, story.title,
                                    f"{story.title!r} claims {len(known)} competencies: a story stretched to fit "
                                    f"every question fits none well; keep its strongest two or three."))
        if len(sole) >= SOLE_STORY_LIMIT:
            overused.append(Overuse(story.id, story.title,
                                    f"{story.title!r} is the only story for {_and(map(_name, sole))}: once you "
                                    "tell it, those questions have nothing left; write another for one of them."))
    counts: dict[str, int] = {}
    for question in questions or []:
        if getattr(question, "kind", "behavioral") == "behavioral":
            for competency in getattr(question, "competencies", ()):
                counts[competency] = counts.get(competency, 0) + 1
    return Coverage(COMPETENCIES, stories, matrix, gaps, thin, overused, counts)


def _and(items: Iterable[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
