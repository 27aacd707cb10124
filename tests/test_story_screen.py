"""The story library screen through Textual's Pilot: the real app, real files, real spaCy lint."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from coach.settings import load_settings
from coach.stories.library import sample_files
from coach.ui.app import make_app
from coach.ui.screens.stories import StoryLibraryScreen
from tests.support.pilot import wait_for

pytestmark = pytest.mark.slow


def _settings():
    settings = load_settings()
    return replace(settings, audio=replace(settings.audio, input_device="no-such-microphone"),
                   voice=replace(settings.voice, mute=True))


def _library(tmp_path: Path) -> Path:
    folder = tmp_path / "lib"
    folder.mkdir()
    for sample in sample_files():
        shutil.copyfile(sample, folder / sample.name)
    return folder


async def _wait_for(pilot, condition) -> None:
    await wait_for(pilot, condition, timeout=60.0)


def _notes(app) -> list[tuple[str, str]]:
    """Every notification shown, as (message, severity)."""
    shown = []
    original = app.notify

    def record(message, *args, **kwargs):
        shown.append((str(message), kwargs.get("severity", "information")))
        return original(message, *args, **kwargs)

    app.notify = record
    return shown


async def _open(app, pilot, screen: StoryLibraryScreen) -> StoryLibraryScreen:
    await app.push_screen(screen)
    await _wait_for(pilot, lambda: screen.stories and len(screen.reports) >= len(screen.stories))
    return screen


async def test_list_shows_competencies_and_lint_status_and_the_coverage(tmp_path):
    app = make_app(_settings())
    async with app.run_test(size=(130, 42)) as pilot:
        screen = await _open(app, pilot, StoryLibraryScreen(_library(tmp_path)))
        options = screen.query_one("#story-list")
        assert options.option_count == 7
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(7)]
        assert all("✓ ok" in p for p in prompts)
        assert any("conflict, collaboration, influence" in p for p in prompts)
        assert screen.current is not None and screen.query_one("#story-title").value == screen.current.title
        table = screen.query_one("#coverage-table")
        assert table.row_count == 11 and len(table.columns) == 7 + 3
        await pilot.press("ctrl+g")
        assert screen.query_one("#story-tabs").active == "tab-coverage"
        notes = str(screen.query_one("#coverage-notes").render())
        assert "Only one story for conflict" in notes


async def test_default_library_is_seeded_in_the_data_folder(isolated_dirs):
    app = make_app(_settings())
    async with app.run_test(size=(130, 42)) as pilot:
        screen = await _open(app, pilot, StoryLibraryScreen())
        assert screen.folder == isolated_dirs / "data" / "stories"
        assert len(screen.stories) == 7


async def test_typing_counts_at_once_and_lints_after_a_pause(tmp_path):
    messages = []
    app = make_app(_settings())
    async with app.run_test(size=(130, 42), message_hook=messages.append) as pilot:
        screen = await _open(app, pilot, StoryLibraryScreen(_library(tmp_path), wpm=120))
        stats = str(screen.query_one("#story-stats").render())
        words_before = int(stats.split(" words")[0])
        assert "at 120 wpm" in stats
        area = screen.query_one("#section-action")
        area.focus()
        area.move_cursor(area.document.end)
        await pilot.press(*" I think it helped.")
        await pilot.pause()
        stats = str(screen.query_one("#story-stats").render())
        assert int(stats.split(" words")[0]) == words_before + 4 and "unsaved" in stats
        await _wait_for(pilot, lambda: any(isinstance(m, StoryLibraryScreen.Linted)
                                           and any(f.code == "hedge" for f in m.report.findings) for m in messages))
        linted = [m for m in messages if isinstance(m, StoryLibraryScreen.Linted)]
        # Debounced: eighteen keystrokes, far fewer lint runs (how many depends on how fast the
        # keys arrive, which on a loaded machine is slower than typing: 4 seen with 2 busy cores).
        assert len(linted) <= 6
        await _wait_for(pilot, lambda: 'Hedge "I think"' in str(screen.query_one("#story-lint").render()))
        assert "1 warning" in str(screen.query_one("#story-list").get_option_at_index(0).prompt)


async def test_save_and_the_outside_edit_protection(tmp_path):
    messages = []
    folder = _library(tmp_path)
    app = make_app(_settings())
    async with app.run_test(size=(130, 42), message_hook=messages.append) as pilot:
        notes = _notes(app)
        screen = await _open(app, pilot, StoryLibraryScreen(folder))
        path = screen.current.path
        screen.query_one("#story-metric").value = "55% less compute"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert any(isinstance(m, StoryLibraryScreen.Saved) and m.path == path for m in messages)
        assert "metric: 55% less compute\n" in path.read_text(encoding="utf-8")

        outside = path.read_text(encoding="utf-8").replace("## Task", "## Task\n\nEdited in another editor.")
        path.write_text(outside, encoding="utf-8")
        screen.query_one("#story-metric").value = "my newer metric"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert any(isinstance(m, StoryLibraryScreen.SaveRefused) for m in messages)
        assert path.read_text(encoding="utf-8") == outside
        assert any("changed outside coach" in text and severity == "error" for text, severity in notes)

        await pilot.press("ctrl+r")  # take their version
        await pilot.pause()
        assert screen.query_one("#section-task").text.startswith("Edited in another editor.")
        assert screen.query_one("#story-metric").value == "55% less compute"

        path.write_text(outside.replace("Edited in another", "Edited again in another"), encoding="utf-8")
        screen.query_one("#story-metric").value = "mine wins"
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("ctrl+o")  # now keep mine, deliberately
        await pilot.pause()
        assert "metric: mine wins\n" in path.read_text(encoding="utf-8")


async def test_new_story_and_an_unreadable_file(tmp_path):
    folder = _library(tmp_path)
    (folder / "broken.md").write_text("---\ntitle: [oops\n---\n", encoding="utf-8")
    app = make_app(_settings())
    async with app.run_test(size=(130, 42)) as pilot:
        notes = _notes(app)
        screen = await _open(app, pilot, StoryLibraryScreen(folder))
        options = screen.query_one("#story-list")
        assert options.option_count == 8
        broken = options.get_option_at_index(7)
        assert broken.disabled and "broken.md" in str(broken.prompt) and "line 2" in str(broken.prompt)
        assert "1 not loaded" in str(screen.query_one("#story-count").render())
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert screen.query_one("#story-title").has_focus
        screen.query_one("#story-title").value = "../My new story"
        screen.query_one("#story-competencies").value = "conflict"
        screen.query_one("#section-situation").text = "At a bank, our model drifted."
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert (folder / "my-new-story.md").is_file()
        assert any(s.id == "my-new-story" for s in screen.stories)
        assert options.option_count == 9
        assert screen.coverage.matrix["conflict"] == ["my-new-story", "the-churn-metric-we-argued-about"]
        assert any("Saved my-new-story.md" in text for text, _ in notes)


async def test_escape_warns_before_dropping_unsaved_edits(tmp_path):
    app = make_app(_settings())
    async with app.run_test(size=(130, 42)) as pilot:
        notes = _notes(app)
        folder = _library(tmp_path)
        screen = await _open(app, pilot, StoryLibraryScreen(folder))
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not screen  # nothing unsaved: straight back
        await app.push_screen(screen := StoryLibraryScreen(folder))
        await _wait_for(pilot, lambda: screen.current is not None)
        screen.query_one("#story-metric").value = "changed"
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        assert any("escape again leaves without saving" in text for text, _ in notes)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not screen


async def test_opening_a_story_edited_elsewhere_shows_the_file(tmp_path):
    folder = _library(tmp_path)
    app = make_app(_settings())
    async with app.run_test(size=(130, 42)) as pilot:
        screen = await _open(app, pilot, StoryLibraryScreen(folder))
        second = screen.stories[1]
        second.path.write_text(second.path.read_text(encoding="utf-8").replace(
            "## Result\n\n", "## Result\n\nRewritten in vim. "), encoding="utf-8")
        options = screen.query_one("#story-list")
        options.focus()
        options.highlighted = 1
        await pilot.press("enter")
        await pilot.pause()
        assert screen.current.path == second.path
        assert screen.query_one("#section-result").text.startswith("Rewritten in vim.")
        screen.query_one("#story-metric").value = "saved over the new version, no conflict"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "saved over the new version" in second.path.read_text(encoding="utf-8")


async def test_screen_shortcuts_work_while_a_section_is_edited(tmp_path):
    """The footer shows ctrl+g and ctrl+e: they must work from inside the editor too."""
    from coach.ui.screens.practice import PracticeScreen

    app = make_app(_settings())
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(app, pilot, StoryLibraryScreen(stories_dir=_library(tmp_path)))
        tabs = screen.query_one("#story-tabs")
        for section in ("#section-action", "#story-title"):
            screen.query_one(section).focus()
            await pilot.press("ctrl+g")
            assert tabs.active == "tab-coverage", section
            await pilot.press("ctrl+g")
            assert tabs.active == "tab-editor", section
        screen.query_one("#section-result").focus()
        await pilot.press("ctrl+e")
        await _wait_for(pilot, lambda: isinstance(app.screen, PracticeScreen))
        assert app.screen.story.title == screen.current.title
