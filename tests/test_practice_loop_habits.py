"""Issue 14, "Your habits": the words leaned on and the openings repeated across recent answers,
found by coach/analysis/habits.py (spaCy's stop words, no model) in transcripts from a real
history database; shown in the TUI history and the report."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from coach.analysis.answer import QuestionContext, analyse_text
from coach.analysis.habits import describe, find_habits, sentences
from coach.settings import load_settings
from coach.storage import History

SO_ANSWERS = [
    "So at my last job the pipeline broke every week. I rebuilt the pipeline. And basically it worked.",
    "So the model was slow. We profiled it and basically found a slow join in the pipeline.",
    "So I led the migration. And the pipeline ran twice as fast.",
    "Well, I talked to the team first. Then I fixed the model.",
]


def test_answer_openers_count_answers_and_sentence_openers_count_sentences():
    habits = find_habits(SO_ANSWERS)
    assert habits.answers == 4
    [so] = habits.answer_openers
    assert (so.opener, so.count, so.total) == ("So", 3, 4)
    assert describe(habits)[0] == 'You opened 3 of your last 4 answers with "So...".'
    ands = {o.opener: o for o in habits.sentence_openers}["And"]
    assert (ands.count, ands.total, ands.answers) == (2, 9, 2)
    assert "So" not in {o.opener for o in habits.sentence_openers}  # said once, as how the answers open


def test_most_used_words_leave_out_stop_words_contractions_and_filled_pauses():
    habits = find_habits(SO_ANSWERS + ["Um, I don't think the pipeline was the problem, um, basically."])
    words = {w.word: w for w in habits.words}
    assert (words["pipeline"].uses, words["pipeline"].answers) == (5, 4)
    assert words["basically"].uses == 3
    assert not {"the", "and", "so", "i", "um", "don't", "was"} & set(words)
    assert list(words)[0] == "pipeline"  # most used first


def test_plain_openers_and_one_off_words_are_no_habit():
    habits = find_habits(["I built it. I shipped it.", "I measured the latency. We launched."])
    assert habits.answer_openers == () and habits.sentence_openers == () and habits.words == ()
    assert describe(habits) == ["No word or opening stands out across your last 2 answers."]
    assert describe(find_habits(["So one answer only."])) == ["Habits show once you have answered a few questions."]


def test_numbers_with_a_point_do_not_end_a_sentence():
    assert sentences("Recall rose to 0.81 from 0.62. So we shipped.") == ["Recall rose to 0.81 from 0.62.",
                                                                         "So we shipped."]


QUESTION = QuestionContext(text="Tell me about a pipeline you fixed.", kind="behavioral", target_s=90)


def _seed(settings) -> None:
    start = datetime.now(UTC) - timedelta(days=2)
    with History(settings) as history:
        for n, text in enumerate(SO_ANSWERS):
            history.save_attempt(analysis=analyse_text(text, question=QUESTION), created_at=start + timedelta(hours=n))
        history.save_attempt(error="Whisper failed", question_text=QUESTION.text, transcript=None,
                             created_at=start + timedelta(hours=9))


def test_recent_transcripts_are_the_latest_analysed_answers():
    settings = load_settings()
    _seed(settings)
    with History(settings) as history:
        assert history.recent_transcripts(2) == [SO_ANSWERS[3], SO_ANSWERS[2]]
        assert len(history.recent_transcripts()) == 4  # the failed attempt has no transcript


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_the_report_has_a_habits_section(fmt):
    from coach.reports import build_report

    settings = load_settings()
    _seed(settings)
    with History(settings) as history:
        report = build_report(history, fmt=fmt)
    habits = report.split("Your habits", 1)[1]
    assert "You opened 3 of your last 4 answers with" in habits and "So..." in habits
    assert "pipeline" in habits.split("Latest answers")[0]


async def test_the_history_screen_shows_your_habits():
    from coach.ui.app import make_app
    from coach.ui.screens.history import HistoryScreen
    from tests.support.pilot import wait_for

    settings = load_settings()
    settings = replace(settings, voice=replace(settings.voice, mute=True),
                       audio=replace(settings.audio, output_device="no-such-speaker"))
    _seed(settings)
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = HistoryScreen()
        app.push_screen(screen)
        await wait_for(pilot, lambda: screen.loaded)
        shown = str(screen.query_one("#habits").render())
        assert 'You opened 3 of your last 4 answers with "So..."' in shown
        assert '"pipeline" 4x' in shown


def test_stop_words_are_spacys_without_importing_spacy():
    import subprocess
    import sys

    code = ("import sys; from coach.analysis.habits import _stop_words, find_habits; "
            "find_habits(['So we shipped it.', 'So it worked.']); "
            "print(len(_stop_words()), 'spacy' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    from spacy.lang.en.stop_words import STOP_WORDS

    assert done.stdout.split() == [str(len(STOP_WORDS)), "False"], done.stderr
