"""Fillers and hedges in a parsed answer.

Most of these words are fillers or hedges only in some uses ("I like", "tools like Spark",
"so that we could"), so each decision reads the parse: part of speech, dependency, the
neighbouring tokens and punctuation. The conventions are in the README ("How answers are judged").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from coach.analysis.lexicon import FILLED_PAUSES

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token



@dataclass(frozen=True)
class Phrase:
    """A filler or hedge: its words, character range, and times when spoken."""

    text: str
    start_char: int
    end_char: int
    start: float | None = None
    end: float | None = None
    source: str = "words"


_SPEECH_VERBS = {"say", "tell", "ask", "suggest", "reply", "answer", "claim", "mention", "write", "argue"}
_HEDGE_ADVERBS = {"maybe", "perhaps", "probably", "possibly", "presumably"}
_HEDGE_VERBS = {"think", "guess", "believe", "suppose", "feel", "reckon"}
_APPROXIMATED = {"NUM"}


def _phrase(doc: Doc, first: Token, last: Token) -> Phrase:
    span = doc[first.i : last.i + 1]
    return Phrase(span.text, span.start_char, span.end_char)


def _next(token: Token, k: int = 1) -> Token | None:
    i = token.i + k
    return token.doc[i] if 0 <= i < len(token.doc) else None


def _prev(token: Token, k: int = 1) -> Token | None:
    return _next(token, -k)


def _is_comma(token: Token | None) -> bool:
    return token is not None and token.text in {",", "—", "-", "..."}


def _starts_clause(token: Token) -> bool:
    previous = _prev(token)
    return previous is None or token.is_sent_start or previous.is_punct


def _parenthetical(token: Token, last: Token | None = None) -> bool:
    last = last or token
    return _is_comma(_prev(token)) or _is_comma(_next(last)) or _starts_clause(token)


def find_fillers(doc: Doc) -> list[Phrase]:
    """Filler words and phrases, in order."""
    found: list[Phrase] = []
    skip_until = -1
    for token in doc:
        if token.i <= skip_until:
            continue
        lower = token.lower_
        nxt = _next(token)
        nxt_lower = nxt.lower_ if nxt is not None else ""
        if lower in FILLED_PAUSES:
            found.append(_phrase(doc, token, token))
        elif lower == "like" and _like_is_filler(token):
            found.append(_phrase(doc, token, token))
        elif lower == "you" and nxt_lower == "know" and _you_know_is_filler(token, nxt):
            found.append(_phrase(doc, token, nxt))
            skip_until = nxt.i
        elif lower == "i" and nxt_lower == "mean" and _i_mean_is_filler(token, nxt):
            found.append(_phrase(doc, token, nxt))
            skip_until = nxt.i
        elif lower in {"kind", "sort"} and nxt_lower == "of" and _kind_of_role(token) == "filler":
            found.append(_phrase(doc, token, nxt))
            skip_until = nxt.i
        elif lower == "basically":
            found.append(_phrase(doc, token, token))
        elif lower == "actually" and _actually_is_filler(token):
            found.append(_phrase(doc, token, token))
        elif lower == "so" and _so_is_filler(token):
            found.append(_phrase(doc, token, token))
    return found


def _like_is_filler(token: Token) -> bool:
    """Only the parenthetical marker, set off on both sides ("it was, like, nowhere near");
    with a comma on one side it opens an example (", like k-means") or an aside."""
    if token.pos_ == "VERB":
        return False  # "I like", "people like their tools"
    before, after = _prev(token), _next(token)
    if after is not None and (after.pos_ in _APPROXIMATED or after.like_num):
        return False  # "something like ten times": an approximator
    if before is not None and before.lower_ == "feel":
        return False  # the hedge "I feel like"
    following = _next(token, 2)
    if following is not None and following.lower_ in {"for", "say"} and _is_comma(after):
        return False  # "like, for example": an example opener
    if _is_comma(before) and _is_comma(after):
        return True
    # Transcripts often lose the commas: an interjection between a verb and what it describes.
    return token.pos_ == "INTJ" and before is not None and before.pos_ in {"AUX", "VERB"} \
        and after is not None and after.pos_ in {"ADV", "ADJ"}


def _actually_is_filler(token: Token) -> bool:
    """Emphasis ("actually really fun", "I'd actually also add") is a filler; before a verb it
    usually marks a contrast with what was expected ("people actually started reading them")."""
    after = _next(token)
    return after is None or after.pos_ not in {"VERB"}


def _you_know_is_filler(you: Token, know: Token) -> bool:
    if any(child.dep_ in {"aux", "neg"} for child in know.children):
        return False  # "do you know", "you don't know"
    before = _prev(you)
    if before is not None and before.lower_ in {"do", "did", "if", "as", "would", "might", "that"}:
        return False
    if _has_object(know):
        return False  # "you know the answer", "you know what I did"
    return True


def _i_mean_is_filler(i: Token, mean: Token) -> bool:
    """"which, I mean, isn't relevant" or "I mean, the data was a mess"; not "by drift I mean
    the input distribution"."""
    after = _next(mean)
    if _is_comma(after):
        return True
    before = _prev(i)
    return (before is None or _is_comma(before)) and not _has_object(mean) \
        and (after is None or after.pos_ not in {"DET", "NOUN", "PROPN", "ADJ", "PRON"})


