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
