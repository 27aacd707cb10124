"""STAR structure: each sentence labelled situation, task, action, result or other.

Each sentence gets a score per label from a logistic regression over what a coach would look at
(cue phrases, the sentence's place in the answer, its main verb's tense and aspect, who the subject
is, outcome verbs, magnitudes with units, note-style verb-first fragments, S/T/A/R headers and its
words); the labels of a whole answer are then decoded together (Viterbi) with the order stories
are told in: a transition matrix and first/last-sentence priors learned from labelled answers. The
cue rules alone still label when no model ships. A model may also weigh each sentence's vector from
the sentence encoder (benchmarks/train_star.py --meaning); the shipped one does not, because in
cross-validation that lowered the result-present and ownership flags (README, STAR). Trained by benchmarks/train_star.py on
tests/trainset (written and labelled here); measured on real answers by benchmarks/star_real_eval.py.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache, lru_cache
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
    r"|what i took away|i took away|if i (did|could do) it again|i now (always|make sure|try)"
    r"|(since then|from (that point|then) on|ever since|these days),? (i|we) (always|never|now|make sure|try)"
    r"|now i (always|never|make sure|try))\b",
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


@lru_cache(maxsize=8192)
def _found(pattern: re.Pattern, text: str) -> bool:
    """Whether a cue pattern occurs in a sentence: the rules and the features ask the same questions
    of the same sentence, so each is answered once."""
    return pattern.search(text) is not None


def is_lesson(text: str) -> bool:
    return _found(_LESSON, text)


def spoken_sentences(doc: Doc) -> list[Span]:
    return [s for s in doc.sents if any(not t.is_punct for t in s)]


def label_sentences(doc: Doc, model: LabelModel | None = None, vectors=None) -> list[tuple[Span, str]]:
    """Label every sentence: with the trained model when it ships, else with the cue rules.

    A model that reads meaning gets each sentence's encoder vector (`vectors`, one row per spoken
    sentence, or encoded here: the encoder caches by text, so the relevance check's vectors of the
    same sentences are reused); without the encoder its cue-only fallback labels."""
    sentences = spoken_sentences(doc)
    total = len(sentences)
    model = model or default_model()
    if model is None:
        return [(sentence, _label(sentence, i, total)) for i, sentence in enumerate(sentences)]
    rows = [sentence_features(sentence, i, total) for i, sentence in enumerate(sentences)]
    if model.meaning_weights is not None and sentences:
        if vectors is None:
            from coach.analysis.embeddings import maybe_encode

            vectors = maybe_encode(sentence_texts(sentences))
        if vectors is None or len(vectors) != len(sentences):
            if model.fallback is None:
                return [(sentence, _label(sentence, i, total)) for i, sentence in enumerate(sentences)]
            return list(zip(sentences, model.fallback.decode(rows)))
        return list(zip(sentences, model.decode(rows, vectors)))
    return list(zip(sentences, model.decode(rows)))


def sentence_texts(sentences: list[Span]) -> list[str]:
    """What the encoder is given for each sentence (as the relevance check gives it, so cached once)."""
    return [sentence.text.strip() for sentence in sentences]


def meaning_matrix(vectors, variant: str, scale: float):
    """The meaning features of an answer's sentences: each sentence's unit vector and, with
    variant "emb+rel", its difference from the answer's mean vector (what sets the sentence apart
    from the rest of its story), times `scale` (unit vectors have small components; the scale
    sets how strongly the regularised regression may lean on them against the cues)."""
    import numpy as np

    vectors = np.asarray(vectors, dtype=np.float32)
    parts = [vectors]
    if variant == "emb+rel":
        parts.append(vectors - vectors.mean(axis=0, keepdims=True))
    elif variant != "emb":
        raise ValueError(f"unknown meaning variant {variant!r}")
    return np.hstack(parts) * scale


_CUES = {
    "task": _TASK, "result": _RESULT, "strong_result": _STRONG_RESULT, "situation": _SITUATION,
    "finding": _FINDING, "lesson": _LESSON, "closing": _CLOSING, "preamble": _PREAMBLE, "reflection": _REFLECTION,
}


def sentence_features(sentence: Span, index: int, total: int) -> dict[str, float]:
    """What the trained labeller sees: the rule scorer's verdict and cues, the sentence's place in
    the answer, its main verb's tense, aspect and subject, outcome verbs, magnitudes, note-style
    fragments and headers, and its words."""
    text = sentence.text
    position = index / max(1, total - 1)
    root = sentence.root
    subject = _subject(root)
    features: dict[str, float] = {
        "position": position, "position^2": position**2, "first": float(index == 0),
        "last": float(index == total - 1), "second": float(index == 1), "penultimate": float(index == total - 2),
        f"pos_bin={min(4, int(5 * index / max(1, total)))}": 1.0, "short_answer": float(total <= 3),
        "rule=" + _label(sentence, index, total): 1.0,
        "root_tag=" + root.tag_: 1.0, "root_lemma=" + root.lemma_.lower(): 1.0,
        "subject=" + (subject.lower_ if subject is not None else "none"): 1.0,
        "person=" + _person(sentence): 1.0, "tense=" + _tense(sentence): 1.0,
        "magnitude": float(_has_magnitude(sentence)), "quantity": float(has_quantity(sentence)),
        "past_action": float(_has_main_past_action(sentence)), "note_verb": float(_note_verb(sentence)),
        "first_word=" + _first_word(sentence): 1.0,
    }
    role = _copula_role(sentence)
    if role:
        features["copula_role=" + role] = 1.0
    header = _header(text)
    if header:
        features["header=" + header] = 1.0
    outcome = [t for t in sentence if t.lemma_.lower() in _OUTCOME_LEMMAS and t.pos_ in {"VERB", "NOUN"}]
    if outcome:
        features["outcome_verb"] = 1.0
        features["outcome_subject=" + _person_of(_subject(outcome[0]))] = 1.0
    if _found(_GENERIC, text) and _tense(sentence) in {"present", "modal"}:
        features["generic"] = 1.0
    if _found(_TIME_OPENER, text):
        features["time_opener"] = 1.0
    for name, pattern in _CUES.items():
        if _found(pattern, text):
            features["cue=" + name] = 1.0
    for token in sentence:
        if token.is_alpha:
            key = "word=" + token.lemma_.lower()
            features[key] = features.get(key, 0.0) + 1.0
    return features


_HEADERS = {"situation": "situation", "context": "situation", "background": "situation", "s": "situation",
            "task": "task", "goal": "task", "problem": "task", "t": "task", "action": "action", "actions": "action",
            "a": "action", "result": "result", "results": "result", "outcome": "result", "impact": "result",
            "r": "result", "lesson": "other", "learning": "other", "lessons": "other"}
_HEADER_WORDS = "|".join(sorted(_HEADERS, key=len, reverse=True))
_HEADER = re.compile(rf"^\W*({_HEADER_WORDS})\s*[:\-\u2013]", re.I)
_GENERIC = re.compile(r"\b(always|usually|generally|tend to|i would|i'd|i believe|i like to|i try to|i make sure"
                      r"|you can|you should|is (the )?key|is important)\b", re.I)
_TIME_OPENER = re.compile(r"^\W*(\w+ (days?|weeks?|months?|hours?) (before|after|later|into)|the (next|following)"
                          r"|by the (end|time)|after (that|a|two|three|the)|within|eventually|finally|in the end)\b",
                          re.I)
_IRREGULAR_PAST = {
    "built", "wrote", "set", "cut", "ran", "made", "took", "led", "sent", "got", "found", "met", "spent", "shut",
    "put", "kept", "held", "gave", "brought", "bought", "chose", "drew", "drove", "fed", "fought", "felt", "left",
    "lost", "paid", "read", "rebuilt", "rewrote", "reran", "sat", "saw", "split", "spoke", "stood", "taught", "told",
    "thought", "won", "began", "did", "went", "came", "grew", "shipped", "moved", "caught", "dropped",
}


_ACTION_NOUNS = {"action", "step", "approach", "solution", "move", "fix", "response", "contribution", "part",
                 "strategy", "idea", "decision", "plan", "method", "tactic"}
_GOAL_NOUNS = {"goal", "task", "job", "responsibility", "role", "objective", "mission", "assignment", "aim",
               "target", "challenge", "brief", "mandate", "remit", "priority"}


def _copula_role(sentence: Span) -> str | None:
    """ "My action was to ...", "my first step was ..." (an action) against "my goal was to ..." (a task)."""
    root = sentence.root
    if root.lemma_ != "be":
        return None
    subject = _subject(root)
    if subject is None or not any(c.lower_ in {"my", "our"} for c in subject.children):
        return None
    lemma = subject.lemma_.lower()
    return "action" if lemma in _ACTION_NOUNS else ("goal" if lemma in _GOAL_NOUNS else None)


def _header(text: str) -> str | None:
    match = _HEADER.match(text)
    return _HEADERS[match.group(1).lower()] if match else None


def _first_word(sentence: Span) -> str:
    for token in sentence:
        if token.is_alpha and not (token.i == sentence.start and _header(sentence.text)):
            return token.lower_ if token.lower_ in _DISCOURSE else "content"
    return "none"


_DISCOURSE = {"so", "and", "but", "then", "after", "when", "as", "since", "eventually", "finally", "ultimately",
              "overall", "because", "while", "during", "once", "before", "um", "uh", "okay", "yeah", "well",
              "first", "next", "also", "in", "at", "we", "i", "my", "our", "the", "this", "that", "it", "they"}


def _note_verb(sentence: Span) -> bool:
    """A verb-first note with no subject: "Added null checks.", "Action: rewrote the join."."""
    words = [t for t in sentence if t.is_alpha]
    if _header(sentence.text) and words:
        words = words[1:]
    if not words:
        return False
    first = words[0]
    if first.lower_ in {"i", "we", "my", "our"}:
        return False
    return first.tag_ in {"VBD", "VBN"} or first.lower_ in _IRREGULAR_PAST or (
        first.lower_.endswith("ed") and len(first) > 4 and first.is_title)


def _person_of(token: Token | None) -> str:
    if token is None:
        return "none"
    words = {t.lower_ for t in token.subtree}
    if token.lower_ == "we" or "we" in words or ({"i", "me"} & words and len(words) > 1):
        return "we"
    if token.lower_ == "i":
        return "i"
    if "my" in words:
        return "my"
    if "our" in words:
        return "our"
    if token.lower_ in {"he", "she", "they", "it", "this", "that", "there"}:
        return token.lower_ if token.lower_ in {"it", "this", "that", "there"} else "third"
    return "noun"


def _person(sentence: Span) -> str:
    return _person_of(_subject(sentence.root))


def _tense(sentence: Span) -> str:
    """Tense and aspect of the main clause: past, past_perfect, present_perfect, past_progressive,
    present, modal (would/will/could: hypotheticals and plans), or none (a fragment)."""
    root = sentence.root
    auxes = [c for c in root.children if c.dep_ in {"aux", "auxpass"}]
    if any(a.tag_ == "MD" for a in auxes):
        return "modal"
    if root.tag_ == "VBN" and any(a.lower_ in {"had", "'d"} for a in auxes):
        return "past_perfect"
    if root.tag_ == "VBN" and any(a.lower_ in {"has", "have", "'ve", "'s"} for a in auxes):
        return "present_perfect"
    if root.tag_ == "VBG" and any(a.lower_ in {"was", "were"} for a in auxes):
        return "past_progressive"
    if root.tag_ == "VBD" or any(a.tag_ == "VBD" for a in auxes):
        return "past"
    if root.tag_ in {"VBZ", "VBP"} or any(a.tag_ in {"VBZ", "VBP"} for a in auxes):
        return "present"
    if root.tag_ == "VBN" and _note_verb(sentence):
        return "past"
    return "none"


class LabelModel:
    """Per-sentence label scores from a multinomial logistic regression over :func:`sentence_features`,
    decoded jointly over the answer with label transitions and first/last-sentence priors (all log
    probabilities). Stored as plain JSON (benchmarks/train_star.py) and applied with numpy."""

    def __init__(self, classes: list[str], vocabulary: dict[str, int], weights, bias, transitions=None,
                 start=None, end=None, transition_weight: float = 1.0, meaning_weights=None,
                 meaning_variant: str = "emb", meaning_scale: float = 1.0, fallback: LabelModel | None = None) -> None:
        import numpy as np

        self.classes = classes
        self.vocabulary = vocabulary
        self.weights = np.asarray(weights, dtype=np.float32)
        self.bias = np.asarray(bias, dtype=np.float32)
        k = len(classes)
        self.transitions = np.zeros((k, k), np.float32) if transitions is None else np.asarray(transitions, np.float32)
        self.start = np.zeros(k, np.float32) if start is None else np.asarray(start, np.float32)
        self.end = np.zeros(k, np.float32) if end is None else np.asarray(end, np.float32)
        self.transition_weight = transition_weight
        #: Weights on :func:`meaning_matrix` (None: a cue-only model).
        self.meaning_weights = None if meaning_weights is None else np.asarray(meaning_weights, np.float32)
        self.meaning_variant = meaning_variant
        self.meaning_scale = meaning_scale
        #: The cue-only model used when the encoder is not there.
        self.fallback = fallback

    @classmethod
    def from_dict(cls, data: dict) -> LabelModel:
        fallback = cls.from_dict(data["fallback"]) if isinstance(data.get("fallback"), dict) else None
        return cls(data["classes"], data["vocabulary"], data["weights"], data["bias"], data.get("transitions"),
                   data.get("start"), data.get("end"), data.get("transition_weight", 0.0),
                   data.get("meaning_weights"), data.get("meaning_variant", "emb"),
                   float(data.get("meaning_scale", 1.0)), fallback)

    @classmethod
    def load(cls, path: Path) -> LabelModel:
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))

    def to_dict(self) -> dict:
        def rounded(rows):
            return [[round(float(w), 4) for w in row] for row in rows]

        data = {"classes": self.classes, "vocabulary": self.vocabulary, "weights": rounded(self.weights),
                "bias": [round(float(b), 4) for b in self.bias], "transitions": rounded(self.transitions),
                "start": [round(float(b), 4) for b in self.start], "end": [round(float(b), 4) for b in self.end],
                "transition_weight": self.transition_weight}
        if self.meaning_weights is not None:
            data.update(meaning_weights=rounded(self.meaning_weights), meaning_variant=self.meaning_variant,
                        meaning_scale=self.meaning_scale)
        if self.fallback is not None:
            data["fallback"] = self.fallback.to_dict()
        return data

    def save(self, path: Path, **metadata) -> None:
        from coach.safe_files import write_atomic

        # A file shipped in the package, read by every user: world-readable, unlike the user's data.
        write_atomic(path, json.dumps({**self.to_dict(), **metadata}, separators=(",", ":")), mode=0o644)

    def log_probabilities(self, rows: list[dict[str, float]], vectors=None):
        import numpy as np

        matrix = np.zeros((len(rows), len(self.vocabulary)), dtype=np.float32)
        for r, row in enumerate(rows):
            for name, value in row.items():
                column = self.vocabulary.get(name)
                if column is not None:
                    matrix[r, column] = value
        scores = matrix @ self.weights.T + self.bias
        if self.meaning_weights is not None:
            if vectors is None:
                raise ValueError("this model reads meaning: pass the sentences' encoder vectors")
            scores = scores + meaning_matrix(vectors, self.meaning_variant, self.meaning_scale) @ self.meaning_weights.T
        scores -= scores.max(axis=1, keepdims=True)
        return scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))

    def predict(self, rows: list[dict[str, float]], vectors=None) -> list[str]:
        """Each sentence on its own (no order): the best-scoring label."""
        if not rows:
            return []
        return [self.classes[i] for i in self.log_probabilities(rows, vectors).argmax(axis=1)]

    def decode(self, rows: list[dict[str, float]], vectors=None) -> list[str]:
        """The best label sequence for one answer's sentences, in order (Viterbi)."""
        if not rows:
            return []
        emission = self.log_probabilities(rows, vectors)
        w = self.transition_weight
        score = emission[0] + w * self.start
        back = []
        for i in range(1, len(rows)):
            candidates = score[:, None] + w * self.transitions
            back.append(candidates.argmax(axis=0))
            score = candidates.max(axis=0) + emission[i]
        score = score + w * self.end
        best = [int(score.argmax())]
        for pointers in reversed(back):
            best.append(int(pointers[best[-1]]))
        return [self.classes[i] for i in reversed(best)]


