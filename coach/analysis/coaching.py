"""From a (timed) transcript to what a coach would say: fillers, hedges, STAR or the think-aloud
rubric, length, conciseness, scores, three tips, a strength and the interviewer's next question.

Works for spoken answers (word times known) and typed ones (timing fields are None).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any, Literal

from coach.analysis import star as star_module
from coach.analysis.disfluency import Phrase, find_fillers, find_hedges
from coach.analysis.language import TimedText, parse
from coach.analysis.pace import ACCEPTABLE_WPM
from coach.analysis.relevance import Relevance
from coach.analysis.think_aloud import ThinkAloudRubric, rubric

Kind = Literal["behavioral", "think_aloud", "follow_up"]
#: Used to estimate speaking time for typed answers (middle of the 130-160 ideal range).
DEFAULT_WPM = 150.0
#: A follow-up ("What was the outcome?") wants a short, direct answer of about 20-60 s, not a
#: second full story.
DEFAULT_TARGET_S = {"behavioral": 90.0, "think_aloud": 180.0, "follow_up": 40.0}
#: No score of an answer to another question goes above this.
OFF_TOPIC_CAP = 40


@dataclass
class Length:
    target_s: float
    duration_s: float
    verdict: str  # "short" | "on_target" | "long"
    estimated: bool = False
    #: The on-target range: a third either side of the target, or 20-60 s for a follow-up.
    low_s: float | None = None
    high_s: float | None = None


@dataclass
class FollowUpCheck:
    """Whether a follow-up's answer gives what the follow-up asked for."""

    asked: str
    #: True or False, or None when the follow-up is not one coach knows how to check.
    answered: bool | None
    reason: str


@dataclass
class Coaching:
    kind: str
    fillers: list[Phrase]
    filler_rate: dict[str, float | None]
    hedges: list[Phrase]
    star: dict[str, Any] | None
    think_aloud: ThinkAloudRubric | None
    length: Length
    repeated_phrases: list[str]
    tangents: list[str]
    tips: list[str]
    strength: str
    scores: dict[str, int]
    follow_up: str | None
    word_count: int
    sentence_count: int
    relevance: Relevance | None = None
    follow_up_check: FollowUpCheck | None = None

    def to_json(self) -> dict[str, Any]:
        def phrase(p: Phrase, with_source: bool) -> dict[str, Any]:
            out = {"text": p.text, "start": p.start, "end": p.end}
            if with_source:
                out["source"] = p.source
            return out

        return {
            "kind": self.kind,
            "fillers": [phrase(p, True) for p in self.fillers],
            "filler_rate": self.filler_rate,
            "hedges": [phrase(p, False) for p in self.hedges],
            "star": self.star,
            "think_aloud": asdict(self.think_aloud) if self.think_aloud else None,
            "length": {"target_s": self.length.target_s, "duration_s": round(self.length.duration_s, 1),
                       "verdict": self.length.verdict, "estimated": self.length.estimated,
                       "low_s": self.length.low_s, "high_s": self.length.high_s},
            "conciseness": {"words": self.word_count, "sentences": self.sentence_count,
                            "words_per_sentence": round(self.word_count / max(1, self.sentence_count), 1),
                            "repeated_phrases": self.repeated_phrases, "tangents": self.tangents},
            "tips": self.tips,
            "strength": self.strength,
            "scores": self.scores,
            "follow_up": self.follow_up,
            "relevance": self.relevance.to_json() if self.relevance else None,
            "follow_up_check": asdict(self.follow_up_check) if self.follow_up_check else None,
        }


def length_bounds(target_s: float, kind: str = "behavioral") -> tuple[float, float]:
    """The on-target range. Within a third of the target either way: 90 s gives 60-120 s, the
    consensus range for behavioral answers. A follow-up's range is wider around its shorter
    target: 40 s gives 20-60 s (a direct answer can be one sentence)."""
    if kind == "follow_up":
        return target_s / 2, target_s * 3 / 2
    return target_s * 2 / 3, target_s * 4 / 3


