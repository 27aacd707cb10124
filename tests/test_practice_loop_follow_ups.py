"""Issue 14 #2 and #3: a follow-up is its own kind of question (a short, direct answer judged on
whether it answers the follow-up) and is stored as a turn of the answer it follows, on real
SQLite files, including a database an older coach left behind."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from coach.analysis.answer import QuestionContext, analyse_text
from coach.analysis.coaching import coach_answer
from coach.analysis.language import TimedText
from coach.settings import load_settings
from coach.speech.transcriber import Word
from coach.storage import History, schema
from coach.storage.trends import question_progress

QUESTION = QuestionContext(text="Tell me about a model that failed in production.", kind="behavioral", target_s=90,
                           question_id="beh-ml-prod-01")
STORY = ("At my last company our fraud model was flagging too many good customers. My goal was to cut false "
         "positives before the holiday season. I pulled three months of disputes and found that new accounts were "
         "scored unfairly. I rebuilt the account-age features and ran an A/B test with the risk team. As a result, "
         "false positives dropped by 35 percent.")
OUTCOME = "What was the outcome?"
GOOD_FOLLOW_UP = ("In the end false positives fell by a third, the risk team kept the new features for the holiday "
                  "season, and the number of angry calls from customers went down with it.")


def _spoken(text: str, wpm: float = 150.0):
    words, t = [], 0.0
    for token in text.split():
        words.append(Word(token, round(t, 3), round(t + 0.9 * 60 / wpm, 3), 0.9))
        t += 60 / wpm
    return TimedText.from_words(words), words[-1].end - words[0].start


# --- #2: its own kind ------------------------------------------------------------------------------------


def test_a_good_short_follow_up_is_not_graded_as_a_full_story():
    text, span = _spoken(GOOD_FOLLOW_UP)
    assert 10 < span < 20  # the 15 s answer of the trial
    coaching = coach_answer(text, kind="follow_up", duration_s=span, question=OUTCOME)
    assert coaching.star is None and "structure" not in coaching.scores
    assert (coaching.length.target_s, coaching.length.low_s, coaching.length.high_s) == (40, 20, 60)
    assert coaching.follow_up_check.answered is True
    assert coaching.scores["answered"] == 100
    tips = " ".join(coaching.tips)
    assert "Missing" not in tips and "90 s" not in tips and "situation" not in tips
    assert coaching.follow_up is None  # one turn, then the conversation moves on


def test_a_follow_up_that_does_not_answer_is_told_so_first():
    text, span = _spoken("I worked closely with the risk team, and we spent a lot of time talking about the "
                         "features and how the model was trained, which everybody found really interesting.")
    coaching = coach_answer(text, kind="follow_up", duration_s=span, question=OUTCOME)
    assert coaching.follow_up_check.answered is False
    assert coaching.tips[0].startswith(f'The follow-up asked "{OUTCOME}"')
    assert coaching.scores["answered"] < 50


@pytest.mark.parametrize(("asked", "answer", "answered"), [
    ("How did you measure the impact?", "We compared the dispute rate before and after: it fell from four "
                                        "percent to under three.", True),
    ("How did you measure the impact?", "We looked at it together and everyone was happy with it.", False),
    ("What did you personally do?", "I pulled the disputes myself, I wrote the new features and I ran the "
                                    "experiment.", True),
    ("What did you personally do?", "The team looked into it and the analysts fixed the features.", False),
])
def test_what_a_follow_up_asks_for_is_checked(asked, answer, answered):
    coaching = coach_answer(TimedText(answer), kind="follow_up", question=asked)
    assert coaching.follow_up_check.answered is answered, coaching.follow_up_check


def test_a_follow_up_coach_cannot_check_is_not_guessed_at():
    coaching = coach_answer(TimedText("I would watch the error rate and the latency on a dashboard."),
                            kind="follow_up", question="Who else was in the room?")
    assert coaching.follow_up_check.answered is None and "answered" not in coaching.scores


# --- #3: stored as a turn -----------------------------------------------------------------------------------


@pytest.fixture
def settings():
    return load_settings()


def _parent_and_turn(history: History) -> tuple[int, int]:
    parent = history.save_attempt(analysis=analyse_text(STORY, question=QUESTION))
    follow_up = analyse_text(GOOD_FOLLOW_UP, question=replace(QUESTION, text=OUTCOME, kind="follow_up",
                                                              target_s=40.0))
    turn = history.save_attempt(analysis=follow_up, parent_id=parent)
    return parent, turn


def test_a_follow_up_is_a_turn_not_another_attempt_at_the_question(settings):
    with History(settings) as history:
        parent, turn = _parent_and_turn(history)
        retry = history.save_attempt(analysis=analyse_text(STORY, question=QUESTION))
        at_question = history.attempts(question_key=QUESTION.question_id, newest_first=False)
        assert [a.id for a in at_question] == [parent, retry]
        assert [t.id for t in history.turns(parent)] == [turn]
        stored = history.attempt(turn)
        assert stored.parent_id == parent and stored.kind == "follow_up" and stored.is_follow_up
        progress = question_progress(history.attempts(newest_first=False))
        assert [(p.key, p.label, p.attempts) for p in progress] == [(QUESTION.question_id, QUESTION.text, 2)]


def test_deleting_the_parent_keeps_the_follow_up(settings):
    with History(settings) as history:
        parent, turn = _parent_and_turn(history)
        history.delete_attempt(parent)
        kept = history.attempt(turn)
        assert kept.parent_id is None and kept.kind == "follow_up"
        assert history.attempts(question_key=QUESTION.question_id) == []  # still not an attempt at the question


def test_reanalysing_a_follow_up_judges_it_as_the_follow_up(settings):
    with History(settings) as history:
        _, turn = _parent_and_turn(history)
        again = history.reanalyse(turn)
        assert again.kind == "follow_up" and again.analysis["kind"] == "follow_up"
        assert again.analysis["question"] == OUTCOME and again.analysis["follow_up_check"]["answered"] is True


def test_export_and_import_keep_the_turns(settings, tmp_path, monkeypatch):
    from coach.storage.archive import export_history, import_history

    with History(settings) as history:
        parent, turn = _parent_and_turn(history)
        archive = tmp_path / "backup.zip"
        export_history(history, archive)
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "elsewhere"))
    other = load_settings()
    with History(other) as fresh:
        import_history(fresh, archive)
        imported = {a.question_label: a for a in fresh.attempts()}
        assert imported[OUTCOME].parent_id == imported[QUESTION.text].id
        assert [t.question_label for t in fresh.turns(imported[QUESTION.text].id)] == [OUTCOME]


def _at(minutes: float) -> str:
    return (datetime(2026, 3, 2, 9, 0, tzinfo=UTC) + timedelta(minutes=minutes)).isoformat()


def test_an_older_database_has_its_follow_ups_linked_to_their_answers(settings):
    """Version 3 stored a follow-up right after its answer, under the answer's question id with the
    follow-up's text: the version 4 upgrade makes those turns, and nothing else."""
    path = settings.data_dir / "history.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    schema.migrate(conn, target=3)
    conn.execute("COMMIT")
    rows = [  # (minutes, question id, text)
        (0, "q1", QUESTION.text),             # 1: an answer
        (2, "q1", OUTCOME),                   # 2: its follow-up
        (3, "q1", "How did you measure the impact?"),  # 3: a follow-up of the follow-up: a turn of 1
        (5, "q1", QUESTION.text),             # 4: a retry of the question
        (6, "q1", OUTCOME),                   # 5: the retry's follow-up
        (7, "q2", "Tell me about a conflict."),  # 6: another question
        (8, "q2", "Tell me about a conflict."),  # 7: a retry of it
        (200, "q2", "What did you personally do?"),  # 8: hours later: not taken for a follow-up
        (201, None, "A typed question of my own"),   # 9: no bank id
        (202, None, "Another of my own"),            # 10
    ]
    for minutes, question_id, text in rows:
        conn.execute("INSERT INTO attempts (uid, created_at, question_id, question_text, kind) VALUES "
                     "(lower(hex(randomblob(16))), ?, ?, ?, 'behavioral')", (_at(minutes), question_id, text))
    conn.close()

    with History(settings) as history:
        assert history.db.opened_version == 3
        parents = {a.id: a.parent_id for a in history.attempts(newest_first=False)}
        assert parents == {1: None, 2: 1, 3: 1, 4: None, 5: 4, 6: None, 7: None, 8: None, 9: None, 10: None}
        assert [a.id for a in history.attempts(question_key="q1", newest_first=False)] == [1, 4]
        progress = {p.key: p.attempts for p in question_progress(history.attempts(newest_first=False))}
        assert progress["q1"] == 2 and progress["q2"] == 3
        # and the upgraded database takes new turns
        new = history.save_attempt(question_id="q1", question_text=OUTCOME, kind="follow_up", parent_id=4,
                                   error="No speech was heard.")
        assert [t.id for t in history.turns(4)] == [5, new]


