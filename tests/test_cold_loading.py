"""Loading only what is used, in parallel: spaCy imported without its command line parses and
coaches exactly as spaCy imported whole, and with Whisper loading beside voice activity the
errors come as before: no speech first, then a model that cannot load (real spaCy, real
faster-whisper, real Silero)."""

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

# Every devset answer and a line of tokenizer special cases, parsed and coached in a fresh process:
# with --plain, spaCy is imported and its pipeline loaded the ordinary way (with the default
# tokenizer factory), and coach analyses with that pipeline.
_PARSE_ALL = r"""
import json, sys
from pathlib import Path
from coach.analysis import language
from coach.analysis.coaching import coach_answer
from coach.analysis.language import TimedText, nlp
if "--plain" in sys.argv:
    import spacy
    language._nlp = spacy.load(language.PIPELINE, exclude=["ner"])
texts = [("behavioral", "I'm sure we'd've missed it: e.g. the U.S. team's 3:30pm call (http://ops.example.com/x) "
                        "cost $20k -- about 20%. Don't, can't, won't; y'all O'Neil's re-run at 5km/h :) etc.")]
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


def test_lean_spacy_parses_and_coaches_the_devset_as_plain_spacy():
    # Imported without its command line, its tokenizer read from disk alone: the same tokens,
    # tags, parse, lemmas and coaching as spaCy imported and loaded the ordinary way.
    lean, plain = _run(), _run("--plain")
    assert not lean["cli_imported"] and plain["cli_imported"]
    # Named-entity recognition is left out; every other component is used by the analysis.
    assert lean["pipeline"] == plain["pipeline"] == ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer"]
    assert len(lean["tokens"]) == 67
    special = [t[0] for t in lean["tokens"][0]]
    assert special[:3] == ["I", "'m", "sure"] and "e.g." in special and "ca" in special and "n't" in special
    assert lean["tokens"] == plain["tokens"]
    assert lean["coaching"] == plain["coaching"]


def test_spacy_command_line_still_imports_after_the_lean_import():
    code = ("from coach.analysis.language import nlp; nlp(); import spacy, spacy.cli; "
            "from spacy.cli.info import info; print(spacy.info is not None, callable(spacy.cli.download), "
            "type(info()).__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["True", "True", "dict"]


def _broken_model(folder: Path) -> ModelChoice:
    folder.mkdir()
    for name in ("model.bin", "config.json", "tokenizer.json"):
        (folder / name).write_bytes(b"not a model")
    return ModelChoice("broken", str(folder), "local")


def test_a_model_that_cannot_load_is_reported_after_voice_activity_finds_speech(tmp_path, spoken_sentence):
    # Whisper loads while voice activity runs in a thread; the load's failure is still the error.
    from coach.analysis.answer import analyse_file
    from coach.settings import Settings

    with pytest.raises(ModelError, match="Could not load the model"):
        analyse_file(spoken_sentence, Settings(), transcriber=Transcriber(_broken_model(tmp_path / "m")))


def test_a_recording_without_speech_says_so_before_a_model_failure(tmp_path, spoken_sentence):
    import numpy as np
    import soundfile

    from coach.analysis.answer import analyse_file
    from coach.errors import NoSpeechError
    from coach.settings import Settings

    hum = tmp_path / "hum.wav"  # steady low noise: not silent, and no speech in it
    soundfile.write(hum, (0.003 * np.random.default_rng(0).standard_normal(3 * 16_000)).astype("float32"), 16_000)
    with pytest.raises(NoSpeechError, match="No speech was heard"):
        analyse_file(hum, Settings(), transcriber=Transcriber(_broken_model(tmp_path / "m")))


def test_a_written_answer_is_coached_without_spacy_command_line():
    code = ("import sys; from coach.analysis.answer import analyse_text; "
            "a = analyse_text('At my last job I led the migration of the data platform, and we cut costs by a third.'); "
            "print(a.coaching is not None, any(m in sys.modules for m in ('typer', 'weasel', 'spacy.cli')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["True", "False"]
