"""The hand-labelled development set in tests/devset is well-formed and self-consistent.

This checks the data only (no analyser): every line parses, labels come from the allowed sets,
every filler and hedge is really in its sentence, and the derived flags agree with the labels.
The labelling rules themselves are written down in tests/devset/README.md.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

DEVSET = Path(__file__).resolve().parent / "devset"
BEHAVIORAL = DEVSET / "behavioral.jsonl"
THINK_ALOUD = DEVSET / "think_aloud.jsonl"

STAR = ("situation", "task", "action", "result")
LABELS = {*STAR, "other"}
FILLERS = {"um", "uh", "er", "hmm", "like", "you know", "i mean", "sort of", "kind of", "basically",
           "actually", "so"}
HEDGES = {"i think", "i guess", "maybe", "probably", "kind of", "sort of", "i feel like", "i'd say",
          "perhaps", "i believe"}
OWNERSHIP = {"i", "we", "mixed"}
# Tags that restate a flag: when present they must agree with it.
DERIVED_TAGS = {
    "complete_star_quantified": lambda f: all(f["present"].values()) and f["result_quantified"],
    "missing_situation": lambda f: not f["present"]["situation"],
    "missing_task": lambda f: not f["present"]["task"],
    "missing_result": lambda f: not f["present"]["result"],
    "result_quantified": lambda f: f["result_quantified"],
    "result_no_magnitude": lambda f: f["present"]["result"] and not f["result_quantified"],
    "out_of_order": lambda f: not f["in_order"],
    "i_heavy": lambda f: f["ownership"] == "i",
    "we_heavy": lambda f: f["ownership"] == "we",
    "mixed_ownership": lambda f: f["ownership"] == "mixed",
}


def load(path: Path) -> list[dict]:
    assert path.is_file(), f"missing {path}"
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        assert line.strip(), f"{path.name}:{number}: blank line"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:  # pragma: no cover - the message is the point
            pytest.fail(f"{path.name}:{number}: not JSON: {exc}")
        assert isinstance(row, dict), f"{path.name}:{number}: not an object"
        rows.append(row)
    return rows


BEHAVIORAL_ROWS = load(BEHAVIORAL)
THINK_ROWS = load(THINK_ALOUD)
ALL_ROWS = BEHAVIORAL_ROWS + THINK_ROWS


def occurrences(text: str, phrase: str) -> list[int]:
    """Start offsets of `phrase` in `text` as whole words, case-insensitively."""
    pattern = r"(?<![\w'])" + re.escape(phrase) + r"(?![\w'])"
    return [m.start() for m in re.finditer(pattern, text, flags=re.IGNORECASE)]


def ids(rows):
    return [row.get("id") for row in rows]


def test_sizes():
    assert len(BEHAVIORAL_ROWS) >= 40
    assert len(THINK_ROWS) >= 15


def test_ids_unique():
    counts = Counter(ids(ALL_ROWS))
    assert not [i for i, n in counts.items() if n > 1], "duplicate ids"
    assert all(isinstance(i, str) and i for i in counts)


@pytest.mark.parametrize("row", ALL_ROWS, ids=ids(ALL_ROWS))
def test_common_shape(row):
    kind = "behavioral" if row in BEHAVIORAL_ROWS else "think_aloud"
    assert row["kind"] == kind
    for key in ("question", "notes"):
        assert isinstance(row[key], str) and row[key].strip()
    sentences = row["sentences"]
    assert isinstance(sentences, list) and sentences
    for s in sentences:
        text = s["text"]
        assert isinstance(text, str) and text == text.strip() and text, s
        assert "  " not in text, f"double space in {text!r}"
        assert "{" not in text and "}" not in text, f"markup left in {text!r}"
    if kind == "behavioral":
        assert all(set(s) == {"text", "label"} and s["label"] in LABELS for s in sentences)
    else:
        assert all(set(s) == {"text"} for s in sentences)
    assert isinstance(row.get("tags", []), list)


@pytest.mark.parametrize("row", ALL_ROWS, ids=ids(ALL_ROWS))
def test_fillers_hedges_and_decoys_are_in_their_sentences(row):
    sentences = [s["text"] for s in row["sentences"]]
    lists = {"fillers": FILLERS, "hedges": HEDGES, "decoys": None}
    used: Counter = Counter()
    for name, vocabulary in lists.items():
        entries = row.get(name, [])
        assert isinstance(entries, list)
        last_sentence, cursor = -1, 0
        for entry in entries:
            index, text = entry["sentence"], entry["text"]
            assert isinstance(index, int) and 0 <= index < len(sentences), entry
            if vocabulary is not None:
                assert text.lower() in vocabulary, f"{name}: {text!r} is not in the allowed set"
            else:
                assert entry.get("kind"), f"decoy without a kind: {entry}"
            found = occurrences(sentences[index], text)
            assert found, f"{name}: {text!r} not in sentence {index}: {sentences[index]!r}"
            # In order of appearance: by sentence, then left to right within a sentence.
            assert index >= last_sentence, f"{name} out of order at {entry}"
            if index != last_sentence:
                last_sentence, cursor = index, 0
            later = [p for p in found if p >= cursor]
            assert later, f"{name} out of order within sentence {index}: {text!r}"
            cursor = later[0] + 1
            used[(index, text.lower())] += 1
    # One occurrence is a filler, a hedge or a decoy, never two of them.
    for (index, text), count in used.items():
        assert count <= len(occurrences(sentences[index], text)), (
            f"{text!r} annotated {count} times but occurs fewer times in sentence {index}")


@pytest.mark.parametrize("row", BEHAVIORAL_ROWS, ids=ids(BEHAVIORAL_ROWS))
def test_behavioral_flags_agree_with_labels(row):
    flags = row["flags"]
    labels = [s["label"] for s in row["sentences"]]
    assert set(flags["present"]) == set(STAR)
    for part in STAR:
        assert flags["present"][part] is (part in labels), part
    firsts = [labels.index(part) for part in STAR if part in labels]
    assert flags["in_order"] is (firsts == sorted(firsts))
    assert isinstance(flags["result_quantified"], bool)
    if not flags["present"]["result"]:
        assert flags["result_quantified"] is False
    assert flags["ownership"] in OWNERSHIP
    assert isinstance(row.get("competency", ""), str)
    for tag in row.get("tags", []):
        if tag in DERIVED_TAGS:
            assert DERIVED_TAGS[tag](flags), f"tag {tag} disagrees with flags {flags}"


@pytest.mark.parametrize("row", THINK_ROWS, ids=ids(THINK_ROWS))
def test_think_aloud_flags(row):
    flags = row["flags"]
    expected = row["expected_concepts"]
    assert 4 <= len(expected) <= 8 and len(set(expected)) == len(expected)
    covered, missed = flags["concepts_covered"], flags["concepts_missed"]
    assert not set(covered) & set(missed)
    assert sorted(covered + missed) == sorted(expected)
    for key in ("assumptions_stated", "signposting", "tradeoffs_discussed", "summary_at_end"):
        assert isinstance(flags[key], bool), key
    full = " ".join(s["text"] for s in row["sentences"])
    for question in flags["clarifying_questions"]:
        assert question.endswith("?") and question in full, question


def test_enough_fillers_hedges_and_decoys():
    fillers = sum(len(r["fillers"]) for r in ALL_ROWS)
    hedges = sum(len(r["hedges"]) for r in ALL_ROWS)
    decoys = [d for r in ALL_ROWS for d in r.get("decoys", [])]
    like_so = [d for d in decoys if d["text"].lower() in {"like", "so"}]
    non_hedges = [d for d in decoys if d["kind"] in {"past_belief", "think_about", "reported_speech", "approximator"}
                  and d["text"].lower() not in {"like", "so"}]
    assert fillers >= 30 and hedges >= 30
    assert len(like_so) >= 10 and len(non_hedges) >= 8
