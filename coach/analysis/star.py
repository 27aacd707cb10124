"""STAR structure: each sentence labelled situation, task, action, result or other.

A transparent scorer over the parse, not a trained model: every label is earned by cues a
coach would name (a first-person past-tense verb of doing is an action; an outcome verb or a
magnitude is a result; "my goal was" is a task), with the sentence's position as the
tie-breaker. The cues are listed in the README ("How answers are judged").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token



LABELS = ("situation", "task", "action", "result", "other")
PARTS = ("situation", "task", "action", "result")


@dataclass(frozen=True)
class LabelledSentence:
    text: str
    label: str
    start_char: int
    end_char: int
    start: float | None = None
    end: float | None = None


_PREAMBLE = re.compile(
    r"^\W*((sure|okay|ok|yeah|yes|right)\b\W*)*(great question|good question|that's a (good|great) question"
    r"|give me a (second|moment|sec)|let me think)"
    r"|\b(let me (tell|think|talk|walk)|i'll (tell|talk|walk)|i'll go with|i('ve| have) got (one|a good one)"
    r"|(there's|here's) (a|one) (good )?(one|example)|the best example|a (good|great) example"
    r"|i('d| would) (like to )?(talk|tell) about|(comes|springs) to mind|i can think of)\b",
    re.I,
)
_CLOSING = re.compile(
    r"^\W*((so|and|um|uh)\W+)*(yeah|that's (it|about it|the story|my story|basically it|how|what)"
    r"|that was (a good one|it|the story|a lot)|anyway)\b",
    re.I,
)
_REFLECTION = re.compile(
    r"\b(i should('ve| have)|i could('ve| have)|(i'm|i am) (most )?(proud|proudest)|the (clearest|best) (case|example)"
    r"|the one i'm|made the difference|i'd say that's|if i'm honest)\b",
    re.I,
)
_LESSON = re.compile(
    r"\b(i (learned|learnt|realized|realised) (that|a lot|how|to)|(the|my|a) (big |main |key )?(lesson|takeaway)"
    r"|taught me|in hindsight|looking back|next time|going forward|i would (do|have done)|i'd (do|have done)"
    r"|what i took away|i took away|if i (did|could do) it again|i now (always|make sure|try))\b",
    re.I,
)
_SITUATION_DETAIL = re.compile(r"\b(at (a|an|my|our)|from (my|when)|company|team|job|startup|bank|insurer|retailer)\b",
                               re.I)
_TASK = re.compile(
    r"\b((my|our|the) (job|goal|task|role|responsibility|mandate|mission|objective|assignment|brief)"
    r"( here| for the \w+)? (was|is)|was mine to|were mine to|had to be (live|done|ready|shipped|in)"
    r"|(had|have) (about |only |just )?(a |an |\w+ )?(weeks?|days?|months?|quarters?|sprints?) to"
    r"|i('d| had) committed to|i (decided|offered|volunteered|agreed) to|brief was|i was supposed to|were supposed to"
    r"|i was (asked|tasked|responsible|supposed|expected|assigned|brought in|hired)|i needed to|we needed to|i had to"
    r"|we had to|needed to (be|get|ship|deliver|figure|find|decide)|(had|have) (only )?(\w+ )?(weeks?|days?|months?) to"
    r"|deadline|it was (up to|on) me|(i|we) (had|have) been asked|fell (on|to) me|i owned|i was the owner"
    r"|the ask was|was on the hook)\b",
    re.I,
)
_STRONG_RESULT = re.compile(
    r"\b(as a result|in the end|ultimately|the (end )?(result|outcome|impact)( of (that|this|it))? (was|is)"
    r"|the outcome first|(it|that|this|everything) worked out|went (really )?(well|smoothly|fine)|was a (big )?success"
    r"|(is|are) now (standard|part of|the default|used)|to this day|still (use|uses|used|running))\b",
    re.I,
)
_FINDING = re.compile(
    r"\b(turned out|it turns out|i (found|noticed|realized|realised|discovered|saw|learned) (that|the|it|a)"
    r"|(had|'d) (changed|broken|been|stopped|started)|was because|were because|the (cause|culprit|problem|issue) was)\b",
    re.I,
)
_RESULT = re.compile(
    r"\b(as a result|in the end|at the end|ultimately|eventually|the (result|outcome|impact) (was|is)|ended up"
    r"|which (meant|led|resulted|cut|saved|reduced|improved|increased)|that (led|resulted)|this (led|resulted)"
    r"|(went|dropped|fell|rose|grew|jumped|came) (from|down|up|to)|by the end|afterwards|after that launch"
    r"|got promoted|was promoted|(my|our) (manager|lead|director|vp|team) (said|told|praised|thanked|called)"
    r"|(praised|thanked|recognized|recognised)|adopted|rolled out to|now (uses|use|runs|run|used)|is still (in|used|running))\b",
    re.I,
)
_OUTCOME_LEMMAS = {
    "reduce", "increase", "improve", "cut", "drop", "save", "grow", "boost", "decrease", "lower", "raise",
    "double", "triple", "halve", "lift", "recover", "jump", "fall", "rise", "shrink", "speed", "accelerate",
    "outperform", "beat", "exceed", "win", "earn", "generate", "prevent", "catch", "eliminate",
}
_STATE_LEMMAS = {"be", "have", "work", "exist", "use", "own", "run", "serve", "sit", "belong", "consist", "include"}
_WANT_LEMMAS = {"need", "want", "have", "must", "should", "plan", "hope", "aim", "expect", "ask", "require"}
_SITUATION = re.compile(
    r"^\W*(one|last|a few|a couple of|two|three|early|late) (monday|tuesday|wednesday|thursday|friday|day|morning|"
    r"night|week|year|month|quarter|summer|winter|spring|autumn|fall|weeks|months|years)"
    r"|\b(at my (last|previous|current|old|first) (job|company|role|team|employer|startup)|when i was (at|working)"
    r"|i (was|am) (working|a|an|the|on|at|part)|i worked (at|as|on)|our team (was|had|is|owned|ran)"
    r"|we (were|had) (a|an|this|some|the|two|three|about)|there (was|were|is|are)|(a|one) (few|couple of) (years|months) ago"
    r"|last (year|quarter|summer|spring|fall|winter)|back (in|when)|the (company|team|product|model|system|pipeline) (was|had|is)"
    r"|it was (a|an|the) )\b",
    re.I,
)


def is_lesson(text: str) -> bool:
    return bool(_LESSON.search(text))


def spoken_sentences(doc: Doc) -> list[Span]:
    return [s for s in doc.sents if any(not t.is_punct for t in s)]


def label_sentences(doc: Doc, model: LabelModel | None = None) -> list[tuple[Span, str]]:
    """Label every sentence: with the trained model when it ships, else with the cue rules."""
    sentences = spoken_sentences(doc)
    total = len(sentences)
    model = model or default_model()
    if model is None:
        return [(sentence, _label(sentence, i, total)) for i, sentence in enumerate(sentences)]
    labels = model.predict([sentence_features(sentence, i, total) for i, sentence in enumerate(sentences)])
    return list(zip(sentences, labels))


_CUES = {
    "task": _TASK, "result": _RESULT, "strong_result": _STRONG_RESULT, "situation": _SITUATION,
    "finding": _FINDING, "lesson": _LESSON, "closing": _CLOSING, "preamble": _PREAMBLE, "reflection": _REFLECTION,
}


def sentence_features(sentence: Span, index: int, total: int) -> dict[str, float]:
    """What the trained labeller sees: the rule scorer's verdict and cues, the sentence's place in
    the answer, its main verb, subject and tense, whether it carries a magnitude, and its words."""
    text = sentence.text
    position = index / max(1, total - 1)
    root = sentence.root
    subject = _subject(root)
    features: dict[str, float] = {
        "position": position, "position^2": position**2, "first": float(index == 0),
        "last": float(index == total - 1), "rule=" + _label(sentence, index, total): 1.0,
        "root_tag=" + root.tag_: 1.0, "root_lemma=" + root.lemma_.lower(): 1.0,
        "subject=" + (subject.lower_ if subject is not None else "none"): 1.0,
        "magnitude": float(_has_magnitude(sentence)), "past_action": float(_has_main_past_action(sentence)),
    }
    for name, pattern in _CUES.items():
        if pattern.search(text):
            features["cue=" + name] = 1.0
    for token in sentence:
        if token.is_alpha:
            key = "word=" + token.lemma_.lower()
            features[key] = features.get(key, 0.0) + 1.0
    return features


class LabelModel:
    """A multinomial logistic regression over :func:`sentence_features`, stored as plain JSON
    (trained by benchmarks/train_star.py on tests/devset) and applied with numpy."""

    def __init__(self, classes: list[str], vocabulary: dict[str, int], weights, bias) -> None:
        import numpy as np

        self.classes = classes
        self.vocabulary = vocabulary
        self.weights = np.asarray(weights, dtype=np.float32)
        self.bias = np.asarray(bias, dtype=np.float32)

    @classmethod
    def load(cls, path: Path) -> LabelModel:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(data["classes"], data["vocabulary"], data["weights"], data["bias"])

    def save(self, path: Path, **metadata) -> None:
        data = {"classes": self.classes, "vocabulary": self.vocabulary,
                "weights": [[round(float(w), 4) for w in row] for row in self.weights],
                "bias": [round(float(b), 4) for b in self.bias], **metadata}
        path.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")

    def predict(self, rows: list[dict[str, float]]) -> list[str]:
        import numpy as np

        if not rows:
            return []
        matrix = np.zeros((len(rows), len(self.vocabulary)), dtype=np.float32)
        for r, row in enumerate(rows):
            for name, value in row.items():
                column = self.vocabulary.get(name)
                if column is not None:
                    matrix[r, column] = value
        scores = matrix @ self.weights.T + self.bias
        return [self.classes[i] for i in scores.argmax(axis=1)]


MODEL_PATH = Path(__file__).with_name("star_model.json")


@cache
def default_model() -> LabelModel | None:
    return LabelModel.load(MODEL_PATH) if MODEL_PATH.is_file() else None


def _label(sentence: Span, index: int, total: int) -> str:
    text = sentence.text.strip()
    position = index / max(1, total - 1)
    words = [t for t in sentence if not t.is_punct]
    late = index >= total - 2 and total > 3
    if (_CLOSING.search(text) and len(words) <= 14) or (len(words) <= 3 and index == total - 1 and total > 2):
        return "other"
    if _LESSON.search(text) or (late and _REFLECTION.search(text)):
        return "other"
    if index <= 1 and _PREAMBLE.search(text) and not _TASK.search(text) and len(words) <= 16 \
            and not _has_main_past_action(sentence) and not _SITUATION_DETAIL.search(text):
        return "other"
    scores = dict.fromkeys(LABELS, 0.0)
    root = sentence.root
    if _TASK.search(text):
        scores["task"] += 3.0
    if _STRONG_RESULT.search(text):
        scores["result"] += 3.0
    elif _RESULT.search(text):
        scores["result"] += 2.0
    if _FINDING.search(text):
        scores["action"] += 1.5
    if _SITUATION.search(text):
        scores["situation"] += 1.5
    outcome = [t for t in sentence if t.lemma_.lower() in _OUTCOME_LEMMAS and t.pos_ == "VERB"]
    if outcome:
        subjects = [_subject(t) for t in outcome]
        # "latency dropped": a thing changed; "I reduced latency by 40%": the change is the point.
        scores["result"] += 1.0 if any(s is None or s.lower_ not in {"i", "we"} for s in subjects) else 0.6
    if _has_magnitude(sentence):
        scores["result"] += 1.0
    if _has_main_past_action(sentence):
        scores["action"] += 2.0
        if _subject(root) is not None and _subject(root).lower_ in {"i", "we"}:
            scores["action"] += 0.5
    if root.lemma_.lower() in _STATE_LEMMAS and root.tag_ in {"VBD", "VBZ", "VBP"}:
        scores["situation"] += 1.0
    if any(t.tag_ == "VBG" and t.dep_ == "ROOT" for t in sentence) or _past_progressive(sentence):
        scores["situation"] += 0.7
    if root.lemma_.lower() in _WANT_LEMMAS and any(c.dep_ == "xcomp" for c in root.children):
        scores["task"] += 1.0
    # Position: stories open with the setting and close with the outcome.
    scores["situation"] += 0.8 * (1 - position) ** 2
    scores["result"] += 0.8 * position**2
    scores["action"] += 0.3
    best = max(scores, key=lambda label: scores[label])
    return best


def _subject(verb: Token) -> Token | None:
    return next((c for c in verb.children if c.dep_ in {"nsubj", "nsubjpass"}), None)


def _has_main_past_action(sentence: Span) -> bool:
    """A first-person subject doing something in the past: "I rewrote", "we ran", "I'd set up"."""
    for token in sentence:
        if token.pos_ != "VERB" or token.lemma_.lower() in _STATE_LEMMAS | _WANT_LEMMAS:
            continue
        subject = _subject(token)
        if subject is None and token.dep_ == "conj":
            subject = _subject(token.head)
        if subject is not None and subject.lower_ in {"i", "we"} and token.tag_ in {"VBD", "VBN"}:
            if not any(c.dep_ == "aux" and c.lower_ in {"would", "will", "'ll", "should", "could"} for c in token.children):
                return True
    return False


def _past_progressive(sentence: Span) -> bool:
    return any(t.tag_ == "VBG" and any(c.lower_ in {"was", "were"} for c in t.children) for t in sentence)


_NOT_RESULT_UNITS = {
    "people", "person", "engineers", "engineer", "members", "member", "folks", "teammates", "reports", "analysts",
    "scientists", "developers", "interns", "years", "year", "months", "month", "weeks", "week", "days", "day",
    "hours", "hour", "minutes", "am", "pm",
}
_MAGNITUDE_WORDS = {"half", "double", "doubled", "tripled", "halved", "twice", "thrice", "tenfold", "fold", "percent",
                    "%", "x", "times", "orders"}


def _has_magnitude(sentence: Span) -> bool:
    """A number, percentage or "cut in half" on an outcome; not a team size, date or duration."""
    tokens = list(sentence)
    for i, token in enumerate(tokens):
        lower = token.lower_
        if lower in _MAGNITUDE_WORDS and lower not in {"x", "times"}:
            return True
        if token.like_num or re.fullmatch(r"\d+(\.\d+)?(%|x|k|m|ms|s)?", lower):
            if re.fullmatch(r"(19|20)\d\d", lower):
                continue  # a year
            if lower == "one" and token.pos_ != "NUM":
                continue  # "the original one": a pronoun
            following = tokens[i + 1].lower_ if i + 1 < len(tokens) else ""
            if following in _NOT_RESULT_UNITS and not _change_context(tokens, i):
                continue
            if following == "of" and i + 2 < len(tokens) and tokens[i + 2].lower_ in {"us", "them"}:
                continue
            return True
    return False


def _change_context(tokens: list[Token], i: int) -> bool:
    """"from three weeks to two days" or "by two days": a duration that is itself the outcome."""
    window = {t.lower_ for t in tokens[max(0, i - 3) : i]}
    return bool(window & {"from", "to", "by", "under", "within", "down", "saved", "save", "cut"})


def result_quantified(labelled: list[tuple[Span, str]]) -> bool:
    return any(label == "result" and _has_magnitude(sentence) for sentence, label in labelled)


def _agent(sentence: Span) -> str | None:
    """Who does the action a sentence reports: the subject of its first main clause."""
    verbs = [sentence.root] + [t for t in sentence if t.pos_ in {"VERB", "AUX"} and t is not sentence.root]
    for verb in verbs:
        subject = _subject(verb)
        if subject is None:
            continue
        words = {t.lower_ for t in subject.subtree}
        if subject.lower_ == "we" or "we" in words or ({"i", "me"} & words and len(words) > 1) \
                or (subject.lower_ == "team" and "our" in words):
            return "we"
        if subject.lower_ in {"i", "part"} and ("my" in words or subject.lower_ == "i"):
            return "i"
        return None
    return None


def ownership(labelled: list[tuple[Span, str]]) -> tuple[str | None, int, int]:
    """Who acts in the action sentences: "i", "we" or "mixed", with the sentence counts.

    Each action sentence has one agent; "i" when I-sentences are at least twice the
    we-sentences, "we" the other way round, else "mixed"."""
    agents = [_agent(sentence) for sentence, label in labelled if label == "action"]
    i_count, we_count = agents.count("i"), agents.count("we")
    if not i_count and not we_count:
        return None, 0, 0
    if i_count >= 2 * we_count:
        return "i", i_count, we_count
    if we_count >= 2 * i_count:
        return "we", i_count, we_count
    return "mixed", i_count, we_count


def in_order(labels: list[str]) -> bool:
    firsts = [labels.index(part) for part in PARTS if part in labels]
    return firsts == sorted(firsts)