def length_verdict(duration_s: float, target_s: float, kind: str = "behavioral") -> str:
    low, high = length_bounds(target_s, kind)
    if duration_s < low:
        return "short"
    if duration_s > high:
        return "long"
    return "on_target"


def coach_answer(
    text: TimedText,
    *,
    kind: Kind = "behavioral",
    target_s: float | None = None,
    duration_s: float | None = None,
    longest_silence_s: float | None = None,
    audio_fillers: list[Phrase] | None = None,
    concepts: list[str] | None = None,
    follow_ups: list[str] | None = None,
    star_model: star_module.LabelModel | None = None,
    question: str | None = None,
    pace_wpm: float | None = None,
    voice: Any = None,
) -> Coaching:
    """Everything a coach would say about one answer.

    Args:
        duration_s: How long the answer was spoken: from the first word to the last, not the
            recording's length (the silence before speaking and after stopping is not the answer).
        pace_wpm: Words a minute over that span, for a spoken answer; a pace out of the
            acceptable range becomes a tip ranked by how far out it is.
        question: The question's text; with it the answer is checked for addressing it
            (``relevance``), and an answer to another question gets that said first.
    """
    doc = parse(text)
    words = [t for t in doc if not t.is_punct and not t.is_space]
    word_count = len(words)

    fillers = [_timed(p, text) for p in find_fillers(doc)]
    fillers = _merge_fillers(fillers, audio_fillers or [])
    hedges = [_timed(p, text) for p in find_hedges(doc)]

    estimated = duration_s is None
    spoken_s = duration_s if duration_s is not None else 60.0 * word_count / DEFAULT_WPM
    target = target_s or DEFAULT_TARGET_S[kind]
    low_s, high_s = length_bounds(target, kind)
    length = Length(target, spoken_s, length_verdict(spoken_s, target, kind), estimated, low_s, high_s)
    minutes = spoken_s / 60.0
    filler_rate = {
        "per_100_words": round(100.0 * len(fillers) / word_count, 2) if word_count else 0.0,
        "per_minute": round(len(fillers) / minutes, 2) if minutes and not estimated else None,
    }

    labelled = star_module.label_sentences(doc, star_model)
    star = _star_summary(labelled, text) if kind == "behavioral" else None
    think = rubric(doc, concepts, longest_silence_s) if kind == "think_aloud" else None
    repeats = _repeats(doc)
    repeated = [phrase for phrase, _ in repeats]
    # An aside in the middle of the story; lessons learned are "other" too, but belong there.
    tangents = [s.text.strip() for s, label in labelled[1:-1]
                if label == "other" and _is_tangent(s)] if kind == "behavioral" else []

    scores = _scores(kind, star, think, filler_rate, len(hedges), word_count, length, repeated, tangents,
                     word_count / max(1, len(labelled)))
    tips, strength, follow_up = _advice(kind, star, think, fillers, filler_rate, hedges, length, repeats,
                                        tangents, scores, follow_ups or [], word_count, pace_wpm,
                                        voice)
    check = None
    if kind == "follow_up":
        check = check_follow_up(question or "", doc, labelled, concepts or [])
        if check is not None and check.answered is not None:
            scores["answered"] = 100 if check.answered else 30
            if check.answered:
                strength = f"You answered the follow-up directly: {check.reason}."
            else:
                tips = [f"The follow-up asked \"{_short(check.asked, 80)}\", but {check.reason}: answer that "
                        "in your first sentence, then stop.", *tips[:2]]
        # One follow-up is a turn; the conversation goes back to the next question after it.
        follow_up = None
    relevance = None
    if question and kind != "follow_up":  # the bank's questions are no yardstick for a follow-up
        from coach.analysis.relevance import judge

        relevance = judge(doc, question, kind)
    if relevance is not None:
        scores["relevance"] = relevance.score
        if not relevance.on_topic:
            # A well-built answer to another question is still not an answer: no score may read as if it were.
            scores = {name: min(value, OFF_TOPIC_CAP) for name, value in scores.items()}
            tips = [f"{relevance.reason} The question was: \"{_short(question, 120)}\"", *tips[:2]]
            strength = "You kept talking and finished the answer; now aim it at the question asked."
            follow_up = f"Let me ask again: {question.strip()}"
    return Coaching(
        kind=kind, fillers=fillers, filler_rate=filler_rate, hedges=hedges, star=star, think_aloud=think,
        length=length, repeated_phrases=repeated, tangents=tangents, tips=tips, strength=strength,
        scores=scores, follow_up=follow_up, word_count=word_count, sentence_count=len(labelled),
        relevance=relevance, follow_up_check=check,
    )