MODEL_PATH = Path(__file__).with_name("star_model.json")


@cache
def default_model() -> LabelModel | None:
    return LabelModel.load(MODEL_PATH) if MODEL_PATH.is_file() else None


def _label(sentence: Span, index: int, total: int) -> str:
    text = sentence.text.strip()
    position = index / max(1, total - 1)
    words = [t for t in sentence if not t.is_punct]
    late = index >= total - 2 and total > 3
    if (_found(_CLOSING, text) and len(words) <= 14) or (len(words) <= 3 and index == total - 1 and total > 2):
        return "other"
    if _found(_LESSON, text) or (late and _found(_REFLECTION, text)):
        return "other"
    if index <= 1 and _found(_PREAMBLE, text) and not _found(_TASK, text) and len(words) <= 16 \
            and not _has_main_past_action(sentence) and not _found(_SITUATION_DETAIL, text):
        return "other"
    scores = dict.fromkeys(LABELS, 0.0)
    root = sentence.root
    if _found(_TASK, text):
        scores["task"] += 3.0
    role = _copula_role(sentence)
    if role == "action":
        scores["action"] += 3.5  # "My action was to ...": an action, however much it looks like "my goal was to"
    elif role == "goal":
        scores["task"] += 1.0
    if _found(_STRONG_RESULT, text):
        scores["result"] += 3.0
    elif _found(_RESULT, text):
        scores["result"] += 2.0
    if _found(_FINDING, text):
        scores["action"] += 1.5
    if _found(_SITUATION, text):
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


