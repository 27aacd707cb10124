"""Does the answer address the question that was asked?

Two checks, each able to say why:

- **Form.** A behavioral question wants a story of something the speaker did, told in the past
  tense; a think-aloud question wants reasoning about what one would do. On the devset every
  behavioral answer has a past-tense verb in at least 75% of its sentences and no think-aloud
  answer in more than 38%, so the share of past-tense sentences tells a story from a design.
  This needs only spaCy.
- **Topic** (with the sentence encoder). A behavioral answer is compared with every behavioral
  question in the bank: off topic when another question fits it much better than the one asked
  ("a story about a disagreement" asked "an opportunity nobody asked you to look into"). A
  think-aloud answer must be near its question: on the devset each is at least 0.39 near (cosine)
  and an answer to another kind of question at most 0.23.

The thresholds were set on the devset and on answers paired with other questions
(benchmarks/meaning_eval.py); false alarms are measured on real answers that were never used to
set them. A stated topic check errs towards "on topic": a wrong "off topic" tells a user who did
answer the question to start again.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from spacy.tokens import Doc

#: A behavioral answer with fewer past-tense sentences than this reads as an explanation or a design.
STORY_MIN_PAST = 0.4
#: A think-aloud answer with more past-tense sentences than this reads as a story.
DESIGN_MAX_PAST = 0.6
#: A think-aloud answer less near its question than this (cosine) is about something else.
THINK_ALOUD_MIN_SIM = 0.3
#: A behavioral answer is off topic when another bank question fits it this much better than the
#: one asked (mean of its two nearest sentences), and the one asked ranks among the bottom tenth.
BEHAVIORAL_MAX_GAP = 0.25
BEHAVIORAL_MAX_RANK = 0.1


@dataclass(frozen=True)
class Relevance:
    """How well the answer addresses the question: a score out of 100, a verdict and why."""

    score: int
    on_topic: bool
    reason: str
    #: What was checked: "form" (grammar only, no encoder) or "form and topic".
    checked: str = "form and topic"

    def to_json(self) -> dict:
        return asdict(self)


def _past_share(doc: Doc) -> tuple[float, int]:
    """Share of sentences with a verb in the simple past, and how many sentences have a verb."""
    with_verb = past = 0
    for sentence in doc.sents:
        verbs = [t for t in sentence if t.pos_ in ("VERB", "AUX")]
        if not verbs:
            continue
        with_verb += 1
        past += any(t.tag_ == "VBD" for t in verbs)
    return (past / with_verb if with_verb else 0.0), with_verb


def _sentences(doc: Doc) -> list[str]:
    return [s.text.strip() for s in doc.sents if any(t.is_alpha for t in s)]


def _bank(kind: str) -> list[str]:
    from coach.questions.bank import load_questions

    try:
        return [q.text for q in load_questions() if q.kind == kind]
    except Exception:  # a broken user question file must not stop the analysis; the bundled bank is enough
        from coach.questions.bank import _bundled

        return [q.text for q in _bundled() if q.kind == kind]


def _short(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _top2(similarity: np.ndarray) -> np.ndarray:
    import numpy as np

    k = min(2, similarity.shape[0])
    return np.sort(similarity, axis=0)[-k:].mean(axis=0)


def encode_ahead(doc: Doc, question: str | None, kind: str) -> None:
    """Encode what :func:`judge` will need for an answer that is still being spoken: the question,
    the bank it is compared with, and every finished sentence of ``doc`` (the answer so far; its
    last sentence may go on). The encoder keeps them, so after the stop only the rest is encoded."""
    if not question or not question.strip():
        return
    from coach.analysis.embeddings import maybe_encode

    maybe_encode([question, *_bank(kind), *_sentences(doc)[:-1]])


def judge(doc: Doc, question: str | None, kind: str) -> Relevance | None:
    """Whether the parsed answer ``doc`` addresses ``question`` (None without a question)."""
    if not question or not question.strip():
        return None
    past, verb_sentences = _past_share(doc)
    form_off = None
    if verb_sentences >= 2:
        if kind == "behavioral" and past < STORY_MIN_PAST:
            form_off = ("it explains how things work or would be done, but the question asks for a story of "
                        "something you did")
        elif kind == "think_aloud" and past > DESIGN_MAX_PAST:
            form_off = "it tells a story of what happened, but the question asks you to reason through a design"

    from coach.analysis.embeddings import maybe_encode

    sentences = _sentences(doc)
    bank = _bank(kind)
    vectors = maybe_encode([question, *bank, *sentences]) if sentences else None
    if vectors is None:
        if form_off:
            return Relevance(25, False, f"This may not answer the question: {form_off}.", "form")
        return Relevance(100, True, "The answer has the form the question asks for (the topic was not checked: "
                                    "the sentence encoder is not installed).", "form")

    import numpy as np

    asked, refs, answer = vectors[0], vectors[1:1 + len(bank)], vectors[1 + len(bank):]
    if kind == "think_aloud":
        mean = answer.mean(axis=0)
        mean /= max(float(np.linalg.norm(mean)), 1e-12)
        near = float(mean @ asked)
        score = int(round(max(0.0, min(1.0, (near - 0.15) / (0.4 - 0.15))) * 100))
        if near < THINK_ALOUD_MIN_SIM or (form_off and near < THINK_ALOUD_MIN_SIM + 0.1):
            why = form_off or "it talks about something else than the problem the question sets"
            return Relevance(min(score, 35), False, f"This does not answer the question: {why}.")
        return Relevance(score, True, "The answer reasons about the problem the question sets.")

    near = float(_top2(answer @ asked[:, None])[0])
    others = _top2(answer @ refs.T) if len(bank) else np.zeros(0)
    gap = float(others.max() - near) if len(others) else 0.0
    rank = float((others < near).mean()) if len(others) else 1.0
    score = int(round(max(0.0, min(1.0, 1.0 - (gap - 0.1) / (BEHAVIORAL_MAX_GAP + 0.1 - 0.1))) * 100))
    if form_off:
        return Relevance(min(score, 25), False, f"This does not answer the question: {form_off}.")
    if gap >= BEHAVIORAL_MAX_GAP and rank <= BEHAVIORAL_MAX_RANK:
        better = bank[int(others.argmax())]
        return Relevance(min(score, 35), False,
                         f"This story seems to answer another question (\"{_short(better)}\") better than the "
                         "one asked: make clear how it shows what the question asks about.")
    return Relevance(max(score, 50), True, "The story addresses the question asked.")


def warm() -> bool:
    """Load the encoder and encode what every answer is compared with: the bank's questions, their
    concepts and the concepts' descriptions (about two seconds, once), so that an answer pays only
    for its own sentences; for the app's background loader. True when the encoder is ready."""
    from coach.analysis.embeddings import maybe_encode
    from coach.analysis.think_aloud import CONCEPT_DESCRIPTIONS
    from coach.questions.bank import load_questions

    try:
        questions = load_questions()
    except Exception:  # a broken user question file: warm the bundled bank
        from coach.questions.bank import _bundled

        questions = list(_bundled())
    concepts = {c for q in questions for c in q.concepts}
    texts = [q.text for q in questions] + sorted(concepts)
    texts += [d for c in sorted(concepts) for d in CONCEPT_DESCRIPTIONS.get(c.lower(), ())]
    return maybe_encode(texts) is not None
