"""`coach stories ...` as a user runs it: real processes, the real data folder (isolated per test)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_coach

pytestmark = pytest.mark.slow


def test_help_lists_the_commands():
    result = run_coach("stories", "--help")
    assert result.returncode == 0
    for word in ("list", "new", "lint", "coverage", "match", "--stories"):
        assert word in result.stdout
    assert "stories" in run_coach("--help").stdout


def test_first_list_seeds_the_samples_in_the_data_folder(isolated_dirs):
    result = run_coach("stories", "list")
    assert result.returncode == 0, result.stderr
    assert "The churn metric we argued about" in result.stdout
    assert len(result.stdout.strip().splitlines()) == 7
    folder = isolated_dirs / "data" / "stories"
    assert "7 stories in " + str(folder) in result.stderr
    assert len(list(folder.glob("*.md"))) == 7
    data = json.loads(run_coach("stories", "list", "--json").stdout)
    assert {d["id"] for d in data} >= {"half-the-gpus-two-deadlines"} and all(d["sections"]["action"] for d in data)


def test_lint_passes_on_the_samples_and_fails_on_errors(tmp_path):
    folder = tmp_path / "lib"
    ok = run_coach("stories", "--stories", str(folder), "lint")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.count("ok  ") == 7
    assert "7 stories checked: 7 without errors" in ok.stderr

    (folder / "broken.md").write_text("---\ntitle: x\ncompetencies: [conflict\n---\n", encoding="utf-8")
    bad = run_coach("stories", "--stories", str(folder), "lint")
    assert bad.returncode == 1
    assert f"{folder / 'broken.md'}, line 3" in bad.stdout and "Traceback" not in bad.stderr

    (folder / "broken.md").unlink()
    new = run_coach("stories", "--stories", str(folder), "new", "Half done", "-c", "conflict,failure")
    assert new.returncode == 0, new.stderr
    created = Path(new.stdout.strip())
    assert created == folder / "half-done.md"
    only = run_coach("stories", "--stories", str(folder), "lint", "half-done", "--json")
    assert only.returncode == 1
    report = json.loads(only.stdout)["stories"]
    assert len(report) == 1
    missing = [f for f in report[0]["findings"] if f["code"] == "missing_part"]
    assert {f["section"] for f in missing} == {"situation", "task", "action", "result"}
    assert all(f["line"] for f in missing)


def test_new_keeps_titles_inside_the_library_and_never_clobbers(tmp_path):
    folder = tmp_path / "lib"
    paths = [run_coach("stories", "--stories", str(folder), "new", "../../outside").stdout.strip() for _ in range(2)]
    assert paths == [str(folder / "outside.md"), str(folder / "outside-2.md")]
    assert not (tmp_path / "outside.md").exists()
    wrong = run_coach("stories", "--stories", str(folder), "new", "X", "-c", "bravery")
    assert wrong.returncode == 2 and "not a competency" in wrong.stderr


def test_coverage_shows_the_matrix_and_names_gaps(tmp_path):
    folder = tmp_path / "lib"
    result = run_coach("stories", "--stories", str(folder), "coverage")
    assert result.returncode == 0, result.stderr
    assert "ml in production" in result.stdout and "●" in result.stdout
    assert "Only one story for conflict" in result.stdout
    (folder / "the-churn-metric-we-argued-about.md").unlink()
    gaps = run_coach("stories", "--stories", str(folder), "coverage")
    assert "No story for conflict (" in gaps.stdout
    data = json.loads(run_coach("stories", "--stories", str(folder), "coverage", "--json").stdout)
    assert data["gaps"] == ["conflict"] and data["matrix"]["failure"] == ["the-ranking-test-i-called-too-early"]


def test_match_gives_the_best_stories_with_reasons():
    result = run_coach("stories", "match", "Tell me about a time you disagreed with a teammate about how to "
                                           "evaluate a model. How did you resolve it?")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Competencies: conflict, collaboration (from the bank)"
    assert lines[1].startswith("1. The churn metric we argued about")
    assert "covers conflict and collaboration" in lines[2]
    free = json.loads(run_coach("stories", "match", "A model you shipped broke in production: what happened?",
                                "--json").stdout)
    assert free["competencies_source"] == "read from the question" and "ml_in_production" in free["competencies"]
    assert len(free["matches"]) <= 3 and free["matches"][0]["reason"]
    by_id = run_coach("stories", "match", "anything", "--question-id", "beh-feedback-01", "-n", "1")
    assert by_id.returncode == 0 and by_id.stdout.count("\n1. ") == 1


def test_a_bad_library_path_is_one_clear_line(tmp_path):
    (tmp_path / "file").write_text("x")
    result = run_coach("stories", "--stories", str(tmp_path / "file"), "list")
    assert result.returncode == 2
    assert "is a file" in result.stderr and "Traceback" not in result.stderr