def _has_object(verb: Token) -> bool:
    return any(child.dep_ in {"dobj", "ccomp", "xcomp", "attr"} and child.i > verb.i for child in verb.children)


_OPENERS = {"yeah", "okay", "ok", "sure", "right", "well"} | FILLED_PAUSES
_CONCLUSION = {"to", "in", "overall", "basically", "all", "the", "my", "our"}


def _so_is_filler(token: Token) -> bool:
    """"so" opening the answer, or opening a contentless closing ("So yeah.", "So that was a
    lot of work"); not a consequence, a purpose, or a summary ("So to sum up")."""
    before = token.doc[: token.i]
    if all(t.is_punct or t.lower_ in _OPENERS for t in before):
        return True
    if not token.is_sent_start and not (token.i > 0 and token.doc[token.i - 1].is_sent_start
                                        and token.doc[token.i - 1].lower_ in _OPENERS):
        return False
    sentence = token.sent
    if sentence.end < len(token.doc) and any(not t.is_punct for t in token.doc[sentence.end :]):
        return False  # only the last sentence can be a closing
    after = [t for t in token.doc[token.i + 1 : sentence.end] if not t.is_punct]
    if not after or after[0].lower_ == "yeah":
        return True
    if after[0].lower_ in _CONCLUSION:
        return False
    return after[0].lower_ in {"that", "that's", "this"} and len(after) <= 12


def _kind_of_role(token: Token) -> str:
    """"kind of" / "sort of": a filler when set off by a comma and a restart ("we, sort of, we
    only had"), else a hedge on what follows ("kind of slow"); neither as a noun ("what kind
    of model", "that kind of thing")."""
    before = _prev(token)
    if before is not None and before.lower_ in {"what", "which", "this", "that", "a", "the", "any", "some", "same",
                                                 "these", "those", "every", "each", "different", "one", "all"}:
        return "none"
    if _is_comma(_next(token, 2)):
        return "filler"
    return "hedge"


def find_hedges(doc: Doc) -> list[Phrase]:
    """Phrases that soften the speaker's own present claim, in order."""
    found: list[Phrase] = []
    for token in doc:
        lower = token.lower_
        if _reported(token):
            continue
        if lower in _HEDGE_ADVERBS:
            if not _estimates(token):
                found.append(_phrase(doc, token, token))
        elif token.lemma_.lower() in _HEDGE_VERBS and token.tag_ in {"VBP", "VB"} and _first_person(token):
            if lower in {"feel", "feels"}:
                nxt = _next(token)
                if nxt is None or nxt.lower_ not in {"like", "that"}:
                    continue
                subject = _subject(token)
                found.append(_phrase(doc, subject or token, nxt))
                continue
            if any(child.dep_ == "prep" and child.lower_ in {"about", "of"} for child in token.children):
                continue  # "I think about", "I think of": thinking, not hedging
            subject = _subject(token)
            found.append(_phrase(doc, subject or token, token))
        elif lower in {"kind", "sort"} and _next(token) is not None and _next(token).lower_ == "of" \
                and _kind_of_role(token) == "hedge":
            found.append(_phrase(doc, token, _next(token)))
        elif lower == "'d" or lower == "would":
            nxt = _next(token)
            if nxt is not None and nxt.lower_ == "say" and _prev(token) is not None and _prev(token).lower_ == "i":
                found.append(_phrase(doc, _prev(token), nxt))
    return found


_NUMBER_WORDS = {"dozen", "dozens", "hundred", "hundreds", "thousand", "thousands", "million", "millions",
                 "couple", "few"}
_RANGE_WORDS = {"or", "to", "-", "–", "and"}
_APPROXIMATORS = {"maybe", "perhaps"}


def _number(token: Token | None) -> bool:
    return token is not None and (token.like_num or token.pos_ == "NUM")


def _estimates(adverb: Token) -> bool:
    """"maybe five or six people", "perhaps a dozen": the speaker gives a figure and says it is
    approximate, which is precise speech, not a hedge on a claim. "probably" before a number
    still judges a claim ("disagreements are probably two people with different evidence"), and
    a bare "one" usually does too ("maybe one reason is")."""
    after = _next(adverb)
    if after is None or adverb.lower_ not in _APPROXIMATORS:
        return False
    if after.lower_ in {"a", "an"}:
        counted = _next(adverb, 2)
        return counted is not None and counted.lower_ in _NUMBER_WORDS
    if not _number(after):
        return False
    if after.lower_ != "one":
        return True
    joiner, other = _next(after), _next(after, 2)
    return joiner is not None and joiner.lower_ in _RANGE_WORDS and _number(other)


def _subject(verb: Token) -> Token | None:
    return next((c for c in verb.children if c.dep_ in {"nsubj", "nsubjpass"}), None)


def _first_person(verb: Token) -> bool:
    subject = _subject(verb)
    return subject is not None and subject.lower_ == "i"


def _reported(token: Token) -> bool:
    """Inside what someone else said: "she said maybe we should wait"."""
    for ancestor in token.ancestors:
        if ancestor.lemma_.lower() in _SPEECH_VERBS:
            subject = _subject(ancestor)
            return subject is None or subject.lower_ != "i" or ancestor.tag_ == "VBD"
    return False
