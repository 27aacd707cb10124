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
        ("[analysis]\nlong_pause_s = 'long'\n", "analysis.long_pause_s must be a number, not .long."),
        ("[speech]\ncpu_threads = true\n", "speech.cpu_threads must be a whole number, not True"),
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


@pytest.mark.parametrize(
    ("text", "key", "allowed"),
    [
        ("[analysis]\npace_window_s = 0\n", "analysis.pace_window_s = 0.0", "from 2 to 300 seconds"),
        ("[analysis]\npace_window_s = -5\n", "analysis.pace_window_s = -5.0", "from 2 to 300 seconds"),
        ("[speech]\ncpu_threads = 100000\n", "speech.cpu_threads = 100000", "from 0 to"),
        ("[speech]\ncpu_threads = -1\n", "speech.cpu_threads = -1", "from 0 to"),
        ("[analysis]\nmin_pause_s = -0.5\n", "analysis.min_pause_s = -0.5", "from 0.05 to 10 seconds"),
        ("[analysis]\nmin_pause_s = nan\n", "analysis.min_pause_s = nan", "from 0.05 to 10 seconds"),
        ("[analysis]\nlong_pause_s = inf\n", "analysis.long_pause_s = inf", "from 0.1 to 60 seconds"),
        ("[analysis]\nlong_pause_s = -inf\n", "analysis.long_pause_s = -inf", "from 0.1 to 60 seconds"),
        ("[speech]\ncompute_type = 'int4'\n", "speech.compute_type = 'int4'", "one of 'int8'"),
        ("[speech]\nlanguage = 'english'\n", "speech.language = 'english'", "language code"),
        ("[speech]\nmodel = ''\n", "speech.model = ''", "non-empty text"),
        ("[voice]\nrate = 0\n", "voice.rate = 0", "from 80 to 450"),
        ("[voice]\nengine = 'say'\n", "voice.engine = 'say'", "one of 'piper', 'espeak-ng', 'pyttsx3'"),
        ("[voice]\nvolume = 2.0\n", "voice.volume = 2.0", "from 0.05 to 1 of full scale"),
        ("[voice]\nvolume = 0\n", "voice.volume = 0.0", "from 0.05 to 1"),
        ("[practice]\nrole = 'Boss'\n", "practice.role = 'Boss'", "'ML Engineer'"),
        ("[practice]\nsilence_stop_s = 0.2\n", "practice.silence_stop_s = 0.2", "or 0"),
        ("[practice]\nmock_round_min = 1e308\n", "practice.mock_round_min = 1e+308", "from 1 to 240 minutes"),
        ('[audio]\ninput_device = "mic\\u001b[2J"\n', "audio.input_device = 'mic\\x1b[2J'", "control characters"),
    ],
)
def test_values_out_of_range_name_the_key_the_value_and_the_range(tmp_path, text, key, allowed):
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    message = str(info.value)
    assert key in message and allowed in message and str(path) in message
    assert message.count(". ") == 0 and message.endswith(".")  # one sentence


def test_pauses_must_be_ordered(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[analysis]\nmin_pause_s = 3\nlong_pause_s = 2.5\n")
    with pytest.raises(ConfigError, match="min_pause_s .3. must be shorter than analysis.long_pause_s .2.5."):
        load_settings(path)


def test_zero_silence_stop_still_means_never(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[practice]\nsilence_stop_s = 0\n")
    assert load_settings(path).practice.silence_stop_s == 0


@pytest.mark.parametrize("value", ["", "   ", "relative/data", "data"])
def test_data_dir_must_be_an_absolute_folder(tmp_path, monkeypatch, value):
    """An empty data_dir wrote the history into the current folder."""
    monkeypatch.delenv("COACH_DATA_DIR")
    path = tmp_path / "config.toml"
    path.write_text(f"data_dir = {value!r}\n")
    with pytest.raises(ConfigError, match="data_dir is .* not an absolute folder path"):
        load_settings(path)


def test_stories_dir_must_be_absolute_too(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("stories_dir = 'stories'\n")
    with pytest.raises(ConfigError, match="stories_dir is 'stories'"):
        load_settings(path)


def test_a_relative_data_dir_from_the_environment_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("COACH_DATA_DIR", "data")
    with pytest.raises(ConfigError, match="COACH_DATA_DIR is 'data'"):
        load_settings(tmp_path / "none.toml")


def test_an_unreadable_or_odd_config_file_is_one_sentence(tmp_path):
    folder = tmp_path / "config.toml"
    folder.mkdir()
    with pytest.raises(ConfigError, match="is a folder"):
        load_settings(folder)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_settings(binary)


def test_a_config_without_read_permission(tmp_path):
    import os
    import subprocess
    import sys

    path = tmp_path / "config.toml"
    path.write_text("[speech]\nmodel = 'base'\n")
    path.chmod(0)
    # Root reads any file; without these two capabilities it meets the permission as a user would.
    as_a_user = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"] if os.geteuid() == 0 else []
    code = ("from pathlib import Path\nfrom coach.errors import ConfigError\nfrom coach.settings import load_settings\n"
            f"try:\n    load_settings(Path({str(path)!r}))\nexcept ConfigError as exc:\n    print(exc)\n")
    done = subprocess.run([*as_a_user, sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "permission denied" in done.stdout, done.stdout


def test_saving_checks_values_and_writes_a_private_file(tmp_path):
    from dataclasses import replace

    from coach.settings import save_settings

    path = tmp_path / "conf" / "config.toml"
    good = replace(Settings(), speech=replace(Settings().speech, model="base"))
    save_settings(good, path)
    assert load_settings(path).speech.model == "base"
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["config.toml"]  # no temp file left
    bad = replace(good, analysis=replace(good.analysis, pace_window_s=0.0))
    with pytest.raises(ConfigError, match="analysis.pace_window_s = 0.0"):
        save_settings(bad, path)
    assert load_settings(path).analysis.pace_window_s == 10.0  # the file is as it was
