"""The sentence encoder, run for real (all-MiniLM-L6-v2 int8 on onnxruntime)."""

import subprocess
import sys
import threading

import numpy as np
import pytest

from coach.analysis import embeddings

needs_encoder = pytest.mark.skipif(not embeddings.available(), reason=embeddings.unavailable_reason() or "")


@needs_encoder
def test_rows_are_unit_vectors_in_input_order():
    texts = ["We cut latency in half.", "", "We cut latency in half.", "The cat sat on the mat."]
    vectors = embeddings.encode(texts)
    assert vectors.shape == (4, embeddings.DIM) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert np.allclose(vectors[0], vectors[2])
    assert embeddings.encode([]).shape == (0, embeddings.DIM)


@needs_encoder
def test_a_paraphrase_is_nearer_than_an_unrelated_sentence():
    anchor, paraphrase, unrelated = embeddings.encode([
        "Chargebacks only reach us a month after the payment.",
        "The fraud labels arrive weeks late.",
        "I mentored two junior engineers on the team.",
    ])
    assert anchor @ paraphrase > anchor @ unrelated + 0.2


@needs_encoder
def test_batching_and_cache_do_not_change_vectors():
    texts = [f"Sentence {i} about {'ranking ' * (i % 7)}models." for i in range(70)]
    together = embeddings.encode(texts)
    embeddings.load()._cache.clear()
    alone = np.stack([embeddings.encode([t])[0] for t in texts[::10]])
    assert np.allclose(together[::10], alone, atol=1e-4)


@needs_encoder
def test_a_very_long_text_is_truncated_not_an_error():
    vector = embeddings.encode(["model " * 20000])
    assert vector.shape == (1, embeddings.DIM) and np.isfinite(vector).all()


@needs_encoder
def test_loaded_once_across_threads():
    loaded = []
    threads = [threading.Thread(target=lambda: loaded.append(embeddings.load())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(x) for x in loaded}) == 1


def test_switched_off_by_environment(monkeypatch):
    monkeypatch.setenv(embeddings.DISABLE_ENV, "1")
    assert not embeddings.available()
    assert embeddings.maybe_encode(["anything"]) is None
    assert embeddings.DISABLE_ENV in embeddings.unavailable_reason()


def test_importing_loads_no_runtime():
    code = ("import sys; import coach.analysis.embeddings as e; e.available(); "
            "print('onnxruntime' in sys.modules, 'tokenizers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
