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
# Structure announced without the list words: "Stage two: ...", "Now for the model", "With that
# settled, ...", "On the serving side, ...", "The last piece is ...".
_SIGNPOST_OPENING = re.compile(
    r"^\W*(okay,? |ok,? |so,? |and )?(now,? (for|on|to|the|let's|let me|i'd|i'll)|next\b|then,? (for|on|i'd|i'll|we'd)\b|"
    r"once (that|this|we have that)|with that\b|before (i|we) (get|go|move)|on the [\w-]+ side|for the [\w-]+ (part|side|piece|stage)|"
    r"the (last|final|next|other) (thing|piece|part|step|stage|question|bit)|last,|(stage|step|part|phase) (one|two|three|four|1|2|3|4)\b|"
    r"let me (begin|move|turn|go back)|let's (start|begin|move|turn|talk)|to (begin|kick off)|that covers|"
    r"(goal|size|data|check|model|serving|evaluation|monitoring|features|labels|deployment)\s*:)",
    re.I,
)
_CONTRAST = re.compile(
    r"\b(but|whereas|while|however|on the other hand|at the cost of|the downside|the upside|the cost is|"
    r"in exchange|versus|vs|the catch|the price|at the expense of|although|though|means|meaning|costs?( us)?|"
    r"in return|comes at|at the price of|trading|we lose|you lose|we give up)\b",
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
# "The more we block, the more good customers we decline."
_THE_MORE = re.compile(r"\bthe (more|less|fewer|higher|lower|bigger|smaller|faster|slower)\b[^.]*,\s*the "
                       r"(more|less|fewer|higher|lower|bigger|smaller|faster|slower|worse|better)\b", re.I)


def rubric(doc: Doc, expected_concepts: list[str] | None = None,
           longest_silence_s: float | None = None) -> ThinkAloudRubric:
    sentences = [s for s in doc.sents if any(not t.is_punct for t in s)]
    result = ThinkAloudRubric(longest_silence_s=longest_silence_s)
    result.clarifying_questions = _clarifying_questions(sentences)
    result.assumptions_stated = any(_ASSUMPTION.search(s.text) for s in sentences)
    result.signposting = sum(bool(_SIGNPOST.search(s.text) or _SIGNPOST_OPENING.search(s.text))
                             for s in sentences) >= 2
    result.tradeoffs_discussed = any(_weighs_both_sides(s) for s in sentences)
    tail = sentences[-2:] if len(sentences) >= 4 else sentences[-1:]
    result.summary_at_end = any(_SUMMARY.search(s.text) for s in tail)
    covered, missed = concept_coverage(doc, expected_concepts or [])
    result.concepts_covered, result.concepts_missed = covered, missed
    return result


_TAG_QUESTION = re.compile(
    r"(,|\b)\s*(right|correct|yeah|yes|no|ok(ay)?|huh|eh|isn't it|aren't they|don't you think|wouldn't you say|"
    r"isn't that|doesn't it|don't they|won't it|can't we|you know|know what i mean|you know what i mean|"
    r"make sense|does that make sense|you see)\s*\?$", re.I)
# Idioms shaped like questions: "You know what?", "Guess what?".
_IDIOM_QUESTION = re.compile(r"^\W*(you know what|guess what|know what|and you know what|you know what i mean)\W*$", re.I)
# Straight and curly double quotes and the opening single quote; "'" and "\u2019" are apostrophes too.
_QUOTE_CHARS = "\"\u201c\u201d\u2018"
_REPORTED = re.compile(r"\b(said|says|say|asked|asks|ask|told|tells|goes|went|was like|were like|wondered)\b[^?]*[,:]\s*\W?\w",
                       re.I)
# Spoken in the speaker's own voice about the speaker's own reasoning: "how would I know...?", "what do I do?".
_SELF_DIRECTED = re.compile(r"^\W*(and |so |but |now |okay,? |ok,? |first,? |second,? |then,? )*"
                            r"(why|how|what|where|when|which)\b[^?]*\b(i|we)\b\s*(do|know|need|get|want|use|pick|"
                            r"choose|fix|handle|start|measure|check)\b", re.I)
_WHY = re.compile(r"^\W*(and |so |but |now |first,? |second,? |then,? )*(why|how come)\b", re.I)
_ASKS_INTERVIEWER = re.compile(
    r"\b(you|your|can i|may i|should i|could i|do i get|am i allowed|is it ok(ay)? if|would it be ok(ay)?)\b", re.I)
# "I'd ask how quickly...", "my first question would be whether...", "I'd want to know if...".
_INDIRECT_QUESTION = re.compile(
    r"\b(i'?d|i would|i'll|i will|let me|i want to|i need to|i'd need to|i'd want to|i'd like to|i'd first|"
    r"i would first|my first question (would be|is)|first question)\b[^.?!]{0,40}?"
    r"\b(ask(ing)?|clarify(ing)?|(want|like|need) to know|find(ing)? out from you|check(ing)? with you|"
    r"confirm(ing)? with you|question (would be|is))\b[\s,:]*(you |the interviewer |first )?"
    r"(whether|if|how|what|which|who|when|where|about)\b", re.I)


def _is_question_to_someone_else(text: str) -> bool:
    """A tag question, an idiom or a quoted or reported question is not the speaker asking the interviewer."""
    if _TAG_QUESTION.search(text) or _IDIOM_QUESTION.search(text):
        return True
    before = text[: text.rfind("?")]
    return any(q in before for q in _QUOTE_CHARS) or bool(_REPORTED.search(before))


def _clarifying_questions(sentences: list[Span]) -> list[str]:
    """Questions for the interviewer: asked directly ("can I assume...?", "how many users do we have?")
    or reported ("first I'd ask how quickly each approval has to come back"). Not counted: questions
    the speaker answers at once (rhetorical), tag questions ("..., right?"), quoted speech and idioms
    ("You know what?")."""
    questions = []
    texts = [s.text.strip() for s in sentences]
    for i, text in enumerate(texts):
        if not text.endswith("?"):
            if _INDIRECT_QUESTION.search(text):
                questions.append(text)
            continue
        if _is_question_to_someone_else(text):
            continue
        if _ASKS_INTERVIEWER.search(text):
            questions.append(text)
            continue
        if _SELF_DIRECTED.search(text) or _WHY.search(text) or re.match(r"^(so )?(what|why|how) (does|do|is) (that|this)\b",
                                                                       text, re.I):
            continue
        # A question the speaker goes on to answer is rhetorical; one followed by an assumption, a
        # condition or the end of the turn was left for the interviewer.
        following = next((t for t in texts[i + 1:] if not t.endswith("?")), "")
        if not following or _ASSUMPTION.search(following) or re.match(r"^\W*(if|assuming|depending)\b", following, re.I):
            if _TO_INTERVIEWER.search(text):
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
    if _THE_MORE.search(text):
        return True
    mentions = bool(re.search(r"\btrade-?offs?\b", text, re.I))
    if mentions and _evaluations(sentence) >= 2:
        return True
    return any(_both_sides(sentence, match) for match in _CONTRAST.finditer(text))


def _both_sides(sentence: Span, match: re.Match) -> bool:
    cut = sentence.start_char + match.start()
    before = [t for t in sentence if t.idx < cut]
    after = [t for t in sentence if t.idx >= cut]
    if match.group(0).lower() in {"means", "meaning"}:
        # "Precision means the share of..." defines; "blocking more fraud means declining more good
        # customers" trades: a change on each side.
        return _changes(before) >= 1 and _changes(after) >= 1
    return _evaluations(before) >= 1 and _evaluations(after) >= 1


def _changes(tokens) -> int:
    return sum(t.tag_ in _COMPARATIVE or t.lower_ in {"more", "less", "fewer", "most", "least"} for t in tokens)


def _stem(word: str) -> str:
    # A crude shared stem: "sparse"/"sparsity", "regularise"/"regularization" meet at 5 letters.
    return word.lower()[:5]


def _content_stems(text: str) -> set[str]:
    from coach.analysis.language import nlp

    return {_stem(t.lemma_) for t in nlp()(text) if t.is_alpha and not t.is_stop and len(t) > 1}


_PROBLEM_STATEMENT = re.compile(
    r"\b(the (goal|aim|job|task|idea|objective|point) (here )?is|what we('re| are) (really )?(deciding|predicting|trying)|"
    r"we('re| are) (really )?(predicting|deciding|forecasting|trying to)|we want (to|people|users)|the thing we want)\b", re.I)
#: Chosen by leaving each question out in turn on tests/devset/think_aloud_paraphrases.jsonl and
#: think_aloud.jsonl (benchmarks/meaning_eval.py): a sentence counts for the concepts it is nearest
#: to (within _MARGIN of its best), when at least _MIN_SIM near; any sentence _SURE_SIM near counts.
#: A question only counts when sure: asking about labels is not explaining class imbalance.
_MIN_SIM = 0.25
_SURE_SIM = 0.45
_MARGIN = 0.02


def concept_coverage(doc: Doc, concepts: list[str], *, use_meaning: bool = True) -> tuple[list[str], list[str]]:
    """Concepts the answer covers, in any words, and those it misses.

    A concept is covered when its name appears, when at least half of its content words do
    (compared by a shared stem, so "sparse" covers "sparsity"), or, with the sentence encoder,
    when a sentence means it: the sentence is nearer to this concept (its name and a short
    description) than to the question's other concepts. Without the encoder only the words count.
    """
    answer = {_stem(t.lemma_) for t in doc if t.is_alpha} | {_stem(t.lower_) for t in doc if t.is_alpha}
    text = doc.text.lower()
    found = set()
    for concept in concepts:
        stems = _content_stems(concept) or {_stem(concept)}
        hits = sum(stem in answer for stem in stems)
        if concept.lower() in text or hits >= max(1, -(-len(stems) // 2)):
            found.add(concept)
    if _PROBLEM_STATEMENT.search(doc.text):
        found |= {c for c in concepts if "problem definition" in c or "objective" in c}
    if use_meaning and len(found) < len(concepts):
        found |= _covered_by_meaning([s.text.strip() for s in doc.sents if any(t.is_alpha for t in s)], concepts)
    return [c for c in concepts if c in found], [c for c in concepts if c not in found]


def _covered_by_meaning(sentences: list[str], concepts: list[str]) -> set[str]:
    from coach.analysis.embeddings import maybe_encode

    if not sentences or not concepts:
        return set()
    anchors = [[concept, *CONCEPT_DESCRIPTIONS.get(concept.lower(), ())] for concept in concepts]
    flat = [text for group in anchors for text in group]
    vectors = maybe_encode(sentences + flat)
    if vectors is None:
        return set()
    units, anchor_vectors = vectors[: len(sentences)], vectors[len(sentences):]
    similarity = units @ anchor_vectors.T
    columns, start = [], 0
    for group in anchors:  # a concept is as near as its nearest description
        columns.append(similarity[:, start:start + len(group)].max(axis=1))
        start += len(group)
    import numpy as np

    nearness = np.stack(columns, axis=1)
    best = nearness.max(axis=1, keepdims=True)
    statements = np.array([not s.endswith("?") for s in sentences])[:, None]
    won = (nearness >= best - _MARGIN) & (nearness >= _MIN_SIM) & statements
    return {c for j, c in enumerate(concepts) if won[:, j].any() or nearness[:, j].max() >= _SURE_SIM}


#: What the concepts of the system-design questions mean, in plain words, so that an answer that
#: describes one without naming it still covers it. Written from the concepts' definitions; other
#: concepts are compared by their names.
CONCEPT_DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "problem definition": (
        "what exactly the system has to decide or predict, and for whom",
        "the goal of the system and what a good outcome means for the business",
    ),
    "problem definition and objective": (
        "what exactly the system has to decide or predict, and for whom",
        "which objective to optimise, what we want users to get out of it",
    ),
    "problem definition and horizon": (
        "what exactly we forecast, at what level, and how far ahead",
        "the forecast horizon: how many days or weeks ahead the prediction is for",
    ),
    "policy and problem definition": (
        "which content counts as harmful according to the written policy",
        "what exactly the system has to decide about each post",
    ),
    "latency and throughput requirements": (
        "how fast each prediction must be returned and how many requests per second",
        "the time budget per request and the peak load",
    ),
    "latency and throughput": (
        "how fast each prediction must be returned and how many requests per second",
        "milliseconds per request at a very high request rate",
    ),
    "latency requirements": ("how fast the answer must come back, a time budget in milliseconds",),
    "latency at scale": (
        "returning results within milliseconds for a huge number of users",
        "keeping the response fast when there are many candidates and users",
    ),
    "latency and cost requirements": (
        "how fast and how cheap each answer must be",
        "the cost of each model call and the waiting time",
    ),
    "scale": (
        "how many users or items there are, and what size the system must handle",
        "too many pairs or items to compare them all",
    ),
    "scale requirements": ("how many users and items the system must serve, and how fast",),
    "scale and throughput": ("a huge volume of items per day that must be processed automatically and cheaply",),
    "label delay": (
        "the true outcome is only known weeks later, labels arrive late",
        "recent data does not have its final labels yet",
    ),
    "class imbalance": (
        "positive cases are very rare compared with negatives",
        "only a tiny fraction of the examples are the class we care about",
    ),
    "real-time features": (
        "signals computed from the latest events in a stream, such as counts over the last hour",
        "features updated live as events happen",
    ),
    "real-time traffic features": ("live traffic speeds and congestion on the roads right now",),
    "model choice": (
        "which kind of model to use, for example gradient boosted trees, a linear model or a neural network",
        "the algorithm I would pick and why",
    ),
    "precision and recall evaluation": (
        "how many of the flagged cases were really positive and how many of the positives we caught",
        "evaluating precision and recall at different thresholds",
    ),
    "precision and recall trade-off": (
        "catching more bad cases also produces more false alarms",
        "being stricter removes more harmful items but also more innocent ones",
    ),
    "precision requirement": (
        "false positives are very costly, so we only act when we are very sure",
        "we must rarely flag a legitimate item by mistake",
    ),
    "deployment and monitoring": (
        "serving the model in production and watching its performance over time",
        "shipping the model and tracking whether it keeps working, with alerts",
    ),
    "monitoring": (
        "watching the system in production and alerting when its quality or inputs change",
        "dashboards and alerts on live metrics and drift after launch",
    ),
    "candidate generation": (
        "narrowing millions of items down to a few hundred cheap candidates before scoring",
        "a first stage that retrieves a shortlist of possible items",
    ),
    "ranking model": (
        "a model that scores and orders the candidates",
        "a second-stage model that predicts how likely the user is to engage with each item",
    ),
    "feature pipeline": (
        "jobs that compute and store features so the model can read them at serving time",
        "batch and streaming jobs that keep features fresh in a feature store",
    ),
    "offline and online evaluation": ("evaluating on historical data first and then with an A/B test on live traffic",),
    "offline evaluation": ("evaluating on historical held-out data before launch",),
    "online experiment": ("an A/B test on live users comparing the new system with the old one",),
    "online experiments": ("an A/B test on live users comparing the new system with the old one",),
    "feedback loops": (
        "the model only learns from what it already showed, reinforcing itself",
        "exploration so the system does not keep recommending the same things",
    ),
    "feedback loop": (
        "decisions and corrections flow back into the training data",
        "reviewer labels are used to retrain the model",
    ),
    "query understanding": (
        "interpreting the typed query: spelling correction, detecting brands and categories, expanding synonyms",
    ),
    "retrieval": ("fetching a set of matching items from a large catalogue using keywords or vector search",),
    "learning to rank": ("a model trained to order results so that better items come before worse ones for a query",),
    "relevance labels": (
        "where the judgements of which results are relevant come from, such as clicks, purchases or human raters",
    ),
    "ranking metrics such as ndcg": (
        "a metric that rewards putting the most relevant items at the top positions",
        "NDCG or mean reciprocal rank on the top results",
    ),
    "interaction data pipeline": (
        "logging user events such as plays, clicks and ratings and turning them into training data",
    ),
    "two tower retrieval": (
        "one network embeds the user and another embeds the item, with nearest neighbour search over item vectors",
    ),
    "cold start": ("recommending to new users or new items that have no history yet",),
    "sparse high-cardinality features": ("categorical ids with millions of distinct values, hashed or embedded",),
    "calibration": ("the predicted probability should match the observed frequency of the outcome",),
    "log loss evaluation": ("evaluating probabilities with log loss, the negative log likelihood of what happened",),
    "training data pipeline": ("joining logged events and outcomes into training examples",),
    "online learning": ("updating the model continuously on the newest data as it arrives",),
    "labels from user reports": ("labels come from users marking items as spam or not spam",),
    "text and sender features": ("features from the message text, links and the sender's reputation and history",),
    "adversarial drift": ("attackers change their behaviour to evade the model, so patterns shift over time",),
    "retraining": ("retraining the model regularly on fresh data",),
    "data pipeline": ("collecting, cleaning and joining historical data into training examples",),
    "regression loss": ("the loss function for predicting a number, such as squared error or an asymmetric loss",),
    "error by segment": (
        "measuring the error separately for different groups, places and times instead of one overall average",
    ),
    "multimodal models": ("a model that looks at the image and the text together",),
    "human review queue": ("uncertain cases are sent to human moderators, prioritised by severity or reach",),
    "graph features": ("features from the social graph, such as shared connections between two people",),
    "acceptance labels": ("learning from whether past suggestions or invitations were accepted",),
    "hierarchical data": ("data at several levels such as item, store, region and total that should add up",),
    "time series features": ("lagged sales, seasonality, holidays, promotions and calendar features",),
    "backtesting": (
        "testing on past periods by forecasting from a past cut-off date and comparing with what happened",
    ),
    "batch pipeline": ("a scheduled job that recomputes all predictions at once every night",),
    "retrieval augmented generation": (
        "retrieving relevant passages from documents and giving them to the language model to answer from",
    ),
    "document chunking": ("splitting long documents into smaller overlapping pieces",),
    "embedding index": ("turning passages into vectors stored in a nearest neighbour index",),
    "answer quality and hallucination evaluation": (
        "checking whether answers are correct and grounded in the sources, not made up",
    ),
    "access control": ("users can only see documents they have permission to read",),
    "streaming data pipeline": ("metrics flow continuously through a stream or queue into a processing job",),
    "seasonality": ("regular daily or weekly patterns, such as higher load in the mornings",),
    "unsupervised detection": ("learning what normal looks like without labels and flagging points far from it",),
    "evaluation without labels": (
        "judging the detector when there are no labelled examples, for example with injected anomalies or past "
        "incidents",
    ),
    "alert thresholds": ("the level at which an alert fires, such as a number of deviations for some minutes",),
    "alert fatigue": ("too many alerts make engineers ignore or mute them",),
}
