"""A mock round read back the way an interviewer writes it up: a line of notes per answer, the
strongest answer and what to work on, and a signal per competency, all taken from the analyses
(what was measured, never praise that would read the same for any answer). No UI here: the mock
round's summary screen shows :meth:`RoundNotes.lines`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from coach.analysis.pace import ACCEPTABLE_WPM

#: What a recurring gap is called in "work on: ...", most important first when counts tie.
_GAP_NAMES = {
    "off_topic": "answering the question asked",
    "no_story": "a real story, told in the past tense",
    "no_action": "saying what you did",
    "no_result": "ending with the result",
    "result_unmeasured": "a number in the result",
    "we": "what you did yourself, not \"we\"",
    "follow_up_missed": "answering the follow-up directly",
    "no_clarifying": "a clarifying question first",
    "no_tradeoffs": "trade-offs with both sides",
    "concepts_missed": "the points the question expects",
    "no_structure": "announcing a structure",
    "long_setup": "a shorter set-up",
    "out_of_order": "telling the parts in order",
    "long": "finishing on time",
    "short": "more depth",
    "pace_fast": "a slower pace",
    "pace_slow": "a livelier pace",
    "fillers": "fewer fillers",
    "hedges": "less hedging",
    "silences": "fewer long silences",
}
#: What an answer did well, as the strongest answer's reason.
_GOOD_NAMES = {
    "result_measured": "result measured",
    "owned": "actions owned",
    "story_complete": "all four STAR parts in order",
    "follow_up_answered": "answered the follow-up directly",
    "clarifying": "asked clarifying questions",
    "tradeoffs": "weighed a trade-off",
    "structure": "announced a structure",
    "covered": "covered the expected points",
    "on_time": "on time",
    "clean": "clean delivery",
}
#: The scores that speak to what an answer shows of the candidate, not how it sounded; a
#: competency's signal is their mean over the answers that touch it.
_CONTENT_SCORES = ("structure", "result", "ownership", "reasoning", "coverage", "answered", "relevance")
#: Signal bands on that mean, from an interviewer's scorecard.
_SIGNALS = ((80, "strong yes"), (65, "leaning yes"), (45, "mixed"), (0, "leaning no"))
#: Answers on one competency this far apart make its signal "mixed", whatever their mean.
_DISAGREE = 30
#: Fillers per 100 words above which they are worth a note (the fillers score starts falling at 2).
_FILLER_NOTE_PER_100 = 3.0
#: Hedges in one answer before they are worth a note.
_HEDGE_NOTE_COUNT = 3
#: Long pauses in one answer before they are worth a note.
_SILENCE_NOTE_COUNT = 3


def clock(seconds: float) -> str:
    """A duration as an interviewer jots it down: 2:40."""
    seconds = round(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


@dataclass(frozen=True)
class AnswerNote:
    """The notes on one answer of the round."""

    #: Where it came in the round, from 1.
    number: int
    #: "Q2 conflict": the number and the question's category.
    label: str
    question: str
    #: The notes, one or two short sentences.
    text: str
    #: Keys of what counted for the answer (see ``_GOOD_NAMES``), and against it (``_GAP_NAMES``).
    good: tuple[str, ...] = ()
    gaps: tuple[str, ...] = ()
    #: The mean of the answer's scores; None when it was not analysed.
    mean_score: int | None = None


@dataclass(frozen=True)
class CompetencySignal:
    """What the round says about one competency, as an interviewer's scorecard line."""

    competency: str
    signal: str
    #: The answers it rests on, as (label, content score): ("Q1", 92). The content score is the
    #: mean of the scores that speak to what the answer shows (see ``_CONTENT_SCORES``).
    answers: tuple[tuple[str, int], ...]
    #: The mean of those answers' content scores.
    score: int

    def line(self) -> str:
        return f"{self.competency}: {self.signal} ({', '.join(f'{label} {score}' for label, score in self.answers)})"


