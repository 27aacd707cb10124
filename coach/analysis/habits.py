"""Your habits: the words you lean on and how you start, across your recent answers.

One answer's feedback cannot show a habit: "So..." at the start of one answer is nothing, at the
start of nine of the last ten it is what an interviewer notices. Pure functions over transcripts
(no database, no UI); the words that carry no content are spaCy's English stop words, read from
spaCy's own file when habits are computed (without importing spaCy).
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from coach.analysis.lexicon import FILLED_PAUSES

#: How many recent answers habits are judged on, by default.
RECENT_ANSWERS = 20
#: A word is a habit once it comes this often overall and in at least two answers.
_MIN_WORD_USES = 3
#: An opening is a habit once this share of answers (or sentences) start with it, in at least two answers.
_MIN_OPENER_SHARE = 0.3

#: Sentences start with these in any plain telling ("I rebuilt...", "We shipped..."); repeating
#: them is no habit worth a line.
_PLAIN_OPENERS = frozenset({"i", "we", "the", "my", "our", "it", "this", "that", "they", "he", "she", "a", "an"})

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
#: A sentence ends at . ! or ? followed by space (Whisper punctuates; "0.81" has no space after the dot).
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class WordHabit:
    word: str
    #: Times used across the answers.
    uses: int
    #: How many of the answers use it.
    answers: int


@dataclass(frozen=True)
class OpenerHabit:
    #: The opening word, as said ("So").
    opener: str
    #: How many answers (or sentences) start with it.
    count: int
    #: Out of how many answers (or sentences).
    total: int
    #: How many different answers it opens a sentence in.
    answers: int


@dataclass(frozen=True)
class Habits:
    #: How many answers with a transcript the habits were judged on.
    answers: int
    words: tuple[WordHabit, ...] = ()
    #: The first word of the answers themselves.
    answer_openers: tuple[OpenerHabit, ...] = ()
    #: The first word of every sentence.
    sentence_openers: tuple[OpenerHabit, ...] = ()


@functools.cache
def _stop_words() -> frozenset[str]:
    """spaCy's English stop words, read from their own module file: importing them the usual way
    imports all of spaCy first (3.2 s on a loaded machine), and `coach report` needs only the list."""
    import importlib.util
    import sys

    loaded = sys.modules.get("spacy.lang.en.stop_words")
    if loaded is not None:
        return frozenset(loaded.STOP_WORDS)
    spacy = importlib.util.find_spec("spacy")  # finds the package without running it
    if spacy is not None and spacy.origin:
        path = Path(spacy.origin).parent / "lang" / "en" / "stop_words.py"
        spec = importlib.util.spec_from_file_location("_coach_spacy_stop_words", path)
        if spec is not None and spec.loader is not None and path.is_file():
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return frozenset(module.STOP_WORDS)
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("’", "'"))


def _opener(sentence: str) -> str | None:
    tokens = _tokens(sentence)
    return tokens[0] if tokens else None


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(" ".join(text.split())) if _tokens(s)]


def find_habits(transcripts: Sequence[str], *, top_words: int = 6, top_openers: int = 3) -> Habits:
    """The words used most (not stop words) and the openings repeated, across ``transcripts``.

    Args:
        transcripts: one per answer (empty ones are skipped).
        top_words: at most this many words.
        top_openers: at most this many openings of each kind.
    """
    stop_words = _stop_words()
    texts = [t for t in transcripts if t and _tokens(t)]
    uses: Counter[str] = Counter()
    answers_with: Counter[str] = Counter()
    first_words: Counter[str] = Counter()
    sentence_firsts: Counter[str] = Counter()
    sentence_answers: Counter[str] = Counter()
    sentence_total = 0
    for text in texts:
        # Contractions ("don't", "I'm") are function words; filled pauses are counted as fillers elsewhere.
        words = [w for w in _tokens(text)
                 if len(w) >= 3 and "'" not in w and w not in stop_words and w not in FILLED_PAUSES]
        uses.update(words)
        answers_with.update(set(words))
        said = sentences(text)
        openers = [o for o in map(_opener, said) if o]
        if openers:
            first_words[openers[0]] += 1
        sentence_firsts.update(openers)
        sentence_answers.update(set(openers))
        sentence_total += len(openers)
    n = len(texts)
    words = tuple(WordHabit(w, c, answers_with[w]) for w, c in
                  sorted(uses.items(), key=lambda item: (-item[1], -answers_with[item[0]], item[0]))
                  if c >= _MIN_WORD_USES and answers_with[w] >= 2)[:top_words]
    answer_openers = tuple(OpenerHabit(o.capitalize(), c, n, c) for o, c in
                           sorted(first_words.items(), key=lambda item: (-item[1], item[0]))
                           if c >= 2 and c / n >= _MIN_OPENER_SHARE and o not in _PLAIN_OPENERS)[:top_openers]
    sentence_openers = tuple(OpenerHabit(o.capitalize(), c, sentence_total, sentence_answers[o]) for o, c in
                             sorted(sentence_firsts.items(), key=lambda item: (-item[1], item[0]))
                             if sentence_answers[o] >= 2 and c / sentence_total >= _MIN_OPENER_SHARE / 3
                             and o not in _PLAIN_OPENERS
                             # Said once already, as how the answers open.
                             and o.capitalize() not in {a.opener for a in answer_openers})[:top_openers]
    return Habits(n, words, answer_openers, sentence_openers)



def describe(habits: Habits) -> list[str]:
    """The habits as sentences, for the history screen and the report; one line when there are none."""
    if habits.answers < 2:
        return ["Habits show once you have answered a few questions."]
    lines = []
    for o in habits.answer_openers:
        lines.append(f"You opened {o.count} of your last {o.total} answers with \"{o.opener}...\".")
    for o in habits.sentence_openers:
        lines.append(f"\"{o.opener}...\" starts {o.count} of your {o.total} sentences, in {o.answers} answers.")
    if habits.words:
        words = ", ".join(f"\"{w.word}\" {w.uses}x ({w.answers} answers)" for w in habits.words)
        lines.append(f"Most-used words: {words}.")
    return lines or [f"No word or opening stands out across your last {habits.answers} answers."]
