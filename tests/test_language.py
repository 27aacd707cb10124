"""Fillers, hedges, STAR and the think-aloud rubric on purpose-written sentences (real spaCy)."""

from __future__ import annotations

import pytest

from coach.analysis.coaching import coach_answer, length_verdict
from coach.analysis.disfluency import find_fillers, find_hedges
from coach.analysis.language import TimedText, nlp
from coach.speech.transcriber import Word


def fillers(text: str) -> list[str]:
    return [p.text.lower() for p in find_fillers(nlp()(text))]


def hedges(text: str) -> list[str]:
    return [p.text.lower() for p in find_hedges(nlp()(text))]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("It was, like, nowhere near ready.", ["like"]),
        ("I like working with data engineers.", []),
        ("We used tools like Spark and Airflow.", []),
        ("It was something like ten times faster.", []),
        ("So, um, I joined the team in March.", ["so", "um"]),
        ("The model overfit, so we added dropout.", []),
        ("We cut scope so that we could ship on time.", []),
        ("That was the launch. So yeah.", ["so"]),
        ("Uh, we had, you know, no labels at all.", ["uh", "you know"]),
        ("Do you know what the baseline was?", []),
        ("I mean, the data was a mess.", ["i mean"]),
        ("It basically came down to the features.", ["basically"]),
    ],
)
def test_filler_traps(text, expected):
    assert fillers(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I think we should retrain weekly.", ["i think"]),
        ("I thought a GBM would be faster.", []),
        ("I think about drift a lot.", []),
        ("She said maybe we should wait.", []),
        ("It improved by about 20 percent.", []),
        ("Maybe the labels were wrong.", ["maybe"]),
        ("It's probably the right call, I guess.", ["probably", "i guess"]),
        ("What kind of model would you use?", []),
    ],
)
def test_hedge_traps(text, expected):
    assert hedges(text) == expected


COMPLETE = (
    "At my last company I was on the payments team, and our fraud model was flagging too many good customers. "
    "My goal was to cut false positives before the holiday season. "
    "I pulled three months of disputes and found that new accounts were scored unfairly. "
    "I rebuilt the account-age features and ran an A/B test with the risk team. "
    "As a result, false positives dropped by 35 percent and we kept the same fraud catch rate."
)


def test_complete_star_answer():
    star = coach_answer(TimedText(COMPLETE)).star
    assert [s["label"] for s in star["sentences"]] == ["situation", "task", "action", "action", "result"]
    assert all(star["present"].values()) and star["in_order"] and star["result_quantified"]
    assert star["ownership"] == "i"
    assert star["time_share"]["action"] == max(star["time_share"].values())


def test_missing_result_gets_the_outcome_follow_up():
    text = COMPLETE.rsplit(" As a result", 1)[0]
    coaching = coach_answer(TimedText(text))
    assert not coaching.star["present"]["result"]
    assert coaching.follow_up == "What was the outcome?"
    assert any("how it ended" in tip for tip in coaching.tips)


def test_team_size_is_not_a_quantified_result():
    text = ("Our team of 12 engineers owned the ranking model in 2021. My job was to fix the stale features. "
            "I rewrote the pipeline. In the end the team was happy with it.")
    star = coach_answer(TimedText(text)).star
    assert star["present"]["result"] and not star["result_quantified"]


def test_we_heavy_actions():
    text = ("Our recommender was stale. We needed to refresh it. We collected new data, we retrained the model, "
            "and we deployed it. We also added monitoring. Clicks went up by 8 percent.")
    coaching = coach_answer(TimedText(text))
    assert coaching.star["ownership"] == "we"
    assert "What did you personally do?" == coaching.follow_up


def test_think_aloud_rubric():
    text = ("Before I start, can I assume we have labelled fraud cases from the last year? "
            "I'll assume the transaction volume is around a thousand per second. "
            "I'll cover three things: first the data, second the model, and finally monitoring. "
            "First, the data: we need features like transaction amount and merchant history. "
            "Second, a gradient boosted model is faster to train but less accurate on sequences than a neural net. "
            "Finally, we monitor precision and recall over time. "
            "So overall, my recommendation is a boosted model with weekly retraining.")
    coaching = coach_answer(TimedText(text), kind="think_aloud",
                            concepts=["class imbalance", "precision", "recall", "feature engineering"])
    rubric = coaching.think_aloud
    assert rubric.clarifying_questions == ["Before I start, can I assume we have labelled fraud cases from the last year?"]
    assert rubric.assumptions_stated and rubric.signposting and rubric.tradeoffs_discussed and rubric.summary_at_end
    assert "precision" in rubric.concepts_covered and "class imbalance" in rubric.concepts_missed
    assert coaching.star is None


def test_rhetorical_question_is_not_clarifying():
    text = "What does regularisation do? It penalises large weights so the model generalises. That's the idea."
    assert coach_answer(TimedText(text), kind="think_aloud").think_aloud.clarifying_questions == []


def test_vague_tradeoffs_do_not_count():
    text = "There are trade-offs. We could use a linear model or a tree model. I would pick the tree model."
    assert not coach_answer(TimedText(text), kind="think_aloud").think_aloud.tradeoffs_discussed


@pytest.mark.parametrize(("duration", "verdict"), [(50, "short"), (60, "on_target"), (120, "on_target"), (130, "long")])
def test_length_verdicts(duration, verdict):
    assert length_verdict(duration, 90) == verdict


def test_spoken_answer_carries_times():
    words = [Word(w, i * 0.4, i * 0.4 + 0.3, 0.9) for i, w in enumerate("So, um, I fixed the pipeline.".split())]
    coaching = coach_answer(TimedText.from_words(words), duration_s=3.0)
    assert [(f.text, f.start) for f in coaching.fillers] == [("So", 0.0), ("um", 0.4)]
    assert coaching.filler_rate["per_minute"] == pytest.approx(40.0)
    sentence = coaching.star["sentences"][0]
    assert sentence["start"] == 0.0 and sentence["end"] == pytest.approx(2.3)


def test_typed_answer_has_no_timing():
    coaching = coach_answer(TimedText(COMPLETE))
    assert coaching.filler_rate["per_minute"] is None
    assert coaching.length.estimated and coaching.star["time_s"] is None


def test_shipped_star_model_loads_and_is_used():
    from coach.analysis import star

    model = star.default_model()
    assert model is not None and set(model.classes) == set(star.LABELS)
    doc = nlp()(COMPLETE)
    assert [label for _, label in star.label_sentences(doc)] == [
        label for _, label in star.label_sentences(doc, model)]


@pytest.mark.slow
def test_star_labeller_cross_validated_quality():
    """Each devset answer labelled by a model trained without it: the issue's bar is 0.80."""
    from sklearn.metrics import f1_score

    from benchmarks.train_star import DEVSET, answers, cross_validated_models

    models = cross_validated_models()
    labels, predicted = [], []
    for answer in answers(DEVSET):  # a model with meaning features reads each sentence's encoder vector
        model = models[answer["id"]]
        labels += answer["labels"]
        predicted += model.predict(answer["rows"], answer["vectors"] if model.meaning_weights is not None else None)
    assert f1_score(labels, predicted, average="macro") >= 0.80
