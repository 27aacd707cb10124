"""Issue 14: a follow-up shown nested under the answer it follows, in `coach history`, the
progress report and the TUI history, never as a question of its own; on real SQLite and the real
spaCy analysis."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from coach.analysis.answer import QuestionContext, analyse_text
from coach.settings import load_settings
from coach.storage import History
from coach.storage.threads import threaded, turn_label
from tests.conftest import run_coach

QUESTION = QuestionContext(text="Tell me about a model that failed in production.", kind="behavioral", target_s=90,
                           question_id="beh-ml-prod-01")
OTHER = QuestionContext(text="Tell me about a time you disagreed with your manager.", kind="behavioral", target_s=90,
                        question_id="beh-conflict-01")
STORY = ("At my last company our fraud model was flagging too many good customers. My goal was to cut false "
         "positives before the holiday season. I rebuilt the account-age features and ran an A/B test with the risk "
         "team. As a result, false positives dropped by 35 percent.")
OUTCOME = "What was the outcome?"
ANSWER = ("In the end false positives fell by a third, and the risk team kept the new features for the holiday "
          "season.")
LATER = ("My manager wanted to ship a model I thought was not ready. I showed her the error analysis, we agreed on "
         "a guardrail metric, and we shipped two weeks later with 20 percent fewer errors.")


def _seed(settings) -> tuple[int, int, int]:
    """An answer, its follow-up 2 minutes later, then an answer to another question an hour later."""
    start = datetime.now(UTC) - timedelta(hours=3)
    with History(settings) as history:
        parent = history.save_attempt(analysis=analyse_text(STORY, question=QUESTION), created_at=start)
        turn = history.save_attempt(
            analysis=analyse_text(ANSWER, question=replace(QUESTION, text=OUTCOME, kind="follow_up", target_s=40.0)),
            parent_id=parent, created_at=start + timedelta(minutes=2))
        later = history.save_attempt(analysis=analyse_text(LATER, question=OTHER),
                                     created_at=start + timedelta(hours=1))
    return parent, turn, later


def test_threaded_puts_turns_under_their_answer_and_keeps_lone_turns():
    settings = load_settings()
    parent, turn, later = _seed(settings)
    with History(settings) as history:
        newest_first = history.attempts()
        rows = threaded(newest_first)
        assert [(r.attempt.id, r.depth) for r in rows] == [(later, 0), (parent, 0), (turn, 1)]
        assert turn_label(rows[2]) == f"↳ {OUTCOME}"
        # The answer cut off by a limit: its follow-up keeps its place and says whose it is.
        lone = threaded([a for a in newest_first if a.id != parent])
        assert [(r.attempt.id, r.depth) for r in lone] == [(later, 0), (turn, 0)]
        assert turn_label(lone[1]) == f"↳ (follow-up to #{parent}) {OUTCOME}"


def test_history_command_lists_a_follow_up_under_its_answer():
    parent, turn, later = _seed(load_settings())
    done = run_coach("history", env={"COLUMNS": "160"})
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines()[1:] if line.strip()]
    assert [int(line.split()[0]) for line in lines] == [later, parent, turn]
    assert "f-up" in lines[2] and f"↳ {OUTCOME}" in lines[2]
    assert "behav" in lines[1] and QUESTION.text in lines[1]


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_report_nests_follow_ups_and_never_makes_them_a_question(fmt):
    from coach.reports import build_report

    settings = load_settings()
    parent, turn, later = _seed(settings)
    with History(settings) as history:
        report = build_report(history, fmt=fmt)
    progress, latest = report.split("Progress per question", 1)[1].split("Latest answers", 1)
    assert OUTCOME not in progress and QUESTION.text in progress
    assert latest.index(OTHER.text) < latest.index(QUESTION.text) < latest.index(f"↳ {OUTCOME}")
    if fmt == "html":
        assert latest.count('<tr class="turn">') == 1


async def test_history_screen_nests_the_follow_up_row():
    from coach.ui.app import make_app
    from coach.ui.screens.history import HistoryScreen
    from tests.support.pilot import wait_for

    settings = load_settings()
    settings = replace(settings, voice=replace(settings.voice, mute=True),
                       audio=replace(settings.audio, output_device="no-such-speaker"))
    parent, turn, later = _seed(settings)
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = HistoryScreen()
        app.push_screen(screen)
        await wait_for(pilot, lambda: screen.loaded and screen.all_rows_added)
        table = screen.query_one("#attempts")
        keys = [int(row.key.value) for row in table.ordered_rows]
        assert keys == [later, parent, turn]
        assert str(table.get_row_at(2)[2]).startswith("↳ What was the outcome?")
        best = screen.query_one("#best")
        assert OUTCOME not in " ".join(str(best.get_row_at(i)[0]) for i in range(best.row_count))
