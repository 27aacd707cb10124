"""The think-aloud rubric judges meaning, not keywords (real spaCy, real sentence encoder)."""

import pytest

from coach.analysis import embeddings
from coach.analysis.coaching import coach_answer
from coach.analysis.language import TimedText, nlp
from coach.analysis.think_aloud import concept_coverage

needs_encoder = pytest.mark.skipif(not embeddings.available(), reason=embeddings.unavailable_reason() or "")

FRAUD_CONCEPTS = ["problem definition", "latency and throughput requirements", "label delay", "class imbalance",
                  "real-time features", "model choice", "precision and recall evaluation", "deployment and monitoring"]


def rubric(text, concepts=None):
    return coach_answer(TimedText(text), kind="think_aloud", concepts=concepts).think_aloud


@needs_encoder
def test_concepts_in_other_words_are_covered():
    text = ("A streaming job updates how often the card was used in the last hour. "
            "Chargebacks reach us a month later, so recent weeks look cleaner than they are.")
    covered, _ = concept_coverage(nlp()(text), FRAUD_CONCEPTS)
    assert "real-time features" in covered and "label delay" in covered


@needs_encoder
def test_concepts_not_touched_stay_missed():
    text = ("A streaming job updates how often the card was used in the last hour. "
            "Chargebacks reach us a month later, so recent weeks look cleaner than they are.")
    _, missed = concept_coverage(nlp()(text), FRAUD_CONCEPTS)
    assert {"class imbalance", "deployment and monitoring"} <= set(missed)


def test_without_the_encoder_only_words_count(monkeypatch):
    monkeypatch.setenv(embeddings.DISABLE_ENV, "1")
    covered, _ = concept_coverage(nlp()("Chargebacks reach us a month later."), FRAUD_CONCEPTS)
    assert "label delay" not in covered


def test_an_indirect_question_is_a_clarifying_question():
    text = ("First I'd ask how quickly each approval has to come back. "
            "Then I'd build features from the card's recent history.")
    assert rubric(text).clarifying_questions == ["First I'd ask how quickly each approval has to come back."]


def test_rhetorical_tag_and_quoted_questions_are_not_clarifying():
    text = ("What's the label? Is it positive or negative? The label is whether the payment was charged back. "
            "That's the hard part, right? "
            "My manager once told me, \"You know what? Nobody reads the dashboard.\" "
            "You know what? We alert on it instead.")
    assert rubric(text).clarifying_questions == []


def test_a_direct_question_to_the_interviewer_still_counts():
    text = "Can I assume we have a year of labelled payments? I'll assume we do. Then I'd train a model."
    assert rubric(text).clarifying_questions == ["Can I assume we have a year of labelled payments?"]


def test_a_trade_off_without_the_keywords():
    assert rubric("Blocking more fraud means declining more good customers at the checkout.").tradeoffs_discussed
    assert rubric("The more transactions we hold for review, the slower every honest customer gets paid."
                  ).tradeoffs_discussed
    assert not rubric("Precision means the share of flagged payments that really are fraud.").tradeoffs_discussed


def test_structure_announced_without_list_words():
    text = ("Let me begin with the data we have. "
            "Now for the model: a gradient boosted classifier. "
            "The last piece is how we watch it after launch.")
    assert rubric(text).signposting