#: What a follow-up asks for, by its words, and how an answer is seen to give it.
_ASKS = (
    ("outcome", re.compile(r"\b(outcome|how did it (end|go|turn out)|what happened (next|in the end|after)|result)",
                           re.I)),
    ("measure", re.compile(r"\b(measure|impact|how much|how many|numbers?|quantif)", re.I)),
    ("personal", re.compile(r"\b(personally|you yourself|your (own )?(role|part|contribution)|what did you do)",
                            re.I)),
    ("context", re.compile(r"\b(context|at stake|background|where was this)", re.I)),
    ("differently", re.compile(r"\b(differently|learn(ed|t)?|next time)\b", re.I)),
    ("tradeoffs", re.compile(r"\btrade-?offs?\b", re.I)),
    ("handle", re.compile(r"\bhow would you (handle|deal with|approach|address) (?P<topic>.+?)\??$", re.I)),
)


#: How people say how something ended, for a short answer the STAR labeller may not call a result.
#: Verbs that are also actions ("worked", "launched", "cut") are left out: "I worked with them" is not an outcome.
_OUTCOME = re.compile(r"\b(in the end|as a result|ended up|in the finish|finally|which meant|that meant|led to|"
                      r"fell|rose|dropped|doubled|halved|improved|increased|decreased|grew|shrank|went (up|down)|"
                      r"came (back|down))\b", re.I)


def check_follow_up(asked: str, doc, labelled, concepts: list[str]) -> FollowUpCheck | None:
    """Whether the answer gives what the follow-up asked: an outcome, a number, the speaker's own
    actions, context, a lesson, a trade-off, or the topic it names. The follow-ups coach asks
    are these; any other follow-up is not judged (``answered`` None) rather than guessed at."""
    if not asked.strip():
        return None
    labels = [label for _, label in labelled]
    for what, pattern in _ASKS:
        match = pattern.search(asked.strip())
        if match is None:
            continue
        if what == "outcome":
            ok = "result" in labels or any(star_module.has_quantity(span) or _OUTCOME.search(span.text)
                                           for span, _ in labelled)
            return FollowUpCheck(asked, ok, "you said how it ended" if ok else "no sentence says how it ended")
        if what == "measure":
            ok = any(star_module.has_quantity(span) for span, _ in labelled)
            return FollowUpCheck(asked, ok, "you gave a number" if ok else "the answer has no number or measure")
        if what == "personal":
            # Every sentence of a follow-up's answer is read for who acts: a one-sentence answer
            # is not labelled as a story's action part.
            owner, i_count, _ = star_module.ownership([(span, "action") for span, _ in labelled])
            ok = owner in {"i", "mixed"} and i_count > 0
            return FollowUpCheck(asked, ok, "you said what you did yourself" if ok else
                                 "it never says what you did yourself (\"I ...\")")
        if what == "context":
            ok = any(label in {"situation", "task"} for label in labels)
            return FollowUpCheck(asked, ok, "you set the scene" if ok else "it gives no context")
        if what == "differently":
            ok = any(star_module.is_lesson(span.text) or any(t.lower_ in {"would", "'d", "next"} for t in span)
                     for span, _ in labelled)
            return FollowUpCheck(asked, ok, "you said what you would change" if ok else
                                 "it never says what you would do differently")
        if what == "tradeoffs":
            ok = rubric(doc, [], None).tradeoffs_discussed
            return FollowUpCheck(asked, ok, "you named both sides of a trade-off" if ok else
                                 "no trade-off is weighed, both sides named")
        topic = match.group("topic").strip()
        named = [c for c in concepts if c.lower() in topic.lower()] or [topic]
        ok = bool(rubric(doc, named, None).concepts_covered)
        return FollowUpCheck(asked, ok, f"you addressed {named[0]}" if ok else f"the answer does not address {named[0]}")
    return FollowUpCheck(asked, None, "this follow-up is not one coach checks")