@dataclass(frozen=True)
class RoundNotes:
    answers: list[AnswerNote]
    #: "Strongest: ...; work on: ...".
    overall: str
    signals: list[CompetencySignal] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The notes as plain text, one entry a line: each answer, the overall line, the signals."""
        lines = [note.text for note in self.answers]
        lines.append(self.overall)
        if self.signals:
            lines.append("Signal by competency (content scores): " + "; ".join(s.line() for s in self.signals) + ".")
        return lines


def round_notes(answers: Iterable[tuple[Any, Any, float]]) -> RoundNotes:
    """Notes on a round's answers, given as ``(question, analysis or None, seconds spent)`` in the
    order they were given (what :attr:`coach.mock_round.MockRound.answers` holds).

    ``question`` needs ``text``, ``category``, ``kind`` and ``competencies``; ``analysis`` is an
    :class:`coach.analysis.answer.AnswerAnalysis` with its coaching.
    """
    notes: list[AnswerNote] = []
    by_competency: dict[str, list[tuple[str, int]]] = {}
    for number, (question, analysis, _spent) in enumerate(answers, 1):
        note = answer_note(number, question, analysis)
        notes.append(note)
        content = _content_score(analysis)
        if content is None:
            continue
        for competency in _competencies(question):
            by_competency.setdefault(competency, []).append((note.label.split()[0], content))
    signals = []
    for competency, rows in by_competency.items():
        values = [s for _, s in rows]
        score = round(sum(values) / len(values))
        signal = next(name for floor, name in _SIGNALS if score >= floor)
        if max(values) - min(values) >= _DISAGREE:  # one strong and one weak answer average to neither
            signal = "mixed"
        signals.append(CompetencySignal(competency, signal, tuple(rows), score))
    signals.sort(key=lambda s: (-len(s.answers), -s.score, s.competency))
    return RoundNotes(notes, _overall(notes), signals)


def answer_note(number: int, question: Any, analysis: Any) -> AnswerNote:
    """One answer's notes: what its content showed, its time against the target, its delivery."""
    label = f"Q{number} {question.category.replace('_', ' ')}"
    coaching = analysis.coaching if analysis is not None else None
    if coaching is None:
        return AnswerNote(number, label, question.text, f"{label}: recorded, not analysed.")
    good: list[str] = []
    gaps: list[str] = []
    content = _content(coaching, good, gaps)
    timing = _timing(coaching.length, good, gaps)
    delivery = _delivery(coaching, analysis, good, gaps)
    pieces = ([", ".join(content)] if content else []) + [timing, *delivery]
    text = f"{label}: " + "; ".join(pieces) + "."
    scores = coaching.scores
    mean = round(sum(scores.values()) / len(scores)) if scores else None
    return AnswerNote(number, label, question.text, text, tuple(good), tuple(gaps), mean)


def _content(coaching, good: list[str], gaps: list[str]) -> list[str]:
    clauses: list[str] = []
    relevance = coaching.relevance
    if relevance is not None and not relevance.on_topic:
        gaps.append("off_topic")
        clauses.append("answered a different question from the one asked")
    check = coaching.follow_up_check
    if check is not None and check.answered is not None:
        if check.answered:
            good.append("follow_up_answered")
            clauses.append(f"answered the follow-up ({check.reason})")
        else:
            gaps.append("follow_up_missed")
            clauses.append(f"did not answer the follow-up ({check.reason})")
    if coaching.star is not None:
        clauses += _star_clauses(coaching.star, good, gaps)
    if coaching.think_aloud is not None:
        clauses += _think_clauses(coaching.think_aloud, good, gaps)
    return clauses


def _star_clauses(star: dict, good: list[str], gaps: list[str]) -> list[str]:
    present = star["present"]
    if not star.get("story", True):
        gaps.append("no_story")
        return ["no concrete story, general claims instead"]
    clauses = []
    share = star.get("time_share") or {}
    setup = share.get("situation", 0.0) + share.get("task", 0.0)
    if not present["situation"]:
        clauses.append("no context given")
    elif present["action"] and setup > share.get("action", 0.0):
        gaps.append("long_setup")
        clauses.append(f"long set-up ({setup:.0%} on situation and task)")
    else:
        clauses.append("clear situation")
    if not present["action"]:
        gaps.append("no_action")
        clauses.append("no actions of their own")
    elif star["ownership"] == "i":
        good.append("owned")
        clauses.append("actions owned ('I')")
    elif star["ownership"] == "we":
        gaps.append("we")
        clauses.append(f"actions told as 'we' ({star['we_count']} 'we', {star['i_count']} 'I')")
    elif star["ownership"] == "mixed":
        clauses.append("actions shared between 'I' and 'we'")
    else:
        clauses.append("unclear who did the work")
    if not present["result"]:
        gaps.append("no_result")
        clauses.append("no result")
    elif star["result_quantified"]:
        good.append("result_measured")
        clauses.append("result measured")
    else:
        gaps.append("result_unmeasured")
        clauses.append("result not measured")
    if not star["in_order"] and sum(present.values()) >= 3:
        gaps.append("out_of_order")
        clauses.append("parts out of order")
    elif all(present.values()) and star["in_order"]:
        good.append("story_complete")
    return clauses