# --- the practice loop through Textual's Pilot ------------------------------------------------------------


@pytest.mark.slow
async def test_answering_the_follow_up_in_the_tui_stores_a_turn_of_the_answer():
    from coach.ui.app import make_app
    from coach.ui.screens.feedback import FeedbackScreen
    from coach.ui.screens.practice import PracticeScreen
    from tests.support.pilot import wait_for

    settings = load_settings()
    # A device name no machine has: the answers are typed.
    settings = replace(settings, audio=replace(settings.audio, input_device="no-such-microphone"),
                       voice=replace(settings.voice, mute=True))
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PracticeScreen) and app.screen.state == "no_microphone")
        await pilot.press("t")
        await pilot.pause()
        app.screen.query_one("#answer").text = STORY.replace("As a result, false positives dropped by 35 percent.",
                                                             "")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, FeedbackScreen) and bool(app.screen.query("#tips")))
        first = app.screen
        asked = first.analysis.coaching.follow_up
        assert asked == OUTCOME  # the answer never said how it ended
        await pilot.press("a")  # at once: the answer may still be being saved
        await wait_for(pilot, lambda: isinstance(app.screen, PracticeScreen) and app.screen.state == "no_microphone")
        practice = app.screen
        assert practice.follow_up_of == first.attempt_id is not None
        assert practice.question.kind == "follow_up" and practice.question.target_s == 40
        assert "Follow-up" in str(practice.query_one("#meta").render())
        await pilot.press("t")
        await pilot.pause()
        app.screen.query_one("#answer").text = GOOD_FOLLOW_UP
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, FeedbackScreen) and app.screen is not first
                       and bool(app.screen.query("#tips")))
        feedback = app.screen
        assert feedback.analysis.coaching.kind == "follow_up"
        assert "Answers the follow-up" in str(feedback.query_one("#follow-up-check").render())
        assert "Follow-up to" in str(feedback.query_one("#follow-up-of").render())
        tips = str(feedback.query_one("#tips").render())
        assert "90 s" not in tips and "Missing" not in tips
        # Offered: it compares with other answers to the same follow-up only (test_practice_loop_compare_follow_ups).
        assert feedback.check_action("compare", ())
        await wait_for(pilot, lambda: feedback.attempt_id is not None)
        with History(app.settings) as history:
            turn = history.attempt(feedback.attempt_id)
            assert turn.parent_id == first.attempt_id and turn.question_text == OUTCOME
            assert [a.id for a in history.attempts(question_key=turn.question_id)] == [first.attempt_id]