def _timed(phrase: Phrase, text: TimedText) -> Phrase:
    start, end = text.times(phrase.start_char, phrase.end_char)
    return Phrase(phrase.text, phrase.start_char, phrase.end_char, start, end, phrase.source)


def _merge_fillers(from_words: list[Phrase], from_audio: list[Phrase]) -> list[Phrase]:
    """Audio-recovered filled pauses that a word-level filler already covers are not counted twice."""
    merged = list(from_words)
    for recovered in from_audio:
        if not any(p.start is not None and p.end is not None and p.start - 0.3 <= recovered.start <= p.end + 0.3
                   for p in from_words):
            merged.append(recovered)
    return sorted(merged, key=lambda p: (p.start if p.start is not None else p.start_char))


def _star_summary(labelled: list, text: TimedText) -> dict[str, Any]:
    sentences = []
    for span, label in labelled:
        start, end = text.span_times(span)
        sentences.append({"text": span.text.strip(), "label": label, "start": start, "end": end})
    labels = [label for _, label in labelled]
    weights: Counter[str] = Counter()
    timed = text.timed
    for entry, (span, label) in zip(sentences, labelled):
        if timed and entry["start"] is not None:
            weights[label] += entry["end"] - entry["start"]
        else:
            weights[label] += sum(1 for t in span if not t.is_punct)
    total = sum(weights.values()) or 1.0
    owner, i_count, we_count = star_module.ownership(labelled)
    return {
        "sentences": sentences,
        "present": {part: part in labels for part in star_module.PARTS},
        "time_share": {label: round(weights[label] / total, 3) for label in star_module.LABELS},
        "time_s": {label: round(weights[label], 1) for label in star_module.LABELS} if timed else None,
        "in_order": star_module.in_order(labels),
        "result_quantified": star_module.result_quantified(labelled),
        "story": star_module.has_story(labelled),
        "ownership": owner,
        "i_count": i_count,
        "we_count": we_count,
    }


_STOP_NGRAM = {"i", "we", "the", "a", "an", "and", "to", "of", "that", "it", "was", "so", "in", "is", "on", "for",
               "um", "uh", "like", "you", "know", "with", "this", "be", "at", "as", "were", "had", "have"}


#: Parts of speech a noun phrase is made of ("the new model", "our two data sets").
_NOUN_PHRASE_POS = {"DET", "ADJ", "NOUN", "PROPN", "NUM", "PRON", "ADV"}
#: Naming the same thing again is how people refer to it ("the new model" twice in a story is
#: normal); only this many uses of one noun phrase is a habit worth a tip.
NOUN_PHRASE_REPEATS = 4


def repeated_phrases(doc, n: int = 3, min_count: int = 2) -> list[str]:
    """Three-word phrases said again and again that carry content (not "and then we")."""
    return [phrase for phrase, _ in _repeats(doc, n, min_count)]


