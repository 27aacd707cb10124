"""Time of the STAR labeller on a 300-word answer, beside the labeller it replaced, in the same runs.

The comparator is the per-sentence logistic regression shipped before issue 9 (coach/analysis/star.py
and star_model.json at commit 192a9c5), read from git into a temporary module. Both label the same
parsed answer, interleaved, after one warm-up each; the parse itself (needed by both) is timed too.

    .venv/bin/python benchmarks/star_speed.py [--runs 30] [--before COMMIT]
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


def old_labeller(commit: str, folder: Path):
    try:
        source = subprocess.run(["git", "-C", str(REPO), "show", f"{commit}:coach/analysis/star.py"], check=True,
                                capture_output=True, text=True).stdout
        model = subprocess.run(["git", "-C", str(REPO), "show", f"{commit}:coach/analysis/star_model.json"],
                               check=True, capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        sys.exit(f"Cannot read the old labeller from git commit {commit} ({exc}); run inside the repository.")
    (folder / "star_before.py").write_text(source, encoding="utf-8")
    (folder / "star_model.json").write_text(model, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("star_before", folder / "star_before.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["star_before"] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--before", default="192a9c5")
    args = parser.parse_args()
    from coach.analysis import star
    from coach.analysis.language import nlp

    items = [json.loads(line) for line in (REPO / "tests" / "devset" / "behavioral.jsonl").read_text().splitlines()]
    words = " ".join(s["text"] for item in items for s in item["sentences"]).split()
    answer = " ".join(words[:300])
    with tempfile.TemporaryDirectory() as tmp:
        before = old_labeller(args.before, Path(tmp))
        doc = nlp()(answer)
        star.label_sentences(doc)
        before.label_sentences(doc)
        parse, new, old = [], [], []
        for _ in range(args.runs):
            started = time.perf_counter()
            nlp()(answer)
            parse.append(time.perf_counter() - started)
            star._found.cache_clear()  # a new answer each time, as in the app: nothing cached from the last run
            started = time.perf_counter()
            star.label_sentences(doc)
            new.append(time.perf_counter() - started)
            started = time.perf_counter()
            before.label_sentences(doc)
            old.append(time.perf_counter() - started)
    sentences = len(star.spoken_sentences(doc))
    print(f"300 words, {sentences} sentences; medians over {args.runs} interleaved runs; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"  STAR labelling now (features + joint decoding)   {1000 * statistics.median(new):6.1f} ms")
    print(f"  STAR labelling before ({args.before}, per sentence)    {1000 * statistics.median(old):6.1f} ms")
    print(f"  the spaCy parse both need                        {1000 * statistics.median(parse):6.1f} ms")


if __name__ == "__main__":
    main()
