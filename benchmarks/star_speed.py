"""Time of the STAR labeller on a 300-word answer, beside the labellers it replaced, in the same runs.

The comparators are read from git into temporary modules: the per-sentence logistic regression
shipped before issue 9 (coach/analysis/star.py and star_model.json at commit 192a9c5) and the cue-only
labeller with joint decoding that preceded the meaning features (--previous, commit d52e7be). The
labeller now is timed twice: with the sentences' encoder vectors already cached (as in the app,
where the relevance check has encoded the same sentences) and with the encoding included (the
encoder's cache emptied first). All label the same parsed answer, interleaved, after one warm-up
each; the parse itself (needed by all) is timed too.

    .venv/bin/python benchmarks/star_speed.py [--runs 30] [--before COMMIT] [--previous COMMIT]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def old_labeller(commit: str, folder: Path, name: str = "star_before"):
    try:
        source = subprocess.run(["git", "-C", str(REPO), "show", f"{commit}:coach/analysis/star.py"], check=True,
                                capture_output=True, text=True).stdout
        model = subprocess.run(["git", "-C", str(REPO), "show", f"{commit}:coach/analysis/star_model.json"],
                               check=True, capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        sys.exit(f"Cannot read the old labeller from git commit {commit} ({exc}); run inside the repository.")
    folder = folder / name  # each module beside its own star_model.json
    folder.mkdir()
    (folder / f"{name}.py").write_text(source, encoding="utf-8")
    (folder / "star_model.json").write_text(model, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, folder / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--before", default="192a9c5")
    parser.add_argument("--previous", default="d52e7be")
    args = parser.parse_args()
    from coach.analysis import embeddings, star
    from coach.analysis.language import nlp

    if not embeddings.available():
        sys.exit(f"The sentence encoder is needed: {embeddings.unavailable_reason()}")

    items = [json.loads(line) for line in (REPO / "tests" / "devset" / "behavioral.jsonl").read_text().splitlines()]
    words = " ".join(s["text"] for item in items for s in item["sentences"]).split()
    answer = " ".join(words[:300])
    with tempfile.TemporaryDirectory() as tmp:
        before = old_labeller(args.before, Path(tmp))
        previous = old_labeller(args.previous, Path(tmp), "star_previous")
        doc = nlp()(answer)
        encoder = embeddings.load()
        star.label_sentences(doc)
        before.label_sentences(doc)
        previous.label_sentences(doc)
        parse, cached, encoding, old, cues = [], [], [], [], []
        for _ in range(args.runs):
            started = time.perf_counter()
            nlp()(answer)
            parse.append(time.perf_counter() - started)
            star._found.cache_clear()  # a new answer each time, as in the app: nothing cached from the last run
            encoder._cache.clear()  # a benchmark's reach into the encoder: time the encoding of new sentences
            started = time.perf_counter()
            star.label_sentences(doc)
            encoding.append(time.perf_counter() - started)
            star._found.cache_clear()
            started = time.perf_counter()
            star.label_sentences(doc)  # the vectors are in the encoder's cache now, as after the relevance check
            cached.append(time.perf_counter() - started)
            previous._found.cache_clear()
            started = time.perf_counter()
            previous.label_sentences(doc)
            cues.append(time.perf_counter() - started)
            started = time.perf_counter()
            before.label_sentences(doc)
            old.append(time.perf_counter() - started)
    sentences = len(star.spoken_sentences(doc))
    model = star.default_model()
    kind = "cues + meaning" if model is not None and model.meaning_weights is not None else "cues only"
    print(f"300 words, {sentences} sentences; medians over {args.runs} interleaved runs; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"  STAR labelling now ({kind}), vectors cached          {1000 * statistics.median(cached):6.1f} ms")
    print(f"  STAR labelling now ({kind}), encoding included       {1000 * statistics.median(encoding):6.1f} ms")
    print(f"  STAR labelling previous ({args.previous}, cues + joint decoding) {1000 * statistics.median(cues):6.1f} ms")
    print(f"  STAR labelling before ({args.before}, per sentence)        {1000 * statistics.median(old):6.1f} ms")
    print(f"  the spaCy parse all need                                 {1000 * statistics.median(parse):6.1f} ms")


if __name__ == "__main__":
    main()