def _repeats(doc, n: int = 3, min_count: int = 2) -> list[tuple[str, int]]:
    """Repeated phrases with how often each was said; a noun phrase needs
    :data:`NOUN_PHRASE_REPEATS` uses, any other phrase ``min_count``."""
    tokens = [t for t in doc if not t.is_punct and not t.is_space]
    grams: dict[tuple[str, ...], list] = {}
    for i in range(len(tokens) - n + 1):
        grams.setdefault(tuple(t.lower_ for t in tokens[i : i + n]), []).append(tokens[i : i + n])
    found = []
    for gram, uses in sorted(grams.items(), key=lambda item: -len(item[1])):
        count = len(uses)
        if count < min_count:
            break
        if sum(word not in _STOP_NGRAM for word in gram) < 2:
            continue
        noun_phrase = all(t.pos_ in _NOUN_PHRASE_POS for t in uses[0]) and uses[0][-1].pos_ in {"NOUN", "PROPN"}
        if noun_phrase and count < max(min_count, NOUN_PHRASE_REPEATS):
            continue
        found.append((" ".join(gram), count))
    return found[:5]


def _is_tangent(sentence) -> bool:
    """An "other" sentence inside the story that takes time from it. Lessons belong at the end;
    a verbless fragment ("-62 % of queries.") or a sentence carrying a number is the story's
    evidence, even when the labeller cannot place it."""
    if star_module.is_lesson(sentence.text):
        return False
    if any(t.like_num or any(c.isdigit() for c in t.text) for t in sentence):
        return False
    return any(t.pos_ in {"VERB", "AUX"} for t in sentence)


def _clamp(value: float) -> int:
    return int(max(0, min(100, round(value))))


def _scores(kind, star, think: ThinkAloudRubric | None, filler_rate, hedge_count, word_count, length: Length,
            repeated, tangents, words_per_sentence) -> dict[str, int]:
    per_100 = filler_rate["per_100_words"] or 0.0
    scores = {
        # Under 4-5 per 100 words is normal speech (PRODUCT.md); each filler per 100 words past 2 costs 12.
        "fillers": _clamp(100 - 12 * max(0.0, per_100 - 2)),
        "hedges": _clamp(100 - 15 * max(0.0, 100 * hedge_count / max(1, word_count) - 0.5)),
        "length": 100 if length.verdict == "on_target" else _clamp(
            100 - 100 * abs(length.duration_s - length.target_s) / length.target_s),
        # Repeats and tangents cost 10 each; sentences past 30 words on average cost 2 a word.
        "conciseness": _clamp(100 - 10 * (len(repeated) + len(tangents)) - 2 * max(0.0, words_per_sentence - 30)),
    }
    if star is not None:
        present = star["present"]
        share = star["time_share"]
        structure = 25 * sum(present.values())
        if not star["in_order"]:
            structure -= 10
        if present["action"] and share["action"] < max(share["situation"], share["task"]):
            structure -= 15
        scores["structure"] = _clamp(structure)
        scores["result"] = 0 if not present["result"] else (100 if star["result_quantified"] else 55)
        scores["ownership"] = {"i": 100, "mixed": 75, "we": 55, None: 40}[star["ownership"]]
    if think is not None:
        flags = [bool(think.clarifying_questions), think.assumptions_stated, think.signposting,
                 think.tradeoffs_discussed, think.summary_at_end]
        scores["reasoning"] = _clamp(20 * sum(flags))
        total = len(think.concepts_covered) + len(think.concepts_missed)
        if total:  # without expected concepts (a free-form question) there is nothing to cover
            scores["coverage"] = _clamp(100 * len(think.concepts_covered) / total)
    return scores


def _fmt_s(seconds: float) -> str:
    return f"{seconds:.0f} s"


#: What a length outside the target band is told, by verdict and kind of question.
_LENGTH_ADVICE = {
    "long": ("ran past", {
        "behavioral": "keep the background short and stop after the result.",
        "think_aloud": "reach a recommendation sooner, and leave the detail for the interviewer's questions.",
        "follow_up": "a follow-up wants the one thing asked; give it and stop."}),
    "short": ("was short of", {
        "behavioral": "add detail on what you did and what came of it.",
        "think_aloud": "think aloud through more of it: the options you weighed, their trade-offs, "
                       "and how you would check the result.",
        "follow_up": "add the detail behind it, an example or a number."}),
}


