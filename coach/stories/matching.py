"""For a behavioral question, the stories that answer it best, and why.

A story scores for every competency it shares with the question (from the bank when the
question is in it, else read from the question's words) and for the content words it shares,
compared by lemma ("disagreed" meets "disagreement" no more than "evaluate" meets "evaluation",
but "models" meets "model"), each word weighted by how rare it is across the library so that
"model", in every ML story, counts for little. Story lemmas are cached by content, so matching a
question against a warm library costs one short parse.

With the sentence encoder, the story sentence nearest in meaning to the question adds to the score
and is quoted in the reason ("its action: 'I set up a meeting where we each showed our numbers'"),
so a story can match in other words. Drafts with almost nothing written are never recommended.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from coach.stories.model import COMPETENCIES, PARTS, Story

if TYPE_CHECKING:
    from coach.settings import Settings

_CONTENT_POS = {"NOUN", "PROPN", "VERB", "ADJ"}
# Adjectives that say how the speaker feels or how much, never what the story is about ("shares sure").
_VAGUE = {"sure", "certain", "real", "really", "right", "wrong", "clear", "important", "different", "same", "whole",
          "main", "great", "nice", "hard", "easy", "possible", "likely", "best", "better", "true", "quick", "huge",
          "small", "large", "little", "many", "much", "several", "various", "own", "other", "next",
          "high", "low", "long", "short", "full", "happy", "glad", "able", "specific", "particular", "actual"}
#: A story with fewer words than this in its four parts is an empty draft: never recommended.
MIN_STORY_WORDS = 15
#: A story sentence at least this near the question (cosine) counts as addressing it.
_NEAR = 0.2
#: Without a shared competency or word, a story must be this near to be offered at all.
_NEAR_ALONE = 0.38
# Words every behavioral question or story uses; they say nothing about which story fits.
_GENERIC = {
    "tell", "time", "describe", "give", "example", "situation", "walk", "talk", "happen", "share", "explain",
    "think", "go", "get", "make", "do", "have", "be", "take", "way", "thing", "lot", "people", "work", "want",
    "use", "say", "come", "know", "see", "look", "need", "find", "help", "try", "start", "end", "day", "week",
    "month", "year", "last", "first", "new", "good", "bad", "big", "well", "able", "handle", "respond", "decide",
    "learn", "deal", "approach", "differently", "part", "role", "job", "project", "someone", "something",
}
# Words in a question that point at a competency when the bank does not know the question.
_CUES = {
    "conflict": {"disagree", "disagreement", "conflict", "argue", "argument", "pushback", "clash", "tension",
                 "difficult", "dispute", "oppose", "resolve", "reject",
                 "contradict", "push"},
    "failure": {"fail", "failure", "mistake", "wrong", "error", "regret", "setback", "underestimate", "miss", "bug",
                "introduce"},
    "leadership": {"lead", "leader", "leadership", "mentor", "delegate", "charge", "step", "motivate", "manage",
                   "standard", "culture"},
    "ambiguity": {"ambiguous", "ambiguity", "unclear", "uncertain", "uncertainty", "vague", "unknown",
                  "incomplete", "baseline", "undefined", "unsure", "clear",
                  "requirement", "inherit", "documentation"},
    "influence": {"influence", "convince", "persuade", "authority", "buy", "sell", "adopt", "stakeholder",
                  "justify", "mind", "support", "win"},
    "ownership": {"ownership", "own", "initiative", "responsibility", "responsible", "proactive", "volunteer",
                  "call", "accountable", "end", "broken", "notice", "ignore",
                  "maintain", "reproduce", "commit", "promise", "beyond"},
    "impact": {"impact", "proud", "accomplishment", "achievement", "difference", "metric", "improve", "value",
               "opportunity", "business", "save", "saving", "pay", "useful"},
    "prioritisation": {"prioritise", "prioritize", "priority", "deadline", "compete", "competing", "tradeoff",
                       "juggle", "urgent", "drop", "scope", "limit", "debt", "balance",
                       "choose", "request", "quick", "investment"},
    "feedback": {"feedback", "criticism", "critical", "critique", "review", "constructive", "postmortem",
                 "reviewer", "flaw"},
    "collaboration": {"collaborate", "collaboration", "teammate", "partner", "together", "cross", "functional",
                      "handoff", "struggle", "team", "designer", "credit", "contribution",
                      "depend"},
    "ml_in_production": {"production", "deploy", "deployment", "monitor", "monitoring", "drift", "degrade",
                         "outage", "incident", "rollback", "roll", "serve", "launch", "unfairly", "model", "test"},
}

_cache: dict[str, dict[str, str]] = {}
_cache_lock = threading.Lock()


@dataclass(frozen=True)
class Match:
    """A story for a question: the score, and the reason in words."""

    story: Story
    score: float
    shared_competencies: tuple[str, ...]
    shared_words: tuple[str, ...]
    #: The story's sentence nearest in meaning to the question, and the part it is in.
    closest: str = ""
    closest_part: str = ""

    @property
    def reason(self) -> str:
        """"covers conflict; its action: 'I set up a meeting where...'; both mention churn, metric"."""
        parts = []
        if self.shared_competencies:
            parts.append("covers " + _and([c.replace("_", " ") for c in self.shared_competencies]))
        if self.closest:
            parts.append(f"its {self.closest_part}: \"{_clip(self.closest)}\"")
        if self.shared_words:
            parts.append("both mention " + ", ".join(self.shared_words[:3]))
        return "; ".join(parts) or "nothing in common"


def _clip(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _story_sentences(story: Story) -> list[tuple[str, str]]:
    """(part, sentence) for every sentence of the four parts."""
    return [(part, sentence.strip()) for part in PARTS for sentence in _SENTENCE_END.split(story.text_of(part))
            if len(sentence.split()) >= 4]


def _nearest_sentences(question: str, stories: Sequence[Story]) -> list[tuple[float, str, str]] | None:
    """Per story, (similarity, part, sentence) of its sentence nearest the question; None without the encoder."""
    from coach.analysis.embeddings import maybe_encode

    per_story = [_story_sentences(s) for s in stories]
    flat = [text for sentences in per_story for _, text in sentences]
    vectors = maybe_encode([question, *flat])
    if vectors is None:
        return None
    asked, rows = vectors[0], vectors[1:]
    out, start = [], 0
    for sentences in per_story:
        if not sentences:
            out.append((0.0, "", ""))
            continue
        sims = rows[start:start + len(sentences)] @ asked
        best = int(sims.argmax())
        out.append((float(sims[best]), *sentences[best]))
        start += len(sentences)
    return out


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _content_lemmas(docs) -> list[dict[str, str]]:
    """Per doc, content lemma -> the first surface form seen (to show the user a real word)."""
    out = []
    for doc in docs:
        words: dict[str, str] = {}
        for token in doc:
            lemma = token.lemma_.lower()
            if (token.pos_ in _CONTENT_POS and token.is_alpha and not token.is_stop and len(lemma) > 2
                    and lemma not in _GENERIC and lemma not in _VAGUE):
                words.setdefault(lemma, token.text.lower())
        out.append(words)
    return out


def _pipe(texts: list[str]):
    from coach.analysis.language import nlp

    # Lemmas need the tagger, not the parser; skipping it roughly halves the time. `disable` here
    # applies to this call only, so threads sharing the pipeline are unaffected.
    return nlp().pipe(texts, disable=["parser"])


def story_text(story: Story) -> str:
    """Everything in a story that says what it is about."""
    return "\n".join([story.title, " ".join(story.tags), story.metric] + [story.text_of(p) for p in PARTS])


def story_lemmas(stories: Sequence[Story]) -> list[dict[str, str]]:
    """Content lemmas of each story, parsed once per distinct content (cached for the process)."""
    keys = [hashlib.sha1(story_text(s).encode()).hexdigest() for s in stories]
    with _cache_lock:
        missing = [(k, s) for k, s in zip(keys, stories) if k not in _cache]
    if missing:
        unique = dict(missing)
        parsed = _content_lemmas(_pipe([story_text(s) for s in unique.values()]))
        with _cache_lock:
            if len(_cache) > 2000:  # edited drafts leave stale entries; a rebuild costs one parse per story
                _cache.clear()
            _cache.update(zip(unique.keys(), parsed))
    with _cache_lock:
        if any(k not in _cache for k in keys):  # cleared by another thread meanwhile: parse again
            _cache.update(zip(keys, _content_lemmas(_pipe([story_text(s) for s in stories]))))
        return [_cache[k] for k in keys]


def question_lemmas(question: str) -> dict[str, str]:
    return _content_lemmas(_pipe([question]))[0]


def infer_competencies(question: str, lemmas: dict[str, str] | None = None) -> list[str]:
    """Competencies a question asks about, read from its words (strongest cue first)."""
    from coach.analysis.language import nlp

    doc = nlp()(question, disable=["parser"])
    found = {t.lemma_.lower() for t in doc} | {t.lower_ for t in doc}
    scored = [(len(_CUES[c] & found), c) for c in COMPETENCIES]
    return [c for n, c in sorted(scored, key=lambda x: (-x[0], COMPETENCIES.index(x[1]))) if n]


def bank_competencies(question: str, questions: Iterable | None = None) -> list[str]:
    """The bank's competencies for a question with exactly this text, else empty."""
    if questions is None:
        from coach.questions.bank import load_questions

        questions = load_questions()
    wanted = " ".join(question.lower().split())
    for q in questions:
        if " ".join(q.text.lower().split()) == wanted:
            return list(q.competencies)
    return []


