"""The STAR training set in tests/trainset is well-formed and agrees with its sources.

This checks the data only (no analyser): labels from the allowed set, flags that follow from the
labels, every answer tagged with a style and a writer, and behavioral.jsonl rebuilt from src/.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pytest

TRAINSET = Path(__file__).resolve().parent / "trainset"
ROWS = [json.loads(line) for line in (TRAINSET / "behavioral.jsonl").read_text(encoding="utf-8").splitlines()]
PARTS = ("situation", "task", "action", "result")


def test_size_and_variety():
    assert len(ROWS) >= 150
    assert len({r["writer"] for r in ROWS}) >= 8
    styles = Counter(r["style"] for r in ROWS)
    assert {"polished", "notes", "spoken", "transcript", "weak", "no_story"} <= set(styles)
    assert len({r["competency"] for r in ROWS}) >= 10


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_answer_is_consistent(row):
    labels = [s["label"] for s in row["sentences"]]
    assert labels and set(labels) <= {*PARTS, "other"}
    assert all(s["text"].strip() == s["text"] and s["text"] for s in row["sentences"])
    flags = row["flags"]
    assert flags["present"] == {p: p in labels for p in PARTS}
    firsts = [labels.index(p) for p in PARTS if p in labels]
    assert flags["in_order"] == (firsts == sorted(firsts))
    assert flags["ownership"] in {"i", "we", "mixed", None}
    assert flags["story"] == any(p in labels for p in ("action", "result"))
    if flags["result_quantified"]:
        assert flags["present"]["result"]
    # The project's convention (PRODUCT.md): a lesson learned is "other", not a result.
    assert all(s["label"] == "other" for s in row["sentences"] if s.get("lesson"))


def test_ids_are_unique():
    ids = [r["id"] for r in ROWS]
    assert len(ids) == len(set(ids))


def test_jsonl_is_built_from_the_sources():
    sys.path.insert(0, str(TRAINSET))
    try:
        from build import parse_sources
    finally:
        sys.path.remove(str(TRAINSET))
    written = parse_sources(sorted((TRAINSET / "src").glob("*.txt")))
    by_id = {r["id"]: r for r in ROWS}
    for answer in written:
        assert by_id[answer["id"]] == answer