def _advice(kind, star, think, fillers, filler_rate, hedges, length: Length, repeats, tangents, scores,
            follow_ups, word_count, pace_wpm=None, voice=None) -> tuple[list[str], str, str | None]:
    """Tips ranked by how much each gap costs, each naming what was observed. Delivery tips rank
    higher the further the measure is from its range, so a pace of 216 wpm outranks a nit."""
    candidates: list[tuple[float, str]] = []
    if star is not None:
        present = star["present"]
        if not star.get("story", True):
            # General claims or what one would do: the part-by-part tips below would only repeat this.
            candidates.append((99, "This answer tells no story: pick one real time it happened and say what you "
                                   "did, step by step, in the past tense, and how it ended."))
        elif not present["result"]:
            candidates.append((95, "You never said how it ended: close with the result, ideally a number "
                                   "(by how much did it improve, how many users, how much time saved?)."))
        elif not star["result_quantified"]:
            candidates.append((80, "Your result has no number: say by how much things changed "
                                   "(a percentage, a count, hours saved, \"cut in half\")."))
        if not present["action"] and star.get("story", True):
            candidates.append((97, "The answer never says what you did: spend most of it on your own actions, "
                                   "in the first person and past tense."))
        setup_s, action_s, about = _setup_and_action_s(star, length)
        if present["action"] and setup_s > action_s:
            setup_sentences = sum(1 for entry in star["sentences"] if entry["label"] in {"situation", "task"})
            if setup_sentences <= 2:
                # The background is already short: the gap is in the actions, and "cut it" would be wrong.
                candidates.append((85, f"The actions got {about}{_fmt_s(action_s)}, less than the {about}"
                                       f"{_fmt_s(setup_s)} of situation and task: say step by step what you did, "
                                       "how and why."))
            else:
                lead = f"{about}{_fmt_s(setup_s)}"
                candidates.append((85, f"{lead[0].upper()}{lead[1:]} went to the situation and task; the actions "
                                       f"got {about}{_fmt_s(action_s)}. Cut the background to two sentences and "
                                       "give the actions the most time."))
        if not present["situation"]:
            candidates.append((55, "Open with one or two sentences of context: where you were, the team, and "
                                   "what was at stake."))
        if star["ownership"] == "we" and star["we_count"] >= 3:
            candidates.append((70, f"Your actions are told as \"we\" ({star['we_count']} times, \"I\" "
                                   f"{star['i_count']}): interviewers will ask what you did yourself, so say it."))
        if not star["in_order"] and sum(present.values()) >= 3:
            candidates.append((50, "The parts come out of order: tell situation, task, action, result in turn "
                                   "so the listener can follow."))
    if think is not None:
        if not think.clarifying_questions:
            candidates.append((75, "You started solving without a clarifying question: ask about scale, latency "
                                   "or what success means before designing."))
        if not think.signposting:
            candidates.append((60, "Announce your structure (\"I'll cover three things: first...\") so the "
                                   "interviewer can follow your reasoning."))
        if not think.tradeoffs_discussed:
            candidates.append((70, "Name both sides of a trade-off (\"X is faster but less accurate\"), not just "
                                   "that trade-offs exist."))
        if not think.assumptions_stated:
            candidates.append((55, "State your assumptions out loud (\"I'll assume we have labels for...\")."))
        if not think.summary_at_end:
            candidates.append((50, "Finish with a one-sentence summary of your recommendation."))
        if think.concepts_missed:
            missed = ", ".join(think.concepts_missed[:3])
            candidates.append((65, f"A strong answer would also touch on: {missed}."))
        if think.longest_silence_s and think.longest_silence_s > 5:
            candidates.append((60, f"You went silent for {think.longest_silence_s:.0f} s: keep thinking out loud, "
                                   "even \"I'm weighing X against Y\"."))
    per_100 = filler_rate["per_100_words"] or 0.0
    if per_100 > 4.5 and fillers:
        common = Counter(p.text.lower() for p in fillers).most_common(3)
        words = ", ".join(f"\"{w}\" {n}x" for w, n in common)
        candidates.append((_beyond(60, per_100 - 4.5, 4.5), f"{len(fillers)} fillers ({per_100:.1f} per 100 words; "
                           f"{words}): when you need a moment, pause silently instead."))
    if pace_wpm:
        low, high = ACCEPTABLE_WPM
        if pace_wpm > high:
            candidates.append((_beyond(80, pace_wpm - high, 50),
                               f"At {pace_wpm:.0f} words a minute you spoke faster than the {low}-{high} listeners "
                               "follow easily: slow down, and pause for a breath after each point."))
        elif pace_wpm < low:
            candidates.append((_beyond(80, low - pace_wpm, 40),
                               f"At {pace_wpm:.0f} words a minute you spoke slower than the {low}-{high} listeners "
                               "follow easily: know the order of your points before you start, so the words keep "
                               "coming."))
    if len(hedges) >= 3:
        sample = ", ".join(sorted({f'"{h.text}"' for h in hedges})[:3])
        candidates.append((58, f"You hedged {len(hedges)} times ({sample}): state what you did and believe plainly."))
    about = "about " if length.estimated else ""
    off_by = abs(length.duration_s - length.target_s) / length.target_s - 1 / 3  # past the on-target band
    if length.verdict in _LENGTH_ADVICE:
        missed, advice = _LENGTH_ADVICE[length.verdict]
        candidates.append((_beyond(64, off_by, 2 / 3), f"At {about}{_fmt_s(length.duration_s)} the answer {missed} "
                           f"the {_fmt_s(length.target_s)} target: {advice[kind]}"))
    if repeats:
        phrase, count = repeats[0]
        candidates.append((40, f"You said \"{phrase}\" {count} times: once is enough, then \"it\" or nothing."
                           if count >= NOUN_PHRASE_REPEATS else f"You repeated \"{phrase}\": say it once."))
    if tangents:
        candidates.append((45, f"A tangent (\"{_short(tangents[0])}\") takes time from the story: cut it."))
    heard = voice_tip(voice)
    if heard is not None:
        candidates.append(heard)
    candidates.sort(key=lambda c: -c[0])
    tips = [text for _, text in candidates[:3]]

    strength = _strength(kind, star, think, per_100, hedges, length, scores)
    follow_up = _follow_up(kind, star, think, follow_ups)
    return tips, strength, follow_up


