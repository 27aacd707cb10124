"""Relevance: an answer to another question is said to be one, an answer to its own question never is.

Real spaCy and the real sentence encoder; the answers are written for these tests."""

import pytest

from coach.analysis import embeddings
from coach.analysis.coaching import OFF_TOPIC_CAP, coach_answer
from coach.analysis.language import TimedText

needs_encoder = pytest.mark.skipif(not embeddings.available(), reason=embeddings.unavailable_reason() or "")

CONFLICT_STORY = (
    "Last spring my teammate and I disagreed about how to split the training data for our churn model. "
    "He wanted a random split because it was quicker, and I was worried it would leak future behaviour into training. "
    "We argued about it in two stand-ups and it started to get tense. "
    "So I set up a short meeting where we each showed our numbers on the same held-out month. "
    "I listened to his concern about the deadline and offered to write the time-based split myself that afternoon. "
    "He agreed once he saw the random split overstated accuracy by eight points. "
    "We shipped on time, and we still use that split today."
)
DESIGN_ANSWER = (
    "I'd start by asking how quickly each card payment has to be approved and how many payments we get per second. "
    "The model would score every payment with a gradient boosted classifier on features from a streaming job, "
    "such as how much the card spent in the last hour. "
    "Fraud labels arrive late, when chargebacks come in, so the training set needs a waiting window. "
    "Offline I'd measure precision and recall at a few thresholds, and then run an A/B test. "
    "After deployment we would monitor the score distribution and retrain every week. "
    "To sum up: streaming features, a tree model, delayed labels handled, and careful monitoring."
)
OPPORTUNITY = "Tell me about an opportunity you found that nobody had asked you to look into. What came of it?"
CONFLICT_Q = "Tell me about a time you disagreed with a colleague about a technical decision."
FRAUD_Q = ("Design a fraud detection system for card payments. A decision is needed before each payment is approved. "
           "Walk me through how you would approach it.")


def analyse(text, question, kind="behavioral"):
    return coach_answer(TimedText(text), kind=kind, question=question)


@needs_encoder
def test_a_conflict_story_does_not_answer_an_opportunity_question():
    coaching = analyse(CONFLICT_STORY, OPPORTUNITY)
    assert coaching.relevance.on_topic is False
    assert coaching.tips[0].startswith("This story seems to answer another question")
    assert max(coaching.scores.values()) <= OFF_TOPIC_CAP
    assert coaching.to_json()["relevance"]["on_topic"] is False


@needs_encoder
def test_the_same_story_answers_a_conflict_question():
    coaching = analyse(CONFLICT_STORY, CONFLICT_Q)
    assert coaching.relevance.on_topic is True
    assert coaching.scores["relevance"] >= 50
    assert not coaching.tips or "another question" not in coaching.tips[0]


def test_a_system_design_does_not_answer_a_behavioral_question():
    coaching = analyse(DESIGN_ANSWER, CONFLICT_Q)
    assert coaching.relevance.on_topic is False
    assert "story of something you did" in coaching.tips[0]
    assert max(coaching.scores.values()) <= OFF_TOPIC_CAP


@needs_encoder
def test_a_story_does_not_answer_a_design_question():
    coaching = analyse(CONFLICT_STORY, FRAUD_Q, kind="think_aloud")
    assert coaching.relevance.on_topic is False
    assert coaching.tips[0].startswith("This does not answer the question")
    assert max(coaching.scores.values()) <= OFF_TOPIC_CAP


@needs_encoder
def test_a_design_answers_its_design_question():
    coaching = analyse(DESIGN_ANSWER, FRAUD_Q, kind="think_aloud")
    assert coaching.relevance.on_topic is True


def test_without_a_question_there_is_no_verdict():
    assert analyse(CONFLICT_STORY, None).relevance is None
    assert analyse(CONFLICT_STORY, None).to_json()["relevance"] is None


def test_without_the_encoder_the_form_is_still_checked(monkeypatch):
    monkeypatch.setenv(embeddings.DISABLE_ENV, "1")
    off = analyse(DESIGN_ANSWER, CONFLICT_Q)
    assert off.relevance.on_topic is False and off.relevance.checked == "form"
    on = analyse(CONFLICT_STORY, OPPORTUNITY)
    assert on.relevance.on_topic is True and on.relevance.checked == "form"


# --- input that cannot be judged gets one sentence ----------------------------------------------------


@pytest.mark.parametrize("text, error, words", [
    ("   \n ", "NoSpeechError", "is empty"),
    ("um, uh, like, you know... hmm. So, yeah, um.", "NoSpeechError", "only filler words"),
    ("Letztes Jahr habe ich mit meinem Team ein Modell gebaut und die Genauigkeit stieg um zehn Prozent.",
     "CoachError", "does not look like English"),
    ("word " * 250_000, "CoachError", "characters long"),
])
def test_bad_text_gets_one_clear_sentence(text, error, words):
    from coach.analysis.answer import analyse_text
    from coach.errors import CoachError

    with pytest.raises(CoachError) as raised:
        analyse_text(text)
    message = str(raised.value)
    assert type(raised.value).__name__ == error and words in message
    assert message.count(". ") == 0 and message.endswith(".")


def test_terse_english_notes_are_still_english():
    from coach.analysis.answer import check_answer_text

    check_answer_text("Added null checks. Fixed the ETL job. Cut p95 latency 40%. Rolled out to 3 regions.")
