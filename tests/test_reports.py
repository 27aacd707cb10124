"""Trends, the Markdown and HTML reports, and the history commands as a user runs them."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest

from coach.analysis.answer import QuestionContext, analyse_text
from coach.reports import build_report
from coach.reports.svg import line_chart, nice_ticks, sparkline
from coach.settings import load_settings
from coach.storage import LOCKED_MESSAGE, History
from coach.storage.trends import METRICS, compute_trends
from tests.conftest import REPO as REPO_ROOT
from tests.conftest import run_coach
from tests.history_seed import BEHAVIORAL, seed_history, spoken_analysis, write_wav

NOW = datetime(2026, 3, 31, 18, 0, tzinfo=UTC)


@pytest.fixture
def settings():
    return load_settings()


@pytest.fixture
def seeded(settings):
    """Sixty days of practice that improves, with recordings, typed and failed answers."""
    with History(settings) as history:
        seed_history(history, 150, days=60, now=NOW, audio_dir=settings.recordings_dir, seed=7)
        yield history


# -- trends -----------------------------------------------------------------------------------------


def test_trends_compare_the_first_week_with_the_last_seven_days(seeded):
    trends = compute_trends(seeded.attempts(), now=NOW)
    assert trends.total == 150 and trends.failed > 0 and trends.analysed == 150 - trends.failed
    assert trends.baseline.end - trends.baseline.start == timedelta(days=7)
    assert trends.recent.end == NOW and trends.recent.label == "last 7 days"
    fillers = trends.comparisons["fillers_per_min"]
    # The seeded practice improves: fewer fillers and more complete STAR answers than in week one.
    assert fillers.baseline > fillers.recent and fillers.improved is True
    assert trends.comparisons["star_completeness"].improved is True
    for key in METRICS:
        assert len(trends.series[key]) > 0, key
        # dBFS are at most 0 (full scale); every other measure is a count, rate, share or quotient.
        assert all(p.value <= 0 if key == "level_dbfs" else p.value >= 0 for p in trends.series[key])
    assert len(trends.series["think_score"]) < len(trends.series["length_ratio"])  # think-aloud answers only


def test_best_attempt_per_question_is_the_highest_overall_score(seeded):
    attempts = seeded.attempts()
    trends = compute_trends(attempts, now=NOW)
    assert sum(q.attempts for q in trends.questions) == trends.analysed
    for progress in trends.questions:
        mine = [a for a in attempts if a.question_key == progress.key and a.analysed]
        assert progress.best_score == max(a.metrics.overall for a in mine)
        assert progress.best_attempt_id in {a.id for a in mine if a.metrics.overall == progress.best_score}
        assert progress.first_at <= progress.latest_at


def test_three_things_to_work_on_are_specific_sentences_with_numbers(settings):
    weak = "Um, so, like, I think we maybe fixed it. I guess it was, um, probably fine. So yeah."
    question = QuestionContext(text="Tell me about a failure.", kind="behavioral", target_s=90, question_id="b-1")
    with History(settings) as history:
        for day in range(10):
            history.save_attempt(analysis=spoken_analysis(weak, question, wpm=195, seed=day),
                                 created_at=NOW - timedelta(days=9 - day))
        trends = compute_trends(history.attempts(), now=NOW)
    assert len(trends.focus) == 3
    assert len({f.metric for f in trends.focus}) == 3
    for focus in trends.focus:
        assert re.search(r"\d", focus.text), focus.text
    text = " ".join(f.text for f in trends.focus)
    assert "last 7 days" in text


def test_good_answers_leave_nothing_forced_into_the_focus_list(settings):
    question = QuestionContext(text="Tell me about a forecast.", kind="behavioral", target_s=40, question_id="b-2")
    with History(settings) as history:
        for day in range(4):
            history.save_attempt(analysis=spoken_analysis(BEHAVIORAL[5], question, wpm=150, seed=day),
                                 created_at=NOW - timedelta(days=day))
        trends = compute_trends(history.attempts(), now=NOW)
    assert all(f.metric != "star_completeness" and f.metric != "fillers_per_min" for f in trends.focus)


def test_a_first_week_only_history_says_the_comparison_comes_later(settings):
    with History(settings) as history:
        history.save_attempt(analysis=analyse_text(BEHAVIORAL[3]), created_at=NOW - timedelta(days=1))
        trends = compute_trends(history.attempts(), now=NOW)
    assert trends.recent is None and "first week" in trends.comparison_note


def test_an_empty_history_has_empty_trends():
    trends = compute_trends([], now=NOW)
    assert trends.total == 0 and trends.focus == [] and trends.questions == []


# -- reports ----------------------------------------------------------------------------------------


def test_markdown_report_has_focus_comparison_trends_and_questions(seeded):
    report = build_report(seeded, fmt="md", now=NOW)
    trends = compute_trends(seeded.attempts(), now=NOW)
    assert report.startswith("# Your interview practice")
    for heading in ("## Three things to work on next", "## First week against the last 7 days", "## Trends",
                    "## Progress per question", "## Latest answers"):
        assert heading in report
    for n, focus in enumerate(trends.focus, 1):
        assert f"{n}. {focus.text}" in report
    assert "150 answers" in report and f"{trends.failed} not analysed" in report
    for spec in METRICS.values():
        assert re.search(rf"^\| {re.escape(spec.title)} \|", report, re.M), spec.title
    busiest = trends.questions[0]
    assert busiest.label[:40] in report
    # Every table row has as many cells as its header.
    for block in re.findall(r"((?:^\|.*\|\n)+)", report, re.M):
        widths = {line.count(" | ") for line in block.strip().splitlines() if not line.startswith("|---")}
        assert len(widths) == 1, block


def test_html_report_is_self_contained_with_a_chart_per_measure(seeded):
    report = build_report(seeded, fmt="html", now=NOW)
    assert report.startswith("<!doctype html>")
    # Nothing is fetched from the network: no scripts, stylesheets or images by URL.
    assert not re.search(r"<script|<link|<img|src=|url\(|@import", report)
    assert set(re.findall(r"https?://[^\"' ]+", report)) <= {"http://www.w3.org/2000/svg"}
    charts = re.findall(r'<svg [^>]*class="chart".*?</svg>', report, re.S)
    assert len(charts) == len(METRICS)
    for chart, spec in zip(charts, METRICS.values()):
        ET.fromstring(chart)  # each chart is well-formed SVG
        assert f"<title>{spec.title}</title>" in chart
        assert "<path d=\"M" in chart and "<polyline" in chart  # the dots and the running average
    trends = compute_trends(seeded.attempts(), now=NOW)
    for focus in trends.focus:
        assert focus.text.replace('"', "&quot;") in report
    assert "Progress per question" in report and trends.questions[0].label[:40] in report

    class Checker(HTMLParser):
        def __init__(self):
            super().__init__()
            self.open: list[str] = []

        def handle_starttag(self, tag, attrs):
            if tag not in {"meta", "br", "rect", "line", "path", "polyline"}:
                self.open.append(tag)

        def handle_endtag(self, tag):
            if tag in {"rect", "line", "path", "polyline"}:
                return
            assert self.open and self.open[-1] == tag, (self.open[-3:], tag)
            self.open.pop()

        def handle_startendtag(self, tag, attrs):
            pass

    checker = Checker()
    checker.feed(report)
    assert checker.open == []


def test_report_text_from_the_user_is_escaped(settings):
    question = QuestionContext(text="Why <script>alert(1)</script> & | pipes?", kind="behavioral",
                               question_id=None)
    with History(settings) as history:
        history.save_attempt(analysis=analyse_text(BEHAVIORAL[4], question=question), created_at=NOW)
        html_report = build_report(history, fmt="html", now=NOW)
        md_report = build_report(history, fmt="md", now=NOW)
    assert "<script>" not in html_report and "&lt;script&gt;" in html_report
    assert "\\| pipes?" in md_report


def test_since_limits_the_report(seeded):
    since = NOW - timedelta(days=10)
    report = build_report(seeded, since=since, fmt="md", now=NOW)
    recent = len(seeded.attempts(since=since))
    assert f"{recent} answers" in report and recent < 150
    assert "(since " in report


def test_an_empty_history_gives_a_friendly_report(settings):
    with History(settings) as history:
        for fmt in ("md", "html"):
            assert "No answers yet" in build_report(history, fmt=fmt)


def test_svg_helpers():
    assert nice_ticks(0, 100, 4) == [0, 25, 50, 75, 100]
    assert nice_ticks(112, 178, 4) == [120, 140, 160]
    assert sparkline([1, 2, 3, 4], buckets=4) == "▁▃▆█"
    assert sparkline([]) == ""
    empty = line_chart([], [], title="Pace")
    assert "no answers" in empty
    ET.fromstring(line_chart([NOW], [140.0], title="Pace <wpm>", band=(130, 160)))


# -- the commands -----------------------------------------------------------------------------------


def test_history_report_export_import_and_delete_commands(settings, tmp_path, isolated_dirs):
    with History(settings) as history:
        seed_history(history, 30, days=20, audio_dir=settings.recordings_dir, seed=2)
        newest = history.attempts(limit=1)[0]

    listed = run_coach("history", "--limit", "5")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split()[:3] == ["ID", "When", "Kind"] and len(lines) == 6
    assert lines[1].split()[0] == str(newest.id)  # newest first
    assert "5 of 30 attempts shown" in listed.stderr
    as_json = json.loads(run_coach("history", "--json", "--limit", "0").stdout)
    assert len(as_json) == 30 and {"id", "created_at", "metrics", "audio_missing"} <= set(as_json[0])

    page = tmp_path / "progress.html"
    made = run_coach("report", "-o", str(page))
    assert made.returncode == 0 and page.read_text().startswith("<!doctype html>")
    markdown = run_coach("report", "--since", (datetime.now() - timedelta(days=5)).strftime("%Y-%m-%d"))
    assert markdown.returncode == 0 and markdown.stdout.startswith("# Your interview practice")

    archive = tmp_path / "all.zip"
    exported = run_coach("export", str(archive))
    assert exported.returncode == 0 and "Exported 30 attempts" in exported.stdout
    assert run_coach("export", str(archive)).returncode == 2  # never overwrites without --force
    imported = run_coach("import", str(archive), env={"COACH_DATA_DIR": str(tmp_path / "restored")})
    assert "Imported 30 attempts (0 already here)" in imported.stdout
    again = run_coach("import", str(archive), env={"COACH_DATA_DIR": str(tmp_path / "restored")})
    assert "Imported 0 attempts (30 already here)" in again.stdout

    deleted = run_coach("attempt", "delete", str(newest.id), "--yes")
    assert deleted.returncode == 0 and "and its recording" in deleted.stdout
    assert newest.audio_path is None or not newest.audio_path.exists()
    missing = run_coach("attempt", "delete", str(newest.id), "--yes")
    assert missing.returncode == 2 and f"There is no attempt {newest.id}" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_reanalyse_command_on_a_typed_attempt(settings):
    with History(settings) as history:
        attempt_id = history.save_attempt(question_text="Tell me about a forecast.", kind="behavioral",
                                          transcript=BEHAVIORAL[5], error="spaCy failed to load")
    result = run_coach("reanalyse", str(attempt_id))
    assert result.returncode == 0, result.stderr
    assert f"Attempt {attempt_id} analysed again" in result.stdout and "Scores:" in result.stdout
    with History(settings) as history:
        assert history.attempt(attempt_id).analysed


def test_a_locked_database_gives_one_clear_line(settings):
    import sqlite3

    with History(settings) as history:
        history.save_attempt(question_text="Q?", error="x")
        attempt_id = history.attempts()[0].id
    holder = sqlite3.connect(settings.data_dir / "history.sqlite3", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = run_coach("attempt", "delete", str(attempt_id), "--yes")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 2
    assert result.stderr.strip() == f"Error: {LOCKED_MESSAGE}"


def test_a_corrupt_database_is_reported_by_the_commands(settings):
    settings.data_dir.mkdir(parents=True)
    (settings.data_dir / "history.sqlite3").write_bytes(b"garbage" * 1000)
    result = run_coach("history")
    assert result.returncode == 0
    assert "damaged" in result.stderr and "moved to" in result.stderr
    assert "No attempts yet" in result.stdout


def test_write_wav_helper_makes_real_audio(tmp_path):
    import soundfile

    info = soundfile.info(str(write_wav(tmp_path / "x.wav", 0.5)))
    assert info.samplerate == 16000 and abs(info.duration - 0.5) < 0.01


# -- issue 10 and issue 14: where reports go, and odd text in the table ------------------------------


def test_report_dash_o_dash_writes_to_stdout(settings, tmp_path):
    """Issue 14 #13: `coach report -o -` wrote a file named "-"."""
    with History(settings) as history:
        history.save_attempt(question_text="Q?", error="x")
    done = run_coach("report", "-o", "-")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("# Your interview practice")
    assert not (tmp_path / "-").exists() and not (REPO_ROOT / "-").exists()


