"""Edit the settings and write them to the config file."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Select, Static, Switch

from coach.questions.bank import ROLES
from coach.ui.widgets.steady_footer import SteadyFooter
from coach.ui.widgets.title_bar import TitleBar


class SettingsScreen(Screen):
    CSS_PATH = "settings.tcss"
    BINDINGS = [Binding("ctrl+s", "save", "Save"), Binding("escape", "app.pop_screen", "Cancel")]

    def compose(self) -> ComposeResult:
        s = self.app.settings
        yield TitleBar()
        with VerticalScroll(id="settings"):
            yield Static("Settings: speech model, voice, microphone and practice", id="settings-title")
            # Nothing is written until Save: saying "Saved to" here would claim a save that never happened.
            yield Static(f"Save (ctrl+s) writes them to {self._config_file()} (see README: Settings); "
                         "Esc leaves without saving.", id="settings-path")
            with Grid(id="settings-grid"):
                yield Label("Whisper model")
                models = self._models(s.speech.model)
                yield Select(models, value=s.speech.model or models[0][1], allow_blank=False, id="model",
                             tooltip="The models installed on this computer; add one as a folder in the models folder")
                yield Label("Voice")
                yield Input(s.voice.voice, id="voice", tooltip="an espeak-ng voice: en-us, en-gb, ...")
                yield Label("Voice rate (wpm)")
                yield Input(str(s.voice.rate), id="rate", type="integer")
                yield Label("Mute the voice")
                yield Switch(s.voice.mute, id="mute")
                yield Label("Microphone")
                yield Select(self._devices("input", s.audio.input_device), value=s.audio.input_device,
                             allow_blank=False, id="input")
                yield Label("Speaker")
                yield Select(self._devices("output", s.audio.output_device), value=s.audio.output_device,
                             allow_blank=False, id="output")
                yield Label("Stop after silence (s, 0 = never)")
                yield Input(str(s.practice.silence_stop_s), id="silence", type="number")
                yield Label("Role")
                yield Select([(r, r) for r in ROLES], value=s.practice.role, allow_blank=False, id="role")
                yield Label("Mock round (minutes)")
                yield Input(str(s.practice.mock_round_min), id="mock", type="number")
                yield Label("Mock round: feedback at the end")
                yield Switch(s.practice.mock_hold_feedback, id="hold-feedback")
            with Horizontal(id="settings-buttons"):
                yield Button("Save", variant="primary", id="save")
                yield Button("Cancel", id="cancel")
        yield SteadyFooter()

    def _config_file(self) -> Path:
        from coach.settings import config_path

        return self.app.settings.source or config_path()

    def _models(self, current: str) -> list[tuple[str, str]]:
        from coach.speech.models import installed_models

        options = [(name, name) for name in installed_models(self.app.settings.models_dirs)]
        # A path or a downloadable name typed into the config file is not "installed" here, but
        # opening the screen must not silently swap it for another model.
        if current and current not in {value for _, value in options}:
            options.append((f"{current} (from the config file)", current))
        return options or [("tiny.en", "tiny.en")]

    @staticmethod
    def _devices(kind: str, current: str) -> list[tuple[str, str]]:
        options = [("System default", "")]
        try:
            import sounddevice

            for index, device in enumerate(sounddevice.query_devices()):
                if device[f"max_{kind}_channels"] > 0:
                    options.append((f"{index}: {device['name']}", str(index)))
        except Exception:  # no PortAudio or no audio system: the default is all there is
            pass
        if current not in {value for _, value in options}:
            options.append((f"{current} (not connected)", current))
        return options

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        s = self.app.settings
        try:
            rate = int(self.query_one("#rate", Input).value)
            silence = float(self.query_one("#silence", Input).value)
            mock = float(self.query_one("#mock", Input).value)
        except ValueError:
            self.notify("Rate, silence and mock round length must be numbers.", severity="error")
            return
        settings = replace(
            s,
            speech=replace(s.speech, model=str(self.query_one("#model", Select).value)),
            voice=replace(s.voice, voice=self.query_one("#voice", Input).value.strip() or "en-us", rate=rate,
                          mute=self.query_one("#mute", Switch).value),
            audio=replace(s.audio, input_device=str(self.query_one("#input", Select).value),
                          output_device=str(self.query_one("#output", Select).value)),
            practice=replace(s.practice, silence_stop_s=silence, role=str(self.query_one("#role", Select).value),
                             mock_round_min=mock, mock_hold_feedback=self.query_one("#hold-feedback", Switch).value),
        )
        try:
            self.app.apply_settings(settings)
        except Exception as exc:  # an unwritable config folder
            self.notify(f"Could not save the settings: {exc}", severity="error")
            return
        self.app.pop_screen()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.app.pop_screen()