def _think_clauses(think, good: list[str], gaps: list[str]) -> list[str]:
    clauses = []
    asked = len(think.clarifying_questions)
    if asked:
        good.append("clarifying")
        clauses.append(f"asked {asked} clarifying question{'s' if asked != 1 else ''}")
    else:
        gaps.append("no_clarifying")
        clauses.append("no clarifying questions")
    for done, (strength, said), (gap, missing) in (
            (think.signposting, ("structure", "structure announced"), ("no_structure", "no structure announced")),
            (think.tradeoffs_discussed, ("tradeoffs", "weighed a trade-off"), ("no_tradeoffs", "no trade-offs"))):
        (good if done else gaps).append(strength if done else gap)
        clauses.append(said if done else missing)
    total = len(think.concepts_covered) + len(think.concepts_missed)
    if total:
        covered = f"covered {len(think.concepts_covered)} of {total} expected points"
        if think.concepts_missed:
            gaps.append("concepts_missed")
            missed = ", ".join(think.concepts_missed[:2]) + (" ..." if len(think.concepts_missed) > 2 else "")
            covered += f" (not {missed})"
        else:
            good.append("covered")
        clauses.append(covered)
    return clauses


def _timing(length, good: list[str], gaps: list[str]) -> str:
    target = clock(length.target_s)
    if length.estimated:  # typed: the words at a speaking pace, not a measured time
        said = f"typed, about {clock(length.duration_s)} spoken"
        verdicts = {"long": f"{said}, long for a {target} target", "short": f"{said}, short of a {target} target"}
    else:
        said = clock(length.duration_s)
        verdicts = {"long": f"ran {said} against a {target} target", "short": f"stopped at {said} of a {target} target"}
    if length.verdict in verdicts:
        gaps.append(length.verdict)
        return verdicts[length.verdict]
    good.append("on_time")
    return f"on time ({said} for a {target} target)"


def _delivery(coaching, analysis, good: list[str], gaps: list[str]) -> list[str]:
    clauses = []
    pace = getattr(analysis, "pace", None)
    if pace is not None and pace.wpm > ACCEPTABLE_WPM[1]:
        gaps.append("pace_fast")
        clauses.append(f"rushed at {pace.wpm:.0f} wpm")
    elif pace is not None and pace.wpm < ACCEPTABLE_WPM[0]:
        gaps.append("pace_slow")
        clauses.append(f"slow at {pace.wpm:.0f} wpm")
    fillers = coaching.fillers
    per_100 = coaching.filler_rate.get("per_100_words") or 0.0
    if fillers and per_100 >= _FILLER_NOTE_PER_100:
        gaps.append("fillers")
        word, count = Counter(f.text.lower().strip(" ,.") for f in fillers).most_common(1)[0]
        said = f"said '{word}' {_times(count)}"
        if count < len(fillers):
            said += f" ({len(fillers)} fillers in all)"
        clauses.append(said)
    hedges = coaching.hedges
    if len(hedges) >= _HEDGE_NOTE_COUNT:
        gaps.append("hedges")
        word, _count = Counter(h.text.lower() for h in hedges).most_common(1)[0]
        clauses.append(f"hedged {_times(len(hedges))} ('{word}')")
    long_pauses = [p for p in getattr(analysis, "pauses", []) if p.long]
    if len(long_pauses) >= _SILENCE_NOTE_COUNT:
        gaps.append("silences")
        longest = max(p.duration_s for p in long_pauses)
        clauses.append(f"{len(long_pauses)} long silences, the longest {longest:.0f} s")
    if not fillers or per_100 < 2:
        if len(hedges) < _HEDGE_NOTE_COUNT and "pace_fast" not in gaps and "pace_slow" not in gaps:
            good.append("clean")
    return clauses


def _times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def _content_score(analysis) -> int | None:
    coaching = analysis.coaching if analysis is not None else None
    if coaching is None:
        return None
    values = [coaching.scores[name] for name in _CONTENT_SCORES if name in coaching.scores]
    return round(sum(values) / len(values)) if values else None


def _competencies(question) -> Sequence[str]:
    """A behavioral question's competencies; a think-aloud one is judged on its category (system design)."""
    names = tuple(question.competencies) or (question.category,)
    return [name.replace("_", " ") for name in names]


def _overall(notes: list[AnswerNote]) -> str:
    analysed = [n for n in notes if n.mean_score is not None]
    if not analysed:
        return "Nothing to judge: no answer of the round was analysed."
    best = max(analysed, key=lambda n: (n.mean_score, -n.number))
    reasons = ", ".join(_GOOD_NAMES[g] for g in sorted(best.good, key=list(_GOOD_NAMES).index)[:2])
    strongest = f"Strongest: {best.label} ({reasons or f'mean score {best.mean_score}'})"
    counts: Counter[str] = Counter(g for n in analysed for g in set(n.gaps))
    order = list(_GAP_NAMES)
    ranked = sorted(counts, key=lambda g: (-counts[g], order.index(g)))[:2]
    if not ranked:
        return f"{strongest}; work on: nothing recurs, keep the same habits."
    work_on = []
    for gap in ranked:
        where = [n.label.split()[0] for n in analysed if gap in n.gaps]
        work_on.append(f"{_GAP_NAMES[gap]} ({', '.join(where)})")
    return f"{strongest}; work on: {'; '.join(work_on)}."