@pytest.mark.parametrize("args", [["report", "-o"], ["export"]])
def test_report_and_export_never_follow_a_symlink_planted_at_a_temp_name(settings, tmp_path, args):
    """Issue 10 #10: both wrote through a link planted at <output>.partial."""
    with History(settings) as history:
        history.save_attempt(question_text="Q?", error="x")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    output = tmp_path / "out" / ("report.md" if args[0] == "report" else "history.zip")
    output.parent.mkdir()
    for planted in (f"{output.name}.partial", f".{output.name}.partial"):
        (output.parent / planted).symlink_to(victim)
    done = run_coach(*args, str(output))
    assert done.returncode == 0, done.stderr
    assert victim.read_text() == "precious"
    assert output.is_file() and not output.is_symlink() and output.stat().st_mode & 0o077 == 0


def test_a_long_failure_message_keeps_the_history_table_one_row_per_attempt(settings):
    """Issue 14 #19: a failed attempt's message (the WAV path twice) broke the table."""
    path = "/home/someone/interviews/" + "very-long-folder-name/" * 4 + "answer.wav"
    with History(settings) as history:
        history.save_attempt(question_text="Tell me about a conflict.",
                             error=f"{path} cannot be decoded ({path}: Error opening\nunknown format); check it.")
        history.save_attempt(question_text="Tell me about a failure.", error="x")
    done = run_coach("history", env={"COLUMNS": "120"})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 3  # header and one row each
    assert all(len(line) <= 120 for line in lines), lines
