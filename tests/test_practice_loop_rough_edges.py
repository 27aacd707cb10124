"""Issue 14, rough edges: hedges against estimates, report counts, Whisper's split numbers and words."""

from __future__ import annotations

import pytest

from coach.analysis.disfluency import find_hedges
from coach.analysis.language import nlp


def hedges(text: str) -> list[str]:
    return [p.text.lower() for p in find_hedges(nlp()(text))]


# -- hedges: a figure given as approximate is an estimate ------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Softening a claim is a hedge.
        ("The team was kind of busy that week.", ["kind of"]),
        ("Maybe the labels were wrong.", ["maybe"]),
        ("Maybe one reason is that the labels were stale.", ["maybe"]),
        ("Maybe a better model would have helped.", ["maybe"]),
        # "probably" before a number still judges a claim (the project's devset, b37).
        ("Disagreements like that are probably two people with different evidence.", ["probably"]),
        # A number or a range said to be approximate is an estimate, said precisely.
        ("We had maybe five or six people on the team.", []),
        ("Maybe five or six people joined the project.", []),
        ("It took maybe two weeks.", []),
        ("We hired maybe five to six engineers.", []),
        ("Maybe one or two people left.", []),
        ("Perhaps 20 percent of the traffic was bots.", []),
        ("There were maybe a dozen of us.", []),
        ("It improved by about 20 percent, around 3 to 4 points.", []),
        # Both in one answer: only the hedge counts.
        ("I think we had maybe five or six people.", ["i think"]),
    ],
)
def test_an_estimate_is_not_a_hedge(text, expected):
    assert hedges(text) == expected


# -- reports: every answer counted once ------------------------------------------------------------


def test_the_report_counts_each_answer_once_spoken_typed_or_not_analysed(tmp_path):
    """A failed spoken answer was counted as spoken and again as not analysed."""
    import re
    from datetime import UTC, datetime, timedelta

    from coach.analysis.answer import QuestionContext, analyse_text
    from coach.reports import build_report
    from coach.settings import load_settings
    from coach.storage import History
    from tests.history_seed import BEHAVIORAL, spoken_analysis, write_wav

    now = datetime(2026, 3, 31, 18, 0, tzinfo=UTC)
    question = QuestionContext(text="Tell me about a forecast.", kind="behavioral", target_s=60, question_id="b-1")
    with History(load_settings()) as history:
        for day in range(3):  # spoken and analysed
            history.save_attempt(analysis=spoken_analysis(BEHAVIORAL[5], question, wpm=150, seed=day),
                                 audio_path=write_wav(tmp_path / f"ok{day}.wav"), created_at=now - timedelta(days=day))
        history.save_attempt(analysis=analyse_text(BEHAVIORAL[4]), created_at=now - timedelta(days=3))  # typed
        history.save_attempt(question_text=question.text, audio_path=write_wav(tmp_path / "failed.wav"),
                             error="No speech was heard in the recording.", created_at=now - timedelta(days=4))
        history.save_attempt(question_text=question.text, transcript="Too short.", error="spaCy failed to load",
                             created_at=now - timedelta(days=5))
        report = build_report(history, fmt="md", now=now)
    counts = re.search(r"(\d+) answers from .*?: (\d+) spoken, (\d+) typed, (\d+) not analysed", report)
    assert counts, report[:400]
    total, spoken, typed, not_analysed = map(int, counts.groups())
    assert (total, spoken, typed, not_analysed) == (6, 3, 1, 2)
    assert spoken + typed + not_analysed == total
