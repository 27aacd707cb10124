"""Story matching gives reasons a person would accept and never offers an empty draft (real spaCy and encoder)."""

import pytest

from coach.analysis import embeddings
from coach.stories import match_stories
from coach.stories.library import SAMPLES_DIR, load_library
from coach.stories.model import Story

needs_encoder = pytest.mark.skipif(not embeddings.available(), reason=embeddings.unavailable_reason() or "")


def story(title, competencies, situation="", task="", action="", result=""):
    return Story(title=title, competencies=competencies,
                 sections={"situation": situation, "task": task, "action": action, "result": result})


def test_an_empty_draft_is_never_recommended():
    empty = story("Conflict with my manager about the launch", ["conflict"])
    stub = story("Disagreed with a colleague", ["conflict"], action="I talked to him.")
    told = story("The label argument", ["conflict"],
                 situation="My colleague and I disagreed about which labels to trust for the fraud model.",
                 action="I proposed we each label fifty cases blind and compare, and I ran the comparison myself.",
                 result="We agreed on the stricter labels and precision rose from 0.61 to 0.74.")
    found = match_stories("Tell me about a time you disagreed with a colleague.", [empty, stub, told], ["conflict"])
    assert [m.story.title for m in found] == ["The label argument"]


def test_reasons_name_no_vague_words():
    stories = load_library(SAMPLES_DIR).stories
    found = match_stories("Are you sure you can tell me about a time you were really certain and it was wrong?",
                          stories)
    for m in found:
        assert not {"sure", "really", "certain"} & set(m.shared_words), m.reason


@needs_encoder
def test_a_story_matches_a_question_in_other_words_and_quotes_why():
    told = story("The label argument", [],
                 situation="My colleague and I disagreed about which labels to trust for the fraud model.",
                 action="I proposed we each label fifty cases blind and compare, and I ran the comparison myself.",
                 result="We agreed on the stricter labels and precision rose from 0.61 to 0.74.")
    other = story("The dashboard rebuild", [],
                  situation="Our sales dashboard took four minutes to load every morning.",
                  action="I rewrote the three slowest queries and added a nightly cache table.",
                  result="It loaded in six seconds and the sales team stopped exporting to spreadsheets.")
    found = match_stories("Tell me about a time you clashed with a colleague over data quality.", [other, told], [])
    assert found and found[0].story.title == "The label argument"
    assert "disagreed" in found[0].reason and found[0].closest_part == "situation"
