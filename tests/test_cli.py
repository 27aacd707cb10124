"""`coach` as a user runs it: real processes, real files, exit codes and messages."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import soundfile

from tests.conftest import run_coach

pytestmark = pytest.mark.slow

JSON_KEYS = {"duration_s", "speech_s", "transcript", "words", "pace", "pauses", "model"}


def _one_clear_line(result) -> str:
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


def test_help_explains_commands():
    result = run_coach("--help")
    assert result.returncode == 0
    for word in ("analyze", "doctor", "offline"):
        assert word in result.stdout
    analyze_help = run_coach("analyze", "--help").stdout
    for option in ("--question", "--target", "--model", "--json"):
        assert option in analyze_help


def test_analyze_json_has_the_stable_keys(spoken_star_answer):
    result = run_coach("analyze", str(spoken_star_answer), "--json", "--question", "Q?", "--target", "60")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert JSON_KEYS <= data.keys()
    assert data["question"] == "Q?" and data["target_s"] == 60
    assert data["model"] == {"name": "tiny.en", "compute_type": "int8", "source": "bundled"}
    assert set(data["pace"]) == {"wpm", "articulation_wpm", "windows"}
    assert {"start", "end", "wpm"} == set(data["pace"]["windows"][0])
    assert {"text", "start", "end", "probability"} == set(data["words"][0])
    long_pause = [p for p in data["pauses"] if p["duration_s"] >= 1.0]
    assert long_pause and set(long_pause[0]) == {"start", "end", "duration_s", "long"}
    assert "holiday season" in data["transcript"].lower()
    assert result.stderr == ""  # no progress bar when stderr is not a terminal


def test_readable_report(spoken_sentence):
    result = run_coach("analyze", str(spoken_sentence), "--target", "60")
    assert result.returncode == 0, result.stderr
    for text in ("Pace", "wpm", "Pauses", "Transcript", "glad to talk about my work", "target 60 s"):
        assert text in result.stdout


def test_analyze_works_with_no_network(tmp_path, spoken_sentence):
    """Everything the default pipeline needs is on disk: run it with no network at all."""
    if shutil.which("unshare") is None:
        pytest.fail("unshare (util-linux) is needed to prove the offline run")
    result = run_coach("analyze", str(spoken_sentence), "--json", prefix=["unshare", "-rn"])
    assert result.returncode == 0, result.stderr
    assert "glad to talk about my work" in json.loads(result.stdout)["transcript"]


def test_unknown_model_without_network_is_a_clear_error(spoken_sentence):
    result = run_coach("analyze", str(spoken_sentence), "--model", "no-such-model",
                       prefix=["unshare", "-rn"], env={"HF_HUB_ETAG_TIMEOUT": "2", "HF_HUB_DOWNLOAD_TIMEOUT": "2"})
    assert result.returncode == 2
    assert "--model tiny.en" in _one_clear_line(result)


def _write_bad_files(tmp_path, spoken_star_answer):
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    text = tmp_path / "notes.mp3"
    text.write_text("not audio at all\n" * 100)
    truncated = tmp_path / "truncated.wav"
    truncated.write_bytes(spoken_star_answer.read_bytes()[:120_000])
    silent = tmp_path / "silent.flac"
    soundfile.write(silent, np.zeros(16_000 * 3), 16_000)
    hiss = tmp_path / "hiss.wav"
    soundfile.write(hiss, np.random.default_rng(0).normal(0, 0.003, 16_000 * 3), 16_000)
    return {
        empty: "is empty",
        text: "not an audio file",
        truncated: "is truncated",
        silent: "holds only silence",
        hiss: "No speech was heard",
        tmp_path / "missing.wav": "does not exist",
    }


def test_bad_input_gives_one_sentence_and_exit_2(tmp_path, spoken_star_answer):
    for path, message in _write_bad_files(tmp_path, spoken_star_answer).items():
        before = path.read_bytes() if path.exists() else None
        result = run_coach("analyze", str(path), "--json")
        assert result.returncode == 2, (path, result.stderr)
        assert message in _one_clear_line(result), path
        assert result.stdout == ""
        assert (path.read_bytes() if path.exists() else None) == before  # the user's file is untouched


def test_bad_config_is_reported_with_its_path(isolated_dirs, spoken_sentence):
    config = isolated_dirs / "config.toml"
    config.write_text("[speech]\nmodel = 3\n")
    result = run_coach("analyze", str(spoken_sentence))
    assert result.returncode == 2
    line = _one_clear_line(result)
    assert str(config) in line and "speech.model must be text in quotes, not 3" in line


def test_analyze_typed_text_has_null_timing():
    text = ("At my last job our churn model was stale. My goal was to refresh it before renewals. "
            "I rebuilt the features and retrained it weekly. Churn dropped by 12 percent.")
    result = run_coach("analyze", "--text", text, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["duration_s"] is None and data["words"] is None and data["pace"] is None
    assert data["star"]["present"] == {"situation": True, "task": True, "action": True, "result": True}
    assert data["star"]["result_quantified"] is True
    assert data["length"]["verdict"] == "short" and data["filler_rate"]["per_minute"] is None
    for key in ("fillers", "hedges", "think_aloud", "tips", "strength", "scores", "follow_up"):
        assert key in data


def test_analyze_text_file_with_bank_question(tmp_path):
    answer = tmp_path / "answer.md"
    answer.write_text("Can I assume the data fits in memory? First I'd count words in a hash map. "
                      "Second, a heap of size k is faster than sorting but uses more code. "
                      "So overall, a hash map plus a heap.")
    result = run_coach("analyze", str(answer), "--question-id", "ta-coding-approach-01", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["question_id"] == "ta-coding-approach-01" and data["star"] is None
    rubric = data["think_aloud"]
    assert rubric["clarifying_questions"] == ["Can I assume the data fits in memory?"]
    assert rubric["signposting"] and rubric["summary_at_end"]
    assert rubric["concepts_covered"] or rubric["concepts_missed"]


def test_unknown_question_id_and_empty_text_are_clear_errors(tmp_path):
    result = run_coach("analyze", "--text", "I did things.", "--question-id", "nope")
    assert result.returncode == 2 and "There is no question 'nope'" in _one_clear_line(result)
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n")
    result = run_coach("analyze", str(empty))
    assert result.returncode == 2 and "is empty" in _one_clear_line(result)


def test_questions_lists_and_filters():
    result = run_coach("questions", "--role", "ML Research Scientist", "--kind", "think_aloud", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows and all(r["kind"] == "think_aloud" and "ML Research Scientist" in r["roles"] for r in rows)
    everything = run_coach("questions")
    assert len(everything.stdout.splitlines()) >= 150
    assert run_coach("questions", "--category", "conflict").stdout.count("beh-conflict-") >= 9


def test_users_own_question_file_is_used(isolated_dirs):
    folder = isolated_dirs / "data" / "questions"
    folder.mkdir(parents=True)
    (folder / "mine.toml").write_text(
        '[[question]]\nid = "my-01"\nkind = "behavioral"\ncategory = "conflict"\n'
        'text = "Tell me about the time you argued about a metric."\n')
    result = run_coach("questions", "--category", "conflict")
    assert "my-01" in result.stdout
    (folder / "broken.toml").write_text("[[question]\n")
    result = run_coach("questions")
    assert result.returncode == 2 and "broken.toml is not valid TOML" in _one_clear_line(result)


def test_analyze_save_keeps_attempts_even_failed_ones(tmp_path, spoken_sentence, spoken_star_answer):
    saved = run_coach("analyze", str(spoken_sentence), "--save", "--json")
    assert saved.returncode == 0, saved.stderr
    assert "Saved as attempt 1." in saved.stderr
    broken = tmp_path / "answer.wav"
    broken.write_bytes(spoken_star_answer.read_bytes()[:100_000])
    failed = run_coach("analyze", str(broken), "--save")
    assert failed.returncode == 2 and "not analysed" in failed.stderr
    listed = run_coach("history", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert len(rows) == 2
    assert broken.read_bytes() == spoken_star_answer.read_bytes()[:100_000]
