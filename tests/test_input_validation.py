"""Issue 10 (items 6, 7 and the input half of 10): every value coach reads from the config, a flag or a
question file is checked, and each bad one ends in one sentence and exit 2, never a hang, a crash or
a lost answer. Each test runs the real `coach` in a child process with real files."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_coach

pytestmark = pytest.mark.slow

ESC = "\x1b"
# Root reads every file; without these two capabilities it obeys permissions like anyone else.
UNPRIVILEGED = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]
needs_setpriv = pytest.mark.skipif(shutil.which("setpriv") is None, reason="setpriv (util-linux) is not installed")
ANSWER = ("At my last job our ranking model lost accuracy every week. I was responsible for fixing it. "
          "I built a drift monitor and retrained the model on fresh data. Accuracy went back up by 12 percent.")


def one_sentence(result: subprocess.CompletedProcess) -> str:
    """The single `Error: ...` line a failure must end in, with exit 2 and no traceback."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


def config(home: Path, text: str) -> Path:
    path = home / "config.toml"
    path.write_text(text)
    return path


# --- item 6: config values -----------------------------------------------------------------------


def test_a_zero_pace_window_is_refused_instead_of_hanging(isolated_dirs, spoken_sentence):
    path = config(isolated_dirs, "[analysis]\npace_window_s = 0\n")
    line = one_sentence(run_coach("analyze", str(spoken_sentence), timeout=120))
    assert str(path) in line and "analysis.pace_window_s = 0.0" in line and "from 2 to 300 seconds" in line


def test_a_negative_pace_window_too(isolated_dirs):
    config(isolated_dirs, "[analysis]\npace_window_s = -10\n")
    assert "pace_window_s = -10.0" in one_sentence(run_coach("analyze", "--text", ANSWER, timeout=120))


def test_too_many_threads_is_refused_instead_of_crashing(isolated_dirs, spoken_sentence):
    config(isolated_dirs, "[speech]\ncpu_threads = 100000\n")
    line = one_sentence(run_coach("analyze", str(spoken_sentence), timeout=120))
    assert "speech.cpu_threads = 100000" in line and "from 0 to" in line


@pytest.mark.parametrize(("text", "shown"), [
    ("[analysis]\nmin_pause_s = -1\n", "analysis.min_pause_s = -1.0"),
    ("[analysis]\nmin_pause_s = nan\n", "analysis.min_pause_s = nan"),
    ("[analysis]\nlong_pause_s = inf\n", "analysis.long_pause_s = inf"),
    ("[analysis]\nmin_pause_s = 5\nlong_pause_s = 3\n", "must be shorter than analysis.long_pause_s"),
])
def test_pause_thresholds_are_finite_positive_and_ordered(isolated_dirs, text, shown):
    config(isolated_dirs, text)
    assert shown in one_sentence(run_coach("analyze", "--text", ANSWER))