_NUMBER = re.compile(r"\d+(\.\d+)?(%|x|k|m|ms|s)?")
_YEAR = re.compile(r"(19|20)\d\d")
_ORDINAL_DIGITS = re.compile(r"\d+(st|nd|rd|th)")
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
        if token.like_num or _NUMBER.fullmatch(lower):
            if _YEAR.fullmatch(lower):
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


_ORDINALS = {"first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
             "eleventh", "twelfth", "twentieth", "hundredth", "last", "next"}
_QUANTITY_WORDS = {"half", "halved", "double", "doubled", "triple", "tripled", "quadrupled", "twice", "thrice",
                   "tenfold", "twofold", "threefold", "percent", "percentage", "%", "zero", "dozen", "dozens",
                   "hundreds", "thousands", "millions"}
_FRACTION = re.compile(r"\b(by|to|about|nearly|almost|over|a) (a )?(third|quarter|fifth|tenth)s?\b(?! of (the|a|an) "
                       r"(year|day|week|month))", re.I)


# "under a second", "within an hour", "from a day to ...": a duration with no digit in it.
_SPELLED_DURATION = re.compile(r"\b(under|within|in under|less than|more than|than|from|to|down to|in) (a|an|half an?)"
                               r" (second|minute|hour|day|week|month)\b", re.I)


