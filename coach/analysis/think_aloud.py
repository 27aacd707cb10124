"""The think-aloud rubric: how a candidate reasons out loud, not only what they conclude."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span




@dataclass
class ThinkAloudRubric:
    clarifying_questions: list[str] = field(default_factory=list)
    assumptions_stated: bool = False
    signposting: bool = False
    tradeoffs_discussed: bool = False
    summary_at_end: bool = False
    concepts_covered: list[str] = field(default_factory=list)
    concepts_missed: list[str] = field(default_factory=list)
    longest_silence_s: float | None = None


def checklist(rubric: ThinkAloudRubric) -> list[tuple[bool, str]]:
    """The rubric as (passed, line) pairs, the same in the report and the TUI."""
    rows = [
        (bool(rubric.clarifying_questions), f"clarifying questions: {len(rubric.clarifying_questions)}"),
        (rubric.assumptions_stated, "assumptions stated"),
        (rubric.signposting, "structure announced"),
        (rubric.tradeoffs_discussed, "a trade-off with both sides"),
        (rubric.summary_at_end, "summary at the end"),
    ]
    total = len(rubric.concepts_covered) + len(rubric.concepts_missed)
    if total:
        missed = f"; missed: {', '.join(rubric.concepts_missed)}" if rubric.concepts_missed else ""
        rows.append((not rubric.concepts_missed, f"concepts {len(rubric.concepts_covered)}/{total}{missed}"))
    if rubric.longest_silence_s is not None:
        rows.append((rubric.longest_silence_s <= 5, f"longest silence {rubric.longest_silence_s:.1f} s"))
    return rows


_TO_INTERVIEWER = re.compile(
    r"\b(you|your|can i assume|should i|may i|could i|do we|are we|is it|is there|does it|is the|are the|will we|"
    r"would it|do i|am i|can we|should we|is this|what's the|what is the|how (many|much|big|often|fast)|which)\b",
    re.I,
)
_ANSWER_OPENERS = re.compile(r"^(well|the answer|it's|it is|because|that's|basically|so|yes|no|well,)\b", re.I)
_ASSUMPTION = re.compile(
    r"\b(assum\w*|let's say|let us say|suppose|supposing|i'll take it that|i'll treat|i'm going to treat"
    r"|taking it as given|presumably|given that|if we say|i'll go with)\b",
    re.I,
)
_SIGNPOST = re.compile(
    r"\b(first(ly)?|second(ly)?|third(ly)?|finally|lastly|to start|let me start|i'll start|next,|then i'd|"
    r"(two|three|four|five) (things|parts|steps|pieces|stages|areas|components|ways|options|approaches)"
    r"|step one|the first (thing|step|part)|moving on|after that)\b",
    re.I,
)
_CONTRAST = re.compile(
    r"\b(but|whereas|while|however|on the other hand|at the cost of|the downside|the upside|the cost is|"
    r"in exchange|versus|vs|the catch|the price|at the expense of|although|though)\b",
    re.I,
)
_VAGUE_TRADEOFF = re.compile(r"^\W*(there are|there's|it has|they have|both have|with) (some |a few |many |lots of )?"
                             r"(trade-?offs?|pros and cons)\W*$", re.I)
_SUMMARY = re.compile(
    r"\b(to (sum|summari[sz]e|recap|wrap)( it)?( up)?|in summary|in short|overall|so (the|my) (plan|answer|approach|"
    r"recommendation) (is|would be)|all in all|in conclusion|putting it (all )?together|so,? to (sum|recap)|"
    r"my recommendation|bottom line)\b",
    re.I,
)
_COMPARATIVE = {"JJR", "RBR"}


def rubric(doc: Doc, expected_concepts: list[str] | None = None,
           longest_silence_s: float | None = None) -> ThinkAloudRubric:
    sentences = [s for s in doc.sents if any(not t.is_punct for t in s)]
    result = ThinkAloudRubric(longest_silence_s=longest_silence_s)
    result.clarifying_questions = _clarifying_questions(sentences)
    result.assumptions_stated = any(_ASSUMPTION.search(s.text) for s in sentences)
    result.signposting = sum(bool(_SIGNPOST.search(s.text)) for s in sentences) >= 2
    result.tradeoffs_discussed = any(_weighs_both_sides(s) for s in sentences)
    tail = sentences[-2:] if len(sentences) >= 4 else sentences[-1:]
    result.summary_at_end = any(_SUMMARY.search(s.text) for s in tail)
    covered, missed = concept_coverage(doc, expected_concepts or [])
    result.concepts_covered, result.concepts_missed = covered, missed
    return result


def _clarifying_questions(sentences: list[Span]) -> list[str]:
    questions = []
    for i, sentence in enumerate(sentences):
        text = sentence.text.strip()
        if not text.endswith("?"):
            continue
        following = sentences[i + 1].text.strip() if i + 1 < len(sentences) else ""
        addressed = bool(_TO_INTERVIEWER.search(text))
        # "What does that mean? It means...": the speaker asks and answers; not a question for us.
        answered_at_once = bool(following) and not following.endswith("?") and bool(_ANSWER_OPENERS.search(following)) \
            and not addressed
        if addressed and not answered_at_once and not re.match(r"^(so )?(what|why|how) (does|do|is) (that|this)\b", text, re.I):
            questions.append(text)
    return questions


_EVALUATIVE = {
    "fast", "slow", "cheap", "expensive", "costly", "accurate", "simple", "complex", "interpretable", "robust",
    "easy", "hard", "good", "bad", "high", "low", "risky", "safe", "stable", "noisy", "flexible", "scalable",
    "gain", "lose", "cost", "benefit", "risk", "squash", "swamp", "drop", "miss", "break", "stop", "help", "raise", "lower", "increase", "decrease", "improve", "hurt",
    "sacrifice", "precise", "fresh", "stale", "sparse", "memory", "latency", "accuracy", "speed", "precision",
    "recall", "variance", "bias", "overfit", "underfit", "quality", "coverage",
}


def _evaluations(tokens) -> int:
    count = 0
    for token in tokens:
        if token.tag_ in _COMPARATIVE or token.lower_ in {"more", "less", "fewer"} or token.pos_ == "ADJ":
            count += 1
        elif token.lemma_.lower() in _EVALUATIVE:
            count += 1
    return count


def _weighs_both_sides(sentence: Span) -> bool:
    """A trade-off with both sides named: what is gained and what is lost, each evaluated
    ("faster to train but less accurate"), not "there are trade-offs"."""
    text = sentence.text.strip()
    if _VAGUE_TRADEOFF.search(text) or re.search(r"between (different|various|the) (approaches|options|things)", text, re.I):
        return False
    if len([t for t in sentence if not t.is_punct]) < 8:
        return False
    mentions = bool(re.search(r"\btrade-?offs?\b", text, re.I))
    match = _CONTRAST.search(text)
    if match is None:
        return mentions and _evaluations(sentence) >= 2
    cut = sentence.start_char + match.start()
    before = [t for t in sentence if t.idx < cut]
    after = [t for t in sentence if t.idx >= cut]
    return _evaluations(before) >= 1 and _evaluations(after) >= 1


def _stem(word: str) -> str:
    # A crude shared stem: "sparse"/"sparsity", "regularise"/"regularization" meet at 5 letters.
    return word.lower()[:5]


def _content_stems(text: str) -> set[str]:
    from coach.analysis.language import nlp

    return {_stem(t.lemma_) for t in nlp()(text) if t.is_alpha and not t.is_stop and len(t) > 1}


def concept_coverage(doc: Doc, concepts: list[str]) -> tuple[list[str], list[str]]:
    """A concept is covered when its name appears, or at least half of its content words do
    (compared by a shared stem, so "sparse" covers "sparsity")."""
    answer = {_stem(t.lemma_) for t in doc if t.is_alpha} | {_stem(t.lower_) for t in doc if t.is_alpha}
    text = doc.text.lower()
    covered, missed = [], []
    for concept in concepts:
        stems = _content_stems(concept) or {_stem(concept)}
        hits = sum(stem in answer for stem in stems)
        if concept.lower() in text or hits >= max(1, -(-len(stems) // 2)):
            covered.append(concept)
        else:
            missed.append(concept)
    return covered, missed