def test_an_empty_data_dir_never_writes_into_the_current_folder(isolated_dirs, tmp_path):
    config(isolated_dirs, 'data_dir = ""\n')
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "COACH_DATA_DIR"}
    result = subprocess.run([*_python_coach(), "analyze", "--text", ANSWER, "--save"], cwd=work, env=env,
                            capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert "data_dir is ''" in one_sentence(result) and "absolute folder path" in one_sentence(result)
    assert list(work.iterdir()) == []


def _python_coach() -> list[str]:
    import sys

    return [sys.executable, "-m", "coach"]


def test_a_bad_model_path_still_keeps_the_saved_recording(isolated_dirs, tmp_path, spoken_sentence):
    config(isolated_dirs, f'[speech]\nmodel = "{tmp_path}/no-such-model"\n')
    result = run_coach("analyze", str(spoken_sentence), "--save")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "Saved as attempt 1 (not analysed)" in result.stderr
    assert "no-such-model does not exist" in result.stderr
    listed = run_coach("history", "--json")
    assert listed.returncode == 0, listed.stderr
    attempts = json.loads(listed.stdout)
    assert len(attempts) == 1 and "no-such-model" in json.dumps(attempts[0])


def test_doctor_reports_a_bad_config_and_still_runs_the_other_checks(isolated_dirs):
    config(isolated_dirs, "[speech]\ncpu_threads = -3\n")
    result = run_coach("doctor", env={"PULSE_SERVER": "unix:/nonexistent/pulse/native"})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("FAIL config") and "speech.cpu_threads = -3" in lines[0]
    for passing in ("whisper model: tiny.en", "spaCy pipeline", "data folder"):
        assert any(line.startswith("ok") and passing in line for line in lines), passing
    assert "of 8 checks passed." in result.stdout


@needs_setpriv
def test_an_unreadable_config_is_one_sentence(isolated_dirs):
    path = config(isolated_dirs, "[speech]\nmodel = 'tiny.en'\n")
    path.chmod(0)
    line = one_sentence(run_coach("questions", prefix=UNPRIVILEGED))
    assert str(path) in line and "permission denied" in line


# --- item 7: huge and odd values -----------------------------------------------------------------


@pytest.mark.parametrize("value", ["inf", "1e308", "nan", "-inf", "0"])
def test_target_must_be_a_finite_length(value):
    result = run_coach("analyze", "--text", ANSWER, "--target", value)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "Invalid value for '--target'" in result.stderr
    assert result.stdout == ""


def test_wpm_nan_is_refused():
    result = run_coach("stories", "lint", "--wpm", "nan")
    assert result.returncode == 2 and "Invalid value for '--wpm'" in result.stderr


def _questions_file(data: Path, body: str, name: str = "mine.toml") -> Path:
    folder = data / "questions"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(body)
    return path


@pytest.mark.parametrize(("target", "shown"), [("nan", "nan"), ("inf", "inf"), ("1e308", "1e+308"), ("-5", "-5")])
def test_a_question_file_with_an_odd_target_is_one_sentence(isolated_dirs, target, shown):
    path = _questions_file(isolated_dirs / "data", f'[[question]]\nid = "q1"\nkind = "behavioral"\n'
                                                    f'category = "conflict"\ntext = "A conflict?"\ntarget_s = {target}\n')
    line = one_sentence(run_coach("analyze", "--text", ANSWER, "--question-id", "q1", "--json"))
    assert str(path) in line and f"target_s must be a number of seconds from 10 to 3600, not {shown}" in line


def test_competencies_written_as_one_string_are_not_split_into_letters(isolated_dirs):
    _questions_file(isolated_dirs / "data", '[[question]]\nid = "q1"\nkind = "behavioral"\ncategory = "conflict"\n'
                                            'text = "A conflict?"\ncompetencies = "conflict"\n')
    line = one_sentence(run_coach("questions"))
    assert "competencies must be a list of texts" in line and "'conflict'" in line


def test_an_unknown_competency_in_a_question_file_is_named(isolated_dirs):
    _questions_file(isolated_dirs / "data", '[[question]]\nid = "q1"\nkind = "behavioral"\ncategory = "conflict"\n'
                                            'text = "A conflict?"\ncompetencies = ["conflcit"]\n')
    assert "'conflcit' is not a competency" in one_sentence(run_coach("questions"))


def test_json_output_is_strict_json(isolated_dirs):
    result = run_coach("analyze", "--text", ANSWER, "--target", "60", "--json")
    assert result.returncode == 0, result.stderr
    json.loads(result.stdout, parse_constant=lambda name: pytest.fail(f"{name} is not JSON"))


def test_a_text_over_a_million_characters_is_one_sentence(tmp_path):
    big = tmp_path / "answer.txt"
    big.write_text((ANSWER + " ") * (1_000_001 // len(ANSWER) + 1))
    line = one_sentence(run_coach("analyze", str(big), timeout=120))
    assert "characters long" in line  # answer.py's own, lower, limit for one answer may say it first


def test_spacy_is_never_handed_more_than_it_accepts():
    """The guard under every caller of the parse (E088 was a traceback)."""
    from coach.analysis.language import MAX_CHARS, TimedText, parse
    from coach.errors import CoachError

    with pytest.raises(CoachError, match="characters long, more than the 1,000,000"):
        parse(TimedText("word " * (MAX_CHARS // 5 + 1)))


def _story(title: str, action: str = "I built a drift monitor and retrained the model on fresh data.") -> str:
    return (f"---\ntitle: {title}\ncompetencies: [ownership]\n---\n\n## Situation\nOur ranking model lost accuracy.\n\n"
            f"## Task\nI had to fix it within a month.\n\n## Action\n{action}\n\n## Result\nAccuracy rose by 12 percent.\n")


def test_one_huge_story_does_not_stop_the_story_commands_for_the_others(tmp_path):
    library = tmp_path / "stories"
    library.mkdir()
    (library / "good.md").write_text(_story("The drifting model"))
    (library / "huge.md").write_text(_story("Everything", action="I did a thing. " * 80_000))
    lint = run_coach("stories", "--stories", str(library), "lint")
    assert lint.returncode == 1 and "Traceback" not in lint.stderr
    assert "good.md" in lint.stdout and "huge.md" in lint.stdout and "more than the 100,000" in lint.stdout
    assert "1 story checked" in lint.stderr and "1 file could not be read" in lint.stderr
    for command in (["list"], ["coverage"], ["match", "Tell me about a model that failed"]):
        result = run_coach("stories", "--stories", str(library), *command)
        assert result.returncode == 0 and "Traceback" not in result.stderr, (command, result.stderr)
        assert "The drifting model" in result.stdout, command
        assert "huge.md" in result.stderr, command


# --- item 10, the input half ---------------------------------------------------------------------


def test_control_characters_in_story_titles_never_reach_the_terminal(tmp_path):
    library = tmp_path / "stories"
    library.mkdir()
    # YAML's own escapes (\e is ESC): a raw control character is not even valid YAML.
    (library / "evil.md").write_text(_story('"The model\\e]0;pwned\\e\\\\ that \\e[2Jdrifted\\u202e"'))
    for command in (["list"], ["coverage"], ["match", "Tell me about a model that drifted"], ["lint"]):
        result = run_coach("stories", "--stories", str(library), *command)
        assert result.returncode in (0, 1), (command, result.stderr)
        assert ESC not in result.stdout + result.stderr and "\u202e" not in result.stdout, command
    assert "The model]0;pwned\\ that [2Jdrifted" in run_coach("stories", "--stories", str(library), "list").stdout


def test_control_characters_in_question_files_never_reach_the_terminal(isolated_dirs):
    _questions_file(isolated_dirs / "data", '[[question]]\nid = "q1"\nkind = "behavioral"\ncategory = "conflict"\n'
                                            'text = "Tell me\\u001b[2J about a conflict\\u0007"\n')
    result = run_coach("questions", "--category", "conflict")
    assert result.returncode == 0, result.stderr
    assert ESC not in result.stdout and "\a" not in result.stdout
    assert "Tell me[2J about a conflict" in result.stdout
    report = run_coach("analyze", "--text", ANSWER, "--question-id", "q1")
    assert report.returncode == 0 and ESC not in report.stdout
    typed = run_coach("analyze", "--text", ANSWER, "--question", f"Why{ESC}[31m?")
    assert typed.returncode == 0 and ESC not in typed.stdout


def test_a_folder_named_like_a_question_file_is_skipped(isolated_dirs):
    (isolated_dirs / "data" / "questions" / "x.toml").mkdir(parents=True)
    result = run_coach("questions")
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert "questions." in result.stderr


@needs_setpriv
def test_an_unreadable_questions_folder_is_one_sentence(isolated_dirs):
    folder = isolated_dirs / "data" / "questions"
    _questions_file(isolated_dirs / "data", '[[question]]\nid = "q1"\nkind = "behavioral"\ncategory = "c"\ntext = "T"\n')
    folder.chmod(0)
    try:
        line = one_sentence(run_coach("questions", prefix=UNPRIVILEGED))
    finally:
        folder.chmod(0o700)
    assert str(folder) in line and "permission denied" in line


def test_an_unknown_category_says_so(isolated_dirs):
    line = one_sentence(run_coach("questions", "--category", "conflit"))
    assert "no category 'conflit'" in line and "conflict" in line


def test_counts_read_as_english(isolated_dirs):
    _questions_file(isolated_dirs / "data", '[[question]]\nid = "only-one"\nkind = "behavioral"\n'
                                            'category = "my_own"\ntext = "A question of my own?"\n')
    result = run_coach("questions", "--category", "my_own")
    assert result.returncode == 0 and result.stderr.strip() == "1 question."


def test_practice_without_a_terminal_exits_at_once():
    result = run_coach("practice", "--mute", timeout=60)
    line = one_sentence(result)
    assert "needs a terminal" in line
    assert ESC not in result.stdout


# --- the finished analysis is never thrown away ----------------------------------------------------


def test_a_locked_history_prints_the_analysis_then_says_it_was_not_saved(isolated_dirs):
    first = run_coach("analyze", "--text", ANSWER, "--save")
    assert first.returncode == 0, first.stderr
    from coach.settings import load_settings
    from coach.storage.history import history_path

    database = history_path(load_settings())
    assert database.is_file()
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = run_coach("analyze", "--text", ANSWER, "--save", "--json", timeout=120)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    line = one_sentence(result)
    assert "not saved" in line and "locked" in line
    assert json.loads(result.stdout)["transcript"].startswith("At my last job")
    assert len(json.loads(run_coach("history", "--json").stdout)) == 1


@pytest.mark.skipif(shutil.which("prlimit") is None, reason="prlimit (util-linux) is not installed")
def test_a_full_disk_prints_the_analysis_then_says_it_was_not_saved(isolated_dirs):
    """RLIMIT_FSIZE makes every write past 16 KiB fail as a full disk would (EFBIG): the history's
    write-ahead log cannot grow. (A written answer: decoding audio now spills to a temporary file,
    which the same limit stops before any saving.)"""
    assert run_coach("analyze", "--text", ANSWER, "--save").returncode == 0  # the history exists
    result = run_coach("analyze", "--text", ANSWER + " " + ANSWER, "--save", "--json",
                       prefix=["prlimit", "--fsize=16384", "--"])
    line = one_sentence(result)
    assert "not saved" in line
    assert json.loads(result.stdout)["transcript"].startswith("At my last job")
    attempts = json.loads(run_coach("history", "--json").stdout)
    assert len(attempts) == 1
    leftovers = [p for p in (isolated_dirs / "data").rglob("*") if ".partial" in p.name]
    assert leftovers == []


@needs_setpriv
def test_an_unreadable_data_folder_is_one_sentence(isolated_dirs):
    assert run_coach("analyze", "--text", ANSWER, "--save").returncode == 0
    data = isolated_dirs / "data"
    data.chmod(0)
    try:
        line = one_sentence(run_coach("history", prefix=UNPRIVILEGED))
    finally:
        data.chmod(0o700)
    assert str(data) in line and "permission denied" in line


def test_control_characters_in_a_written_answer_or_a_file_name_never_reach_the_terminal(tmp_path):
    written = tmp_path / "answer.txt"
    written.write_text(f"{ANSWER}{ESC}]0;pwned\a More detail.\n")
    report = run_coach("analyze", str(written))
    assert report.returncode == 0, report.stderr
    assert ESC not in report.stdout and "\a" not in report.stdout and "]0;pwned" in report.stdout
    odd_name = tmp_path / f"answer{ESC}[2J.txt"
    odd_name.write_text(ANSWER)
    report = run_coach("analyze", str(odd_name))
    assert report.returncode == 0, report.stderr
    assert ESC not in report.stdout and "answer[2J.txt" in report.stdout


def test_a_runaway_question_file_is_refused_before_it_is_read(isolated_dirs):
    path = _questions_file(isolated_dirs / "data", "# padding\n" * 300_000)
    line = one_sentence(run_coach("questions"))
    assert str(path) in line and "more than the 2,000,000" in line


def test_the_bundled_questions_pass_the_checks_user_files_get():
    from coach.questions import bank

    for path in sorted(bank.BUNDLED_DIR.glob("*.toml")):
        assert bank._read(path) == bank._read(path, bundled=True), path