#: A voice tip never outranks a missing or unquantified result (80 and up): how it sounded
#: matters less than what was said, when what was said has the bigger gap.
_VOICE_TIP_CAP = 79.0


def voice_tip(voice) -> tuple[float, str] | None:
    """The one voice tip (coach/analysis/prosody.py's Voice) for the biggest voice issue, with
    its rank: a mic too quiet to hear, a monotone, sentences trailing off, uptalk, unclear words."""
    if voice is None:
        return None
    candidates: list[tuple[float, str]] = []
    loud = voice.loudness
    if loud and loud["too_quiet"]:
        candidates.append((_beyond(66, -40.0 - loud["median_dbfs"], 15),
                           f"Your voice came in at {loud['median_dbfs']:.0f} dBFS, too quiet to hear well: move "
                           "closer to the microphone or raise its input level, and speak to the back of the room."))
    pitch = voice.pitch
    if pitch and pitch.get("variation") is not None:
        pvq = pitch["variation"]
        if voice.monotone:
            candidates.append((_beyond(62, 0.06 - pvq, 0.06),
                               f"Your pitch hardly moved (variation {pvq:.2f}, range {pitch['range_semitones']:.1f} "
                               "semitones): it sounds monotone. Lift the word that carries each point, and let "
                               "your voice fall at the end of each sentence."))
        elif pitch.get("variation_band") == "flat":
            candidates.append((48, f"Your pitch varied little (variation {pvq:.2f}; lively speakers reach 0.11-0.24): "
                                   "stress the key word of each sentence, the number or the result."))
    if voice.trailing_off:
        first = voice.trailing_off[0]
        candidates.append((_beyond(50, len(voice.trailing_off), 4),
                           f"{len(voice.trailing_off)} sentence(s) faded out at the end (\"{_short(first.text, 40)}\" "
                           f"{first.detail:.0f} dB quieter): keep your voice up through the last word, where the "
                           "point usually is."))
    if voice.uptalk:
        first = voice.uptalk[0]
        candidates.append((_beyond(48, len(voice.uptalk), 4),
                           f"{len(voice.uptalk)} statement(s) rose at the end like a question (\"{first.text}\"): "
                           "let your pitch fall when you state a fact, so it sounds sure."))
    if voice.clarity and len(voice.clarity) >= 2:
        words = ", ".join(f"\"{m.text}\"" for m in voice.clarity[:3])
        candidates.append((_beyond(44, len(voice.clarity), 8),
                           f"Some words may be hard to follow ({words}): they were quiet or rushed; slow down "
                           "and finish each word."))
    if not candidates:
        return None
    rank, text = max(candidates, key=lambda c: c[0])
    return min(rank, _VOICE_TIP_CAP), text


