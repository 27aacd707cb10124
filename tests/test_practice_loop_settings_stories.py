"""Issue 14, rough edges: `coach stories new` with a title already in the library, and the
settings screen (its title, where it saves, the speech model as a choice)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import run_coach
from tests.support.pilot import wait_for as _wait_for

pytestmark = pytest.mark.slow


def test_new_story_with_an_existing_title_says_so_and_keeps_both(tmp_path: Path):
    folder = tmp_path / "stories"
    first = run_coach("stories", "--stories", str(folder), "new", "The model that drifted")
    assert first.returncode == 0, first.stderr
    assert "already exists" not in first.stderr
    original = Path(first.stdout.strip())
    before = original.read_text()

    # Same title with other case and spacing: the same story to a reader.
    second = run_coach("stories", "--stories", str(folder), "new", "the model  that Drifted")
    assert second.returncode == 0, second.stderr
    made = Path(second.stdout.strip())
    assert made != original and made.is_file()
    assert original.read_text() == before
    notes = [line for line in second.stderr.splitlines() if "already exists" in line]
    assert notes == [f'A story titled "the model that Drifted" already exists ({original.name}); '
                     f"this one is {made.name}."]

    other = run_coach("stories", "--stories", str(folder), "new", "A different story")
    assert other.returncode == 0 and "already exists" not in other.stderr


async def test_settings_screen_has_a_title_saves_only_on_save_and_offers_the_installed_models(isolated_dirs):
    from coach.settings import load_settings
    from coach.ui.app import make_app
    from coach.ui.screens.settings import SettingsScreen

    config = isolated_dirs / "config.toml"
    # A model folder dropped into the data folder's models/ is installed; empty files are enough
    # to be listed, and it is never chosen here, so never loaded.
    local = isolated_dirs / "data" / "models" / "my-model"
    local.mkdir(parents=True)
    for name in ("model.bin", "config.json", "tokenizer.json"):
        (local / name).write_bytes(b"")
    settings = load_settings()
    # A model named by its folder (the bundled one, so it loads): not one of the installed names,
    # and the screen must still offer it, not swap it silently for another model.
    settings, folder = _settings_with_model_folder(settings)
    app = make_app(settings)
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await _open_settings(pilot)
        title = str(screen.query_one("#settings-title").render())
        assert title.startswith("Settings")
        where = str(screen.query_one("#settings-path").render())
        assert "Saved" not in where and str(config) in where
        assert not config.exists()
        assert not any("Saved to" in n.message for n in app._notifications)

        model = screen.query_one("#model")
        values = [value for _, value in model._options]
        assert {"tiny.en", "base", "my-model", folder} <= set(values)
        assert len(values) == len(set(values))
        assert model.value == folder

        model.value = "tiny.en"
        screen.query_one("#rate").value = "150"
        await pilot.press("ctrl+s")
        await _wait_for(pilot, lambda: not isinstance(app.screen, SettingsScreen))
        assert any(n.message == f"Saved to {config}" for n in app._notifications)
    saved = load_settings(config)
    assert saved.speech.model == "tiny.en" and saved.voice.rate == 150


async def test_settings_screen_keeps_a_model_it_does_not_know(isolated_dirs):
    from coach.settings import load_settings
    from coach.ui.app import make_app
    from coach.ui.screens.settings import SettingsScreen

    settings, folder = _settings_with_model_folder(load_settings())
    app = make_app(settings)
    async with app.run_test(size=(120, 50)) as pilot:
        await _open_settings(pilot)
        await pilot.press("ctrl+s")
        await _wait_for(pilot, lambda: not isinstance(app.screen, SettingsScreen))
    assert load_settings(isolated_dirs / "config.toml").speech.model == folder


def _bundled_model_folder(settings) -> str:
    from coach.speech.models import resolve_model

    return resolve_model("tiny.en", [], settings.data_dir / "models").location


def _settings_with_model_folder(settings):
    """``settings`` with the bundled model named by its folder, no microphone and a silent voice;
    returns them and the folder."""
    folder = _bundled_model_folder(settings)
    return replace(settings, speech=replace(settings.speech, model=folder),
                   audio=replace(settings.audio, input_device="no-such-microphone"),
                   voice=replace(settings.voice, mute=True)), folder


async def _open_settings(pilot):
    from coach.ui.screens.settings import SettingsScreen

    app = pilot.app
    await pilot.press("f2")
    await _wait_for(pilot, lambda: isinstance(app.screen, SettingsScreen) and bool(app.screen.query("#model")))
    return app.screen
