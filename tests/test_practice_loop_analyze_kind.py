"""Issue 14: `coach analyze --kind follow_up` judges a short answer on whether it answers the
follow-up (20-60 s, no STAR), as the app does; the real command in a child process."""

from __future__ import annotations

import json

from tests.conftest import run_coach
from tests.support import speech

OUTCOME = "What was the outcome?"
ANSWERS = "In the end false positives fell by a third, and the risk team kept the new features for the holidays."
DODGES = "I worked closely with the risk team, and we talked a lot about the features and how the model was trained."


def _json(*args: str) -> dict:
    done = run_coach("analyze", *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_typed_follow_up_is_judged_on_answering_it_not_as_a_story():
    data = _json("--text", ANSWERS, "--kind", "follow_up", "--question", OUTCOME)
    assert data["kind"] == "follow_up" and data["question"] == OUTCOME
    assert data["star"] is None and "structure" not in data["scores"]
    assert (data["length"]["target_s"], data["length"]["low_s"], data["length"]["high_s"]) == (40.0, 20.0, 60.0)
    assert data["follow_up_check"]["answered"] is True and data["scores"]["answered"] == 100
    dodged = _json("--text", DODGES, "--kind", "follow_up", "--question", OUTCOME)
    assert dodged["follow_up_check"]["answered"] is False
    assert dodged["tips"][0].startswith(f'The follow-up asked "{OUTCOME}"')


def test_a_bank_question_gives_its_concepts_not_its_target_or_text():
    data = _json("--text", ANSWERS, "--kind", "follow_up", "--question", "Who did you tell, and how quickly?",
                 "--question-id", "beh-failure-01")
    assert data["kind"] == "follow_up" and data["question"] == "Who did you tell, and how quickly?"
    assert data["length"]["target_s"] == 40.0  # not the bank question's 90 s
    assert data["star"] is None


def test_a_follow_up_without_the_follow_up_is_refused():
    done = run_coach("analyze", "--text", ANSWERS, "--kind", "follow_up")
    assert done.returncode == 2
    assert "give the follow-up with --question" in done.stderr


def test_a_spoken_follow_up_is_timed_against_its_own_target(speech_dir):
    recording = speech.write((0.3, ANSWERS, 0.5), speech_dir / "follow_up_answer.wav")
    done = run_coach("analyze", str(recording), "--kind", "follow_up", "--question", OUTCOME, "--save")
    assert done.returncode == 0, done.stderr
    assert "target 40 s" in done.stdout and "Missing" not in done.stdout and "90 s" not in done.stdout
    listed = run_coach("history", env={"COLUMNS": "160"})
    row = listed.stdout.splitlines()[1]
    assert "f-up" in row and OUTCOME in row