def _beyond(base: float, excess: float, full: float, spread: float = 15.0) -> float:
    """A delivery tip's rank: ``base`` at the edge of its range, up to ``spread`` more as the
    measure goes ``full`` past it."""
    return base + spread * min(1.0, max(0.0, excess) / full)


def _setup_and_action_s(star: dict[str, Any], length: Length) -> tuple[float, float, str]:
    """Seconds spent on situation and task together, and on the actions, as the timeline shows
    them (the sentences' own times, when spoken), and "about " when estimated from words."""
    seconds = star.get("time_s")
    if seconds:
        # Whole seconds per part, as the timeline's legend shows them, so the sum matches it too.
        whole = {part: float(f"{value:.0f}") for part, value in seconds.items()}
        return whole["situation"] + whole["task"], whole["action"], ""
    share = star["time_share"]
    total = length.duration_s
    return (share["situation"] + share["task"]) * total, share["action"] * total, "about "


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _strength(kind, star, think, per_100, hedges, length, scores) -> str:
    if star is not None and star["result_quantified"]:
        return "You gave your result a number, which makes the impact concrete."
    if star is not None and all(star["present"].values()) and star["in_order"]:
        return "All four STAR parts are there, in order."
    if star is not None and star["ownership"] == "i":
        return "You made your own actions clear by telling them in the first person."
    if think is not None and think.clarifying_questions:
        return "You asked clarifying questions before diving in."
    if think is not None and think.tradeoffs_discussed:
        return "You reasoned through a trade-off with both sides named."
    if per_100 < 2:
        return "Clean delivery: hardly any filler words."
    if length.verdict == "on_target":
        return "Your answer fit the time target."
    if not hedges:
        return "You spoke with confidence: no hedging."
    return "You got a complete answer out: that is the hardest step."


def _follow_up(kind, star, think, follow_ups) -> str | None:
    """The question an interviewer would ask next, aimed at the biggest gap."""
    if star is not None:
        present = star["present"]
        if not present["result"]:
            return "What was the outcome?"
        if not present["action"] or star["ownership"] in {"we", None}:
            return "What did you personally do?"
        if not star["result_quantified"]:
            return "How did you measure the impact?"
        if not present["situation"]:
            return "Can you give me some context: where was this, and what was at stake?"
    if think is not None:
        if think.concepts_missed:
            return f"How would you handle {think.concepts_missed[0]}?"
        if not think.tradeoffs_discussed:
            return "What are the trade-offs of your approach?"
    return follow_ups[0] if follow_ups else ("What would you do differently next time?" if kind == "behavioral" else
                                             "How would you know it works in production?")