def match_stories(question: str, stories: Sequence[Story], competencies: Sequence[str] | None = None, *,
                  limit: int = 3) -> list[Match]:
    """The stories that best answer a question, best first.

    Args:
        question: The question text.
        stories: The library.
        competencies: The question's competencies, first the main one (from the bank); when None,
            they are read from the question's words.
        limit: How many to return.

    Returns:
        Up to ``limit`` matches that share a competency or a content word with the question.
    """
    # A draft with (almost) nothing written cannot be told, whatever its title promises.
    stories = [s for s in stories if s.word_count >= MIN_STORY_WORDS]
    if not stories:
        return []
    asked = question_lemmas(question)
    nearest = _nearest_sentences(question, stories)
    if competencies is None:
        wanted = infer_competencies(question)[:3]
        weights = {c: 2.0 for c in wanted}
    else:
        wanted = list(competencies)
        # The first competency is the question's category: a story for it matters most.
        weights = {c: (3.0 if i == 0 else 2.0) for i, c in enumerate(wanted)}
    lemmas = story_lemmas(stories)
    n = len(stories)
    df: dict[str, int] = {}
    for words in lemmas:
        for lemma in words:
            df[lemma] = df.get(lemma, 0) + 1
    matches = []
    for i, (story, words) in enumerate(zip(stories, lemmas)):
        shared_c = tuple(c for c in wanted if c in story.competencies)
        # A word in every story (with three or more stories) cannot tell them apart.
        shared_w = [w for w in asked if w in words and (n < 3 or df[w] < n)]
        idf = {w: math.log((n + 1) / (df[w] + 0.5)) for w in shared_w}
        word_score = sum(idf.values())
        score = sum(weights[c] for c in shared_c) + 0.6 * word_score
        near, part, sentence = nearest[i] if nearest else (0.0, "", "")
        # When the bank says what the question asks, a story must share it or its words; meaning alone
        # only offers stories for questions the bank does not know.
        if score <= 0 and (near < _NEAR_ALONE or competencies):
            continue
        if near >= _NEAR:
            score += 10.0 * (near - _NEAR)  # 0.4 near adds as much as a second shared competency
        else:
            part = sentence = ""
        shown = tuple(words[w] for w in sorted(shared_w, key=lambda w: -idf[w])[:5])
        matches.append(Match(story, round(score, 3), shared_c, shown, sentence, part))
    # Ties go to the more focused story: it will be told more sharply for this question.
    matches.sort(key=lambda m: (-m.score, len(m.story.competencies), m.story.title))
    return matches[:limit]


def best_stories_for(question_text: str, competencies: Sequence[str] | None, settings: Settings, *,
                     stories_dir=None, limit: int = 3) -> list[Match]:
    """The three best stories of the user's library for a question: for the practice screen.

    Loads the library (seeding it on first use) and matches; files that fail to load are skipped
    (the library screen and ``coach stories lint`` report them). It parses text with spaCy, so call
    it from a worker thread.

    Args:
        question_text: The question as asked.
        competencies: The bank question's competencies (``Question.competencies``), or None to
            read them from the text.
        settings: The app settings (for the library folder).
        stories_dir: A library folder that overrides the settings.
        limit: How many matches.
    """
    from coach.stories.library import load_library, open_library

    if competencies is not None and not competencies:
        competencies = None
    folder = open_library(settings, stories_dir)
    return match_stories(question_text, load_library(folder).stories, competencies, limit=limit)