def has_quantity(sentence: Span) -> bool:
    """A magnitude: a number with or without a unit, a percentage, a count, a duration, money, a
    comparison ("doubled", "cut in half", "by a third"). Not an ordinal ("first", "3rd"), "one of the
    best", "one" as a pronoun, or a year."""
    if _FRACTION.search(sentence.text) or _SPELLED_DURATION.search(sentence.text):
        return True
    tokens = list(sentence)
    for i, token in enumerate(tokens):
        lower = token.lower_
        if lower in _QUANTITY_WORDS:
            return True
        if lower in _ORDINALS or _ORDINAL_DIGITS.fullmatch(lower):
            continue
        has_digit = any(c.isdigit() for c in lower)
        if not (has_digit or token.like_num):
            continue
        if _YEAR.fullmatch(lower) and not (i + 1 < len(tokens) and tokens[i + 1].lower_ in
                                                         {"users", "people", "customers", "dollars", "hours"}):
            continue  # a year
        following = tokens[i + 1].lower_ if i + 1 < len(tokens) else ""
        if lower in {"one", "a"} and (following == "of" or token.pos_ != "NUM"):
            continue  # "one of the best", "the original one"
        if lower == "one" and i and tokens[i - 1].pos_ in {"ADJ", "DET"} and tokens[i - 1].lower_ not in {"a", "an"} \
                and not (i + 1 < len(tokens) and tokens[i + 1].pos_ in {"NOUN", "PROPN"}):
            continue  # "the simpler one", "the short one": the tagger calls this pronoun a number
        if lower == "one" and following in {"day", "time", "morning", "afternoon", "evening", "night", "weekend"}:
            continue  # "one day": when, not how much
        return True
    return False


