from __future__ import annotations

from pathlib import Path

import pytest

from coach.errors import ConfigError
from coach.settings import Settings, load_settings


def test_defaults_without_a_file(tmp_path):
    settings = load_settings(tmp_path / "none.toml")
    assert settings.speech.model == "tiny.en"
    assert settings.speech.compute_type == "int8"
    assert settings.analysis.long_pause_s == 2.0


def test_reads_values_and_env_override(tmp_path, monkeypatch):
    path = tmp_path / "config.toml"
    path.write_text('data_dir = "~/elsewhere"\n[speech]\nmodel = "base"\n[analysis]\nlong_pause_s = 3\n')
    monkeypatch.delenv("COACH_DATA_DIR")
    settings = load_settings(path)
    assert settings.speech.model == "base"
    assert settings.analysis.long_pause_s == 3.0
    assert settings.data_dir == Path("~/elsewhere").expanduser()
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "d"))
    assert load_settings(path).data_dir == tmp_path / "d"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[speech\n", "not valid TOML"),
        ("colour = 'red'\n", "unknown setting 'colour'"),
        ("[speech]\nmodle = 'base'\n", "unknown setting speech.modle"),
        ("[analysis]\nlong_pause_s = 'long'\n", "analysis.long_pause_s must be a float"),
        ("[speech]\ncpu_threads = true\n", "speech.cpu_threads must be a int"),
        ("speech = 3\n", "[speech] must be a table"),
    ],
)
def test_bad_files_name_the_problem(tmp_path, text, message):
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")) as info:
        load_settings(path)
    assert str(path) in str(info.value)


def test_settings_are_immutable():
    with pytest.raises(AttributeError):
        Settings().speech.model = "x"  # type: ignore[misc]
