"""Issue 14, the practice loop: what a rehearsal says was left out (#11) and the story lint's
length line (#16)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from coach.stories import Story

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow  # spaCy


def _story(**sections) -> Story:
    return Story(title="Test story", competencies=["conflict"], roles=["ML Engineer"], metric="x", sections=sections)


def test_rehearsal_names_every_point_it_counts_as_left_out():
    from coach.analysis.answer import analyse_text
    from coach.stories import compare_telling
    from coach.stories.library import read_story

    story = read_story(REPO / "stories" / "the-forecast-that-drifted-overnight.md")
    telling = analyse_text(
        "At a grocery delivery company I worked on demand forecasting for forty warehouses. I compared the "
        "inputs with the previous month and found that a supplier feed had switched from kilograms to grams. "
        "Forecast error went from 31 percent back to 12 percent by Thursday.")
    rehearsal = compare_telling(story, telling)
    assert len(rehearsal.left_out) >= 4
    notes = "\n".join(rehearsal.notes())
    told, total = map(int, re.search(r"You told (\d+) of the draft's (\d+) points", notes).groups())
    assert total - told == len(rehearsal.left_out)
    for point in rehearsal.left_out:  # each one, not only the first result
        assert point.text[:40] in notes, (point.text, notes)


def test_rehearsal_with_nothing_left_out_lists_nothing():
    from coach.analysis.answer import analyse_text
    from coach.stories import compare_telling

    story = _story(situation="Our fraud model flagged good customers.", task="I had to cut false alarms.",
                   action="I retrained the model with dispute labels.", result="False alarms fell by forty percent.")
    telling = analyse_text("Our fraud model flagged good customers. I had to cut false alarms. I retrained the "
                           "model with dispute labels. False alarms fell by forty percent.")
    notes = compare_telling(story, telling).notes()
    assert notes[0] == "You told 4 of the draft's 4 points."
    assert not any("left out" in note for note in notes)


def _words(n: int) -> str:
    return " ".join(["alpha"] * n)


@pytest.mark.parametrize(("action_words", "thin"), [(80, True), (110, True), (125, True), (150, False)])
def test_lint_calls_a_draft_thin_exactly_when_it_is_under_the_range_it_names(action_words, thin):
    from coach.stories import lint_story

    # 19 words of situation, task and result plus the action: about 40, 52, 58 and 68 s at 150 wpm.
    story = _story(situation="At a bank our fraud model flagged good customers.", task="I had to fix it.",
                   action=f"I retrained it. {_words(action_words - 3)}", result="False alarms fell by 40%.")
    report = lint_story(story)
    found = [f for f in report.findings if f.code == "too_short"]
    assert bool(found) == thin, (report.speaking_s, found)
    if found:
        low, high = map(int, re.search(r"thin for a (\d+)-(\d+) s answer", found[0].message).groups())
        assert report.speaking_s < low and (low, high) == (60, 120)