def _is_lesson_sentence(sentence: Span) -> bool:
    return _found(_LESSON, sentence.text)


def result_quantified(labelled: list[tuple[Span, str]]) -> bool:
    """Some result sentence (not a lesson) gives the outcome a magnitude."""
    return any(label == "result" and not _is_lesson_sentence(sentence) and has_quantity(sentence)
               for sentence, label in labelled)


def has_story(labelled: list[tuple[Span, str]]) -> bool:
    """The answer tells something that happened: an action or result sentence narrated in the past
    (or a verb-first note), rather than general claims or what one would do."""
    return any(label in {"action", "result"} and (_tense(sentence) in {"past", "past_perfect", "past_progressive"}
                                                   or _note_verb(sentence) or _has_main_past_action(sentence))
               for sentence, label in labelled)


_GROUP_NOUNS = {"team", "group", "squad", "department", "org", "organisation", "organization", "class", "lab"}
_PEOPLE_NOUNS = {
    "manager", "lead", "boss", "colleague", "coworker", "co-worker", "teammate", "mentor", "director", "friend",
    "partner", "client", "customer", "supervisor", "peer", "reviewer", "professor", "advisor", "instructor", "chef",
    "head", "vp", "cto", "ceo", "founder", "cofounder", "co-founder", "pm", "stakeholder", "user", "engineer",
    "analyst", "counterpart", "predecessor", "coach", "tutor", "sponsor", "owner",
}


