"""The story library core: files, safe saving, lint, coverage, matching and rehearsal comparison."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from coach.errors import CoachError
from coach.stories import (
    COMPETENCIES,
    Story,
    StoryConflictError,
    StoryFileError,
    changed_on_disk,
    coverage,
    create_story,
    format_story,
    library_dir,
    load_library,
    new_story,
    open_library,
    parse_story,
    read_story,
    reload_story,
    safe_stem,
    save_story,
    unique_path,
)
from coach.stories.library import SAMPLES_DIR, sample_files

REPO = Path(__file__).resolve().parent.parent

GOOD = """---
title: A good one
competencies: [ownership]
roles: [ML Engineer]
tags: [monitoring]
metric: alerts cut by 60%
---

## Situation

Our fraud model ran in a batch job at a payments company.

## Task

I had to cut false alerts before the holidays.

## Action

I rebuilt the features and retrained the model.

## Result

False alerts fell by 60%.
"""


@pytest.fixture
def library(tmp_path) -> Path:
    """A library folder holding copies of the samples."""
    folder = tmp_path / "stories"
    folder.mkdir()
    for sample in sample_files():
        shutil.copyfile(sample, folder / sample.name)
    return folder


def _story(**sections) -> Story:
    return Story(title="Test story", competencies=["conflict"], roles=["ML Engineer"], metric="x",
                 sections=sections)


# --- the samples ---------------------------------------------------------------------------------


def test_samples_have_one_source_the_repo_stories_folder():
    assert SAMPLES_DIR.resolve() == (REPO / "stories").resolve()
    names = sorted(p.name for p in sample_files())
    assert len(names) == 7
    assert names == sorted(p.name for p in (REPO / "stories").glob("*.md") if p.name != "README.md")


def test_samples_load_and_cover_every_competency_with_distinct_sets():
    loaded = load_library(SAMPLES_DIR)
    assert not loaded.errors
    assert len(loaded.stories) == 7
    sets = [frozenset(s.competencies) for s in loaded.stories]
    assert len(set(sets)) == 7
    assert {c for s in loaded.stories for c in s.competencies} == set(COMPETENCIES)
    for story in loaded.stories:
        assert story.title and story.metric and story.roles and story.tags
        assert not story.missing_parts()
        assert 90 <= story.speaking_s(150) <= 120, (story.title, story.speaking_s(150))
        # Samples are stored exactly as coach writes them, so saving one changes nothing.
        assert format_story(story) == story.path.read_text(encoding="utf-8")


@pytest.mark.slow
def test_samples_lint_clean():
    from coach.stories import lint_story

    for story in load_library(SAMPLES_DIR).stories:
        report = lint_story(story)
        assert report.findings == [], (story.title, report.findings)
        assert report.coaching.star["result_quantified"]


# --- reading, round trip ----------------------------------------------------------------------------


def test_round_trip_load_edit_save_reload_identical(library):
    path = library / "the-forecast-that-drifted-overnight.md"
    story = read_story(path)
    story.sections["action"] += "\n\nI also wrote a runbook for the on-call rota."
    story.competencies.append("collaboration")
    story.tags.append("runbooks")
    story.metric = "error: 31% -> 12%"  # a colon: must be quoted to stay YAML
    saved = save_story(story)
    assert saved == path
    again = read_story(path)
    assert again == story
    assert again.competencies[-1] == "collaboration"
    assert again.metric == "error: 31% -> 12%"
    # Saving what was read changes no byte.
    before = path.read_bytes()
    save_story(again)
    assert path.read_bytes() == before


@pytest.mark.parametrize("title", ["No", "2019", "Cut: costs", "#1 priority", 'She said "ship it"', "[draft] x",
                                   "Yes, and", "- dash", "null", "Café déjà vu", "a, b"])
def test_awkward_header_values_survive(title):
    story = Story(title=title, competencies=["impact"], tags=[title, "plain"], metric=title,
                  sections={"situation": "S.", "task": "T.", "action": "A.", "result": "R."})
    back = parse_story(format_story(story))
    assert back == story
    assert back.title == title and back.tags == [title, "plain"]


def test_other_keys_and_sections_are_kept():
    text = GOOD.replace("metric: alerts cut by 60%\n", "metric: alerts cut by 60%\nasked_at: [Acme, Initech]\n")
    text += "\n## Lessons\n\nWrite the runbook first.\n"
    story = parse_story(text)
    assert story.extra == {"asked_at": ["Acme", "Initech"]}
    assert story.extra_sections == [("Lessons", "Write the runbook first.")]
    assert parse_story(format_story(story)) == story
    assert format_story(story).index("## Result") < format_story(story).index("## Lessons")


def test_headings_and_lists_are_flexible():
    text = GOOD.replace("## Action", "## Actions").replace("## Result", "## results")
    story = parse_story(text)
    assert story.sections["action"].startswith("I rebuilt") and story.sections["result"].startswith("False")
    story = parse_story(GOOD.replace("competencies: [ownership]", "competencies: Ownership, ML in production"))
    assert story.competencies == ["ownership", "ml_in_production"]


# --- malformed files -----------------------------------------------------------------------------


@pytest.mark.parametrize("text, line, words", [
    ("no header\n\n## Situation\nx\n", 1, "front-matter"),
    ("---\ntitle: x\n\n## Situation\n", 1, "never closed"),
    ("---\ntitle: ok\ncompetencies: [conflict, failure\nroles: [x]\n---\n", 4, "not valid"),
    ("---\ntitle: a: b: c\n---\n", 2, "not valid"),
    ("---\ncompetencies: [conflict]\n---\n## Situation\nx\n", 2, "no title"),
    ("---\ntitle: x\ncompetencies: {a: b}\n---\n", 3, "competencies must be a list"),
    ("---\ntitle: x\n---\n## Action\nI did it.\n\n## Action\nAgain.\n", 7, "second '## Action'"),
])
def test_malformed_files_name_the_file_and_line(tmp_path, text, line, words):
    path = tmp_path / "broken.md"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(StoryFileError) as caught:
        read_story(path)
    assert caught.value.line == line
    assert caught.value.path == path
    message = str(caught.value)
    assert str(path) in message and f"line {line}" in message and words in message


def test_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "latin1.md"
    path.write_bytes(b"---\ntitle: ok\n---\n\n## Situation\n\ncaf\xe9\n")
    with pytest.raises(StoryFileError) as caught:
        read_story(path)
    assert caught.value.line == 7 and "UTF-8" in str(caught.value)


def test_a_malformed_file_does_not_stop_the_rest_loading(library):
    (library / "aaa-broken.md").write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
    (library / "zzz-no-header.md").write_text("Just notes.\n", encoding="utf-8")
    (library / "README.md").write_text("# My stories\n", encoding="utf-8")  # not a story, not an error
    (library / ".draft.md").write_text("hidden\n", encoding="utf-8")
    loaded = load_library(library)
    assert len(loaded.stories) == 7
    assert sorted(e.path.name for e in loaded.errors) == ["aaa-broken.md", "zzz-no-header.md"]
    assert {e.line for e in loaded.errors} == {1, 2}


@pytest.mark.slow
def test_missing_sections_load_and_lint_names_the_line(tmp_path):
    from coach.stories import lint_story

    path = tmp_path / "half.md"
    path.write_text(GOOD.split("## Task")[0] + "## Action\n\nI rebuilt the features.\n\n## Result\n\n", encoding="utf-8")
    story = read_story(path)  # still loads: the editor is where the gaps get filled
    assert story.missing_parts() == ["task", "result"]
    report = lint_story(story)
    missing = {f.section: f for f in report.errors if f.code == "missing_part"}
    assert set(missing) == {"task", "result"}
    assert missing["result"].line == 17  # the empty "## Result" heading
    assert missing["task"].line == len(path.read_text().splitlines()) + 1  # no heading: the end of the file


# --- saving safely -------------------------------------------------------------------------------


def test_an_outside_edit_is_never_overwritten(library):
    path = library / "half-the-gpus-two-deadlines.md"
    mine = read_story(path)
    theirs = path.read_text(encoding="utf-8").replace("Half the GPUs", "Half the GPUs (edited in vim)")
    path.write_text(theirs, encoding="utf-8")
    assert changed_on_disk(mine)
    mine.sections["task"] = "My version."
    with pytest.raises(StoryConflictError) as caught:
        save_story(mine)
    assert str(path) in str(caught.value) and "changed outside coach" in str(caught.value)
    assert path.read_text(encoding="utf-8") == theirs
    # Reloading gives their version; saving after choosing to overwrite gives mine.
    assert "(edited in vim)" in reload_story(mine).title
    save_story(mine, force=True)
    assert read_story(path).sections["task"] == "My version."


def test_two_editors_of_one_story(library):
    path = library / "recommendations-with-no-labels.md"
    first, second = read_story(path), read_story(path)
    first.metric = "first"
    save_story(first)
    second.metric = "second"
    with pytest.raises(StoryConflictError):
        save_story(second)
    assert read_story(path).metric == "first"
    first.metric = "first again"  # the saver's own next save is fine
    save_story(first)


def test_touch_without_change_is_not_an_edit(library):
    path = library / "recommendations-with-no-labels.md"
    story = read_story(path)
    future = time.time() + 30
    os.utime(path, (future, future))
    assert not changed_on_disk(story)
    story.metric = "still mine"
    save_story(story)
    assert read_story(path).metric == "still mine"


def test_same_size_edit_within_the_same_mtime_is_caught(library):
    path = library / "recommendations-with-no-labels.md"
    story = read_story(path)
    stat = path.stat()
    path.write_bytes(path.read_bytes().replace(b"Recommendations", b"Recommendationz"))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    with pytest.raises(StoryConflictError):
        save_story(story)


def test_a_deleted_file_is_written_again(library):
    path = library / "recommendations-with-no-labels.md"
    story = read_story(path)
    path.unlink()
    save_story(story)
    assert read_story(path) == story


def test_writes_are_atomic(library, monkeypatch):
    path = library / "half-the-gpus-two-deadlines.md"
    before = path.read_bytes()
    story = read_story(path)
    story.metric = "never written"

    def failing_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(CoachError, match="Cannot save"):
        save_story(story)
    assert path.read_bytes() == before
    assert not [p for p in library.iterdir() if p.name.startswith(".")]  # no temporary file left behind


def test_no_temporary_files_after_saves(library):
    story = new_story("Fresh")
    create_story(library, story)
    story.metric = "x"
    save_story(story)
    assert not [p for p in library.iterdir() if p.name.startswith(".")]


def test_saved_stories_are_private_and_a_planted_link_is_replaced_not_followed(library, tmp_path):
    story = new_story("Private")
    path = create_story(library, story)
    assert path.stat().st_mode & 0o777 == 0o600
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    for name in (f"{path.name}.partial", f".{path.name}.partial"):
        (library / name).symlink_to(victim)
    story.metric = "rewritten"
    save_story(story)
    assert victim.read_text() == "precious" and "rewritten" in path.read_text()


# --- file names ----------------------------------------------------------------------------------


@pytest.mark.parametrize("title, stem", [
    ("The model that drifted", "the-model-that-drifted"),
    ("../../etc/passwd", "etc-passwd"),
    ("/etc/cron.d/evil", "etc-cron-d-evil"),
    ("..", "story"),
    ("C:\\Windows\\system32", "c-windows-system32"),
    ("", "story"),
    ("   ", "story"),
    ("CON", "story-con"),
    (".hidden", "hidden"),
    ("Café déjà vu: 40% fewer alerts!", "cafe-deja-vu-40-fewer-alerts"),
    ("日本語のタイトル", "story"),
])
def test_safe_stems(title, stem):
    assert safe_stem(title) == stem


def test_long_titles_are_cut_at_a_word():
    stem = safe_stem("word " * 40)
    assert len(stem) <= 60 and not stem.endswith("-") and stem.startswith("word-word")


def test_new_stories_never_clobber(library):
    (library / "etc-passwd.md").write_text("someone else's file\n", encoding="utf-8")
    first = create_story(library, new_story("../../etc/passwd"))
    second = create_story(library, new_story("../../etc/passwd"))
    assert first == library / "etc-passwd-2.md" and second == library / "etc-passwd-3.md"
    assert (library / "etc-passwd.md").read_text() == "someone else's file\n"
    assert all(p.parent == library for p in (first, second))
    # A name taken in another case counts as taken (case-insensitive file systems).
    (library / "Mixed-Case.md").write_text("x", encoding="utf-8")
    assert unique_path(library, "mixed case").name == "mixed-case-2.md"


def test_a_story_with_a_section_heading_inside_is_refused():
    story = _story(situation="Fine.", task="Fine.", action="I did.\n## Not a section", result="Done.")
    with pytest.raises(CoachError, match="Action section"):
        format_story(story)


# --- the library folder ----------------------------------------------------------------------------


def test_first_run_seeds_the_samples_once(tmp_path):
    settings = SimpleNamespace(data_dir=tmp_path / "data", stories_dir=None)
    folder = open_library(settings)
    assert folder == tmp_path / "data" / "stories"
    assert sorted(p.name for p in folder.glob("*.md")) == sorted(p.name for p in sample_files())
    (folder / "half-the-gpus-two-deadlines.md").unlink()
    open_library(settings)
    assert not (folder / "half-the-gpus-two-deadlines.md").exists()  # a deleted sample stays deleted
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]


def test_library_folder_precedence(tmp_path):
    settings = SimpleNamespace(data_dir=tmp_path / "data", stories_dir=str(tmp_path / "configured"))
    assert library_dir(settings) == tmp_path / "configured"
    assert library_dir(settings, tmp_path / "flag") == tmp_path / "flag"
    assert library_dir(SimpleNamespace(data_dir=tmp_path / "d")) == tmp_path / "d" / "stories"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert open_library(settings, empty) == empty and not list(empty.iterdir())  # an existing folder is not seeded
    (tmp_path / "file").write_text("x")
    with pytest.raises(CoachError, match="is a file"):
        open_library(settings, tmp_path / "file")


# --- coverage ------------------------------------------------------------------------------------


def test_coverage_on_the_samples():
    from coach.questions.bank import load_questions

    stories = load_library(SAMPLES_DIR).stories
    result = coverage(stories, load_questions())
    assert result.gaps == []
    assert set(result.thin) == {"conflict", "failure", "leadership"}
    assert result.overused == []
    assert result.matrix["conflict"] == ["the-churn-metric-we-argued-about"]
    assert len(result.matrix["ml_in_production"]) == 2
    assert result.question_counts["ownership"] > 10


def test_coverage_names_gaps_and_overuse():
    from coach.questions.bank import load_questions

    stories = [s for s in load_library(SAMPLES_DIR).stories if "conflict" not in s.competencies]
    do_all = Story(title="The story of everything", competencies=list(COMPETENCIES[:6]))
    result = coverage(stories + [do_all], load_questions())
    assert "conflict" not in result.gaps  # do_all claims it
    assert any("claims 6 competencies" in o.reason for o in result.overused)
    sole = coverage(stories)
    assert sole.gaps == ["conflict"]
    assert sole.gap_messages() == ["No story for conflict."]
    asked = coverage(stories, load_questions()).gap_messages()[0]
    assert asked.startswith("No story for conflict (") and "questions in the bank" in asked
    only = coverage([Story(title="Lonely", competencies=["conflict", "failure", "leadership"])])
    assert any("only story for conflict, failure and leadership" in o.reason for o in only.overused)


# --- matching ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_matching_bank_questions_on_the_samples():
    from coach.questions.bank import find_question, load_questions
    from coach.stories import match_stories

    stories = load_library(SAMPLES_DIR).stories
    bank = load_questions()
    conflict = find_question(bank, "beh-conflict-01")
    found = match_stories(conflict.text, stories, conflict.competencies)
    assert len(found) <= 3 and found[0].story.id == "the-churn-metric-we-argued-about"
    assert "conflict" in found[0].reason and "disagreed" in found[0].reason
    prioritise = next(q for q in bank if "compute or time was tightly limited" in q.text)
    found = match_stories(prioritise.text, stories, prioritise.competencies)
    assert found[0].story.id == "half-the-gpus-two-deadlines"
    assert "compute" in found[0].shared_words
    # Every story shares "model": a word in all of them is not a reason.
    assert all("model" not in m.shared_words for m in found)


@pytest.mark.slow
def test_matching_free_text():
    # Speed is the benchmark's business (timed assertions fail on a loaded machine, not on slow code).
    from coach.stories import match_stories

    stories = load_library(SAMPLES_DIR).stories
    found = match_stories("When did a model you deployed break in production, and what did you do about it?", stories)
    assert {"the-forecast-that-drifted-overnight", "leading-the-feature-store-migration"} <= {m.story.id for m in found}
    assert all("ml in production" in m.reason for m in found[:2])
    assert match_stories("What is your favourite colour?", stories) == []


@pytest.mark.slow
def test_best_stories_for_uses_the_settings_library(tmp_path):
    from coach.stories import best_stories_for

    settings = SimpleNamespace(data_dir=tmp_path / "data")
    found = best_stories_for("Tell me about a time you received critical feedback.", ("feedback",), settings)
    assert {m.story.id for m in found} == {"the-ranking-test-i-called-too-early",
                                            "the-early-warning-model-nurses-ignored"}
    assert (tmp_path / "data" / "stories").is_dir()


# --- lint ----------------------------------------------------------------------------------------


def _codes(report) -> dict[str, list]:
    out: dict[str, list] = {}
    for finding in report.findings:
        out.setdefault(finding.code, []).append(finding)
    return out


@pytest.mark.slow
def test_lint_flags_we_hedges_fillers_and_an_unmeasured_result(tmp_path):
    from coach.stories import lint_story

    text = GOOD.replace(
        "I rebuilt the features and retrained the model.",
        "We rebuilt the features. We retrained the model, basically from scratch.\n"
        "We ran a shadow test. I think we probably made it better.",
    ).replace("False alerts fell by 60%.", "The team was happy with it. I learned that shadow tests matter.")
    path = tmp_path / "we.md"
    path.write_text(text, encoding="utf-8")
    report = lint_story(read_story(path))
    codes = _codes(report)
    assert "we_not_i" in codes and codes["we_not_i"][0].section == "action"
    assert [f.message.split('"')[1] for f in codes["hedge"]] == ["I think", "probably"]
    assert codes["hedge"][0].line == 20  # the second line of the Action section
    assert codes["filler"][0].message.startswith('Filler "basically"') and codes["filler"][0].line == 19
    assert "result_unquantified" in codes and "alerts cut by 60%" in codes["result_unquantified"][0].message
    assert "lesson_in_result" in codes
    assert not report.errors and report.status.endswith("warnings")


@pytest.mark.slow
def test_lint_length_depends_on_the_pace():
    from coach.stories import lint_story

    story = load_library(SAMPLES_DIR).stories[3]  # 105 s at 150 wpm
    assert "too_long" not in _codes(lint_story(story, wpm=150))
    slow = _codes(lint_story(story, wpm=110))
    assert "too_long" in slow and "110 words a minute" in slow["too_long"][0].message
    short = _story(situation="At a bank.", task="Fix it.", action="I fixed the model.", result="Errors fell 20%.")
    assert "too_short" in _codes(lint_story(short))


@pytest.mark.slow
def test_lint_situation_longer_than_action_and_header_errors():
    from coach.stories import lint_story

    story = _story(
        situation="At a large retailer our recommendation system served the home page for twelve million "
                  "customers across four countries, and the team that had built it had left the company, so "
                  "nobody knew how the training data was produced or what half of the features meant.",
        task="I had to make it maintainable.",
        action="I documented every feature and rebuilt the training job.",
        result="Onboarding time fell from six weeks to one.")
    story.competencies = ["conflict", "leadrship"]
    story.roles = ["Astronaut"]
    codes = _codes(lint_story(story))
    assert "long_situation" in codes
    assert codes["unknown_competency"][0].severity == "error" and "leadrship" in codes["unknown_competency"][0].message
    assert "unknown_role" in codes
    assert "result_unquantified" not in codes  # "from six weeks to one" is a magnitude


@pytest.mark.slow
def test_lint_ignores_the_guidance_comments_of_a_new_story():
    from coach.stories import lint_story

    report = lint_story(new_story("Blank", ["conflict"]))
    assert {f.code for f in report.errors} == {"missing_part"}
    assert report.speaking_s == 0


# --- rehearsal -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_rehearsal_reports_what_was_told_and_the_time_split():
    from coach.analysis.answer import analyse_text
    from coach.stories import compare_telling

    story = read_story(SAMPLES_DIR / "the-forecast-that-drifted-overnight.md")
    telling = analyse_text(
        "At a grocery delivery company I worked on demand forecasting for forty warehouses, and one Monday the "
        "managers reported empty shelves and unsold bread. The forecasting service was mine, and I had to find "
        "the cause before the weekend orders. I compared the inputs with the previous month and found that a "
        "supplier feed had switched from kilograms to grams, which broke three features. I patched the unit "
        "conversion, backfilled the features and re-ran the forecasts. Forecast error went from 31 percent back "
        "to 12 percent by Thursday.")
    rehearsal = compare_telling(story, telling)
    told = {p.text[:30] for p in rehearsal.told}
    left = [p.text for p in rehearsal.left_out]
    assert any(t.startswith("I compared the model's inputs") for t in told)
    assert any(t.startswith("Forecast error dropped") for t in told)
    assert any(t.startswith("Then I wrote a data contract") for t in left)
    assert any(t.startswith("Over the next quarter") for t in left)
    assert 0.3 < rehearsal.coverage < 0.9
    assert abs(sum(rehearsal.draft_split.values()) - 1) < 0.01
    assert rehearsal.told_split["action"] > 0
    notes = rehearsal.notes()
    assert notes[0].startswith("You left out part of your result")
    assert any("of the draft's" in n for n in notes)
    # The same works from the plain STAR summary (what the practice screen holds).
    assert compare_telling(story, {"star": telling.coaching.star, "transcript": telling.transcript}).coverage \
        == rehearsal.coverage
