"""Loading only what is used, in parallel: spaCy imported without its command line parses and
coaches exactly as spaCy imported whole, and models loaded in background threads are the ones
later used, with a load failure still raised where the model is needed (real spaCy, real
faster-whisper)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from coach.errors import ModelError
from coach.speech.models import ModelChoice
from coach.speech.transcriber import Transcriber

REPO = Path(__file__).resolve().parent.parent

# Every devset answer, parsed and coached in a fresh process: with --plain, spaCy is imported
# the ordinary way first (coach then loads its pipeline from that import).
_PARSE_ALL = r"""
import json, sys
from pathlib import Path
if "--plain" in sys.argv:
    import spacy  # noqa: F401
from coach.analysis.coaching import coach_answer
from coach.analysis.language import TimedText, nlp
texts = []
for name in ("behavioral.jsonl", "think_aloud.jsonl"):
    for line in (Path("tests/devset") / name).read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        texts.append((item["kind"], " ".join(s["text"] for s in item["sentences"])))
tokens, coaching = [], []
for kind, text in texts:
    doc = nlp()(text)
    tokens.append([(t.text, t.tag_, t.pos_, t.dep_, t.head.i, t.lemma_, bool(t.is_sent_start)) for t in doc])
    coaching.append(coach_answer(TimedText(text), kind=kind).to_json())
print(json.dumps({"pipeline": nlp().pipe_names, "tokens": tokens, "coaching": coaching,
                  "cli_imported": any(m in sys.modules for m in ("typer", "weasel", "spacy.cli"))}))
"""


def _run(*flags: str) -> dict:
    out = subprocess.run([sys.executable, "-c", _PARSE_ALL, *flags], capture_output=True, text=True, cwd=REPO,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_spacy_without_its_command_line_parses_and_coaches_the_devset_as_plain_spacy():
    lean, plain = _run(), _run("--plain")
    assert not lean["cli_imported"] and plain["cli_imported"]
    # Named-entity recognition is left out; every other component is used by the analysis.
    assert lean["pipeline"] == plain["pipeline"] == ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer"]
    assert len(lean["tokens"]) == 66
    assert lean["tokens"] == plain["tokens"]
    assert lean["coaching"] == plain["coaching"]


def test_spacy_command_line_still_imports_after_the_lean_import():
    code = ("from coach.analysis.language import nlp; nlp(); import spacy, spacy.cli; "
            "from spacy.cli.info import info; print(spacy.info is not None, callable(spacy.cli.download), "
            "type(info()).__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["True", "True", "dict"]


def test_a_background_load_failure_is_raised_by_the_next_load(tmp_path):
    broken = tmp_path / "broken-model"
    broken.mkdir()
    for name in ("model.bin", "config.json", "tokenizer.json"):
        (broken / name).write_bytes(b"not a model")
    transcriber = Transcriber(ModelChoice("broken", str(broken), "local"))
    thread = transcriber.load_in_background()
    assert thread is not None
    thread.join(timeout=120)
    assert not thread.is_alive()
    assert not transcriber.is_loaded
    with pytest.raises(ModelError, match="Could not load the model"):
        transcriber.load()


def test_the_model_loaded_in_the_background_is_the_one_used(transcriber):
    transcriber = Transcriber(transcriber.model)
    thread = transcriber.load_in_background()
    if thread is not None:  # the session's model may be loaded already by an earlier test
        thread.join(timeout=300)
    assert transcriber.is_loaded
    assert transcriber.load_in_background() is None
    assert transcriber.load() is transcriber.load()