def _agent(sentence: Span) -> str | None:
    """Who does the action a sentence reports: the subject of its first main clause. "My action was
    to ..." and "my part was ..." are I; "our team" is we; a verb-first note is the writer, I."""
    if _note_verb(sentence):
        return "i"
    verbs = [sentence.root] + [t for t in sentence if t.pos_ in {"VERB", "AUX"} and t is not sentence.root]
    for verb in verbs:
        subject = _subject(verb)
        if subject is None:
            clausal = next((c for c in verb.children if c.dep_ == "csubj"), None)
            if clausal is not None:  # "What I did was ..."
                subject = _subject(clausal)
        if subject is None:
            continue
        words = {t.lower_ for t in subject.subtree}
        pair = any(t.lower_ in {"i", "me"} and t.dep_ == "conj" for t in subject.subtree) or (
            subject.lower_ == "i" and any(c.dep_ == "conj" for c in subject.children))
        if subject.lower_ == "we" or "we" in words or pair:
            return "we"  # "we", "my manager and I"
        if subject.lower_ == "i":
            return "i"
        if "my" in words or "our" in words:
            lemma = subject.lemma_.lower()
            if lemma in _GROUP_NOUNS:
                return "we"  # "my team", "our group"
            if lemma in _PEOPLE_NOUNS:
                return None  # "my manager suggested": someone else acted
            return "i" if "my" in words else "we"  # "my action was to", "our fix was"
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
