"""Meaning: relevance false alarms and hits, think-aloud concepts and questions before and after the
sentence encoder, and what the encoder costs in time and memory beside spaCy alone.

    .venv/bin/python -m benchmarks.meaning_eval            # everything (about 3 minutes on 2 cores)
    .venv/bin/python -m benchmarks.meaning_eval --quick    # skip the timing and memory part
    .venv/bin/python -m benchmarks.meaning_eval --cost-only --rounds 5

Relevance false alarms are counted on ../shared/eval/star_real (real answers with their own
questions; evaluation only, nothing here was tuned on it) and on tests/devset. Off-topic hits are
devset answers given to another question: conflict stories to "an opportunity nobody asked you to
look into", think-aloud answers to behavioral questions, behavioral stories to design questions.

Think-aloud concepts are scored on tests/devset/think_aloud_paraphrases.jsonl (one answer per
system-design question, concepts in other words) and tests/devset/think_aloud.jsonl. "after
(held out)" chooses the three similarity constants on every other question and applies them to
the one left out, so no reported case was used to set them; "after (shipped)" uses the constants in
coach/analysis/think_aloud.py. "before" is the rubric as it was before the encoder (git 192a9c5).
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEVSET = ROOT / "tests" / "devset"
STAR_REAL = ROOT.parent / "shared" / "eval" / "star_real" / "answers.jsonl"
BEFORE_COMMIT = "192a9c5"
OPPORTUNITY = "Tell me about an opportunity you found that nobody had asked you to look into. What came of it?"


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def text_of(item: dict) -> str:
    return item.get("text") or " ".join(s["text"] for s in item["sentences"])


# --- relevance ---------------------------------------------------------------------------------------


def relevance_part() -> None:
    from coach.analysis.language import nlp
    from coach.analysis.relevance import judge
    from coach.questions.bank import load_questions

    bank = load_questions()
    behavioral_q = [q.text for q in bank if q.kind == "behavioral"]
    design_q = [q.text for q in bank if q.kind == "think_aloud" and q.category == "system_design"]
    behavioral = load(DEVSET / "behavioral.jsonl")
    think = load(DEVSET / "think_aloud.jsonl") + load(DEVSET / "think_aloud_paraphrases.jsonl")
    real = [r for r in load(STAR_REAL) if r.get("question")] if STAR_REAL.exists() else []

    cases = {
        "star_real, own question (false alarms)": [(r["text"], r["question"], "behavioral") for r in real],
        "devset behavioral, own question (false alarms)": [(text_of(r), r["question"], "behavioral")
                                                           for r in behavioral],
        "devset think-aloud, own question (false alarms)": [(text_of(r), r["question"], "think_aloud")
                                                            for r in think],
        "conflict story -> opportunity question (hits)": [(text_of(r), OPPORTUNITY, "behavioral")
                                                          for r in behavioral if r["competency"] == "conflict"],
        "think-aloud answer -> behavioral question (hits)": [
            (text_of(r), behavioral_q[(7 * i) % len(behavioral_q)], "behavioral") for i, r in enumerate(think)],
        "behavioral story -> design question (hits)": [
            (text_of(r), design_q[i % len(design_q)], "think_aloud") for i, r in enumerate(behavioral)],
    }
    docs = {}
    print("Relevance: answers flagged off topic")
    print(f"  {'':52s} {'encoder':>12s} {'form only':>12s}")
    for name, pairs in cases.items():
        if not pairs:
            print(f"  {name:52s} (no data: {STAR_REAL} is missing)")
            continue
        counts = []
        for off in ("", "1"):
            os.environ["COACH_NO_ENCODER"] = off
            flagged = 0
            for text, question, kind in pairs:
                doc = docs.get(text) or docs.setdefault(text, nlp()(text))
                flagged += not judge(doc, question, kind).on_topic
            counts.append(f"{flagged}/{len(pairs)} {100 * flagged / len(pairs):3.0f}%")
        os.environ["COACH_NO_ENCODER"] = ""
        print(f"  {name:52s} {counts[0]:>12s} {counts[1]:>12s}")


# --- think-aloud -------------------------------------------------------------------------------------


def _before_module():
    """The think-aloud rubric as it was before this work, from git, to compare on the same answers."""
    source = subprocess.run(["git", "show", f"{BEFORE_COMMIT}:coach/analysis/think_aloud.py"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout
    path = Path(tempfile.mkdtemp()) / "think_aloud_before.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("think_aloud_before", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _prf(pairs) -> tuple[float, float]:
    tp = sum(len(p & g) for p, g in pairs)
    fp = sum(len(p - g) for p, g in pairs)
    fn = sum(len(g - p) for p, g in pairs)
    return tp / max(1, tp + fn), tp / max(1, tp + fp)


def think_aloud_part() -> None:
    import numpy as np

    from coach.analysis import think_aloud as after
    from coach.analysis.embeddings import encode
    from coach.analysis.language import nlp

    before = _before_module()
    sets = {"paraphrases": load(DEVSET / "think_aloud_paraphrases.jsonl"),
            "devset": load(DEVSET / "think_aloud.jsonl")}
    prepared = {}
    for name, items in sets.items():
        rows = []
        for item in items:
            doc = nlp()(text_of(item))
            concepts = item["expected_concepts"]
            sentences = [s.text.strip() for s in doc.sents if any(t.is_alpha for t in s)]
            vectors = encode(sentences)
            nearness = np.stack([(vectors @ encode([c, *after.CONCEPT_DESCRIPTIONS.get(c.lower(), ())]).T).max(1)
                                 for c in concepts], axis=1)
            statements = np.array([not s.endswith("?") for s in sentences])[:, None]
            words = set(after.concept_coverage(doc, concepts, use_meaning=False)[0])
            rows.append(dict(item=item, doc=doc, concepts=concepts, nearness=nearness, statements=statements,
                             words=words, gold=set(item["flags"]["concepts_covered"])))
        prepared[name] = rows

    def predict(row, min_sim, sure, margin):
        m = row["nearness"]
        won = (m >= m.max(1, keepdims=True) - margin) & (m >= min_sim) & row["statements"]
        return row["words"] | {c for j, c in enumerate(row["concepts"]) if won[:, j].any() or m[:, j].max() >= sure}

    grid = list(itertools.product([0.2, 0.25, 0.3, 0.33], [0.4, 0.45, 0.5], [0.0, 0.02, 0.05]))
    everything = [r for rows in prepared.values() for r in rows]

    def f1(rows, params):
        recall, precision = _prf([(predict(r, *params), r["gold"]) for r in rows])
        return 2 * recall * precision / max(1e-9, recall + precision)

    print("\nThink-aloud concepts (recall / precision)")
    print(f"  {'':12s} {'before':>14s} {'after, shipped':>16s} {'after, held out':>17s}")
    for name, rows in prepared.items():
        old = _prf([(set(before.concept_coverage(r["doc"], r["concepts"])[0]), r["gold"]) for r in rows])
        shipped = _prf([(set(after.concept_coverage(r["doc"], r["concepts"])[0]), r["gold"]) for r in rows])
        held = []
        for row in rows:
            rest = [r for r in everything if r["item"]["question"] != row["item"]["question"]]
            best = max(grid, key=lambda g: f1(rest, g))
            held.append((predict(row, *best), row["gold"]))
        out = _prf(held)
        print(f"  {name:12s} {old[0]:6.2f} / {old[1]:4.2f}  {shipped[0]:7.2f} / {shipped[1]:4.2f}  "
              f"{out[0]:8.2f} / {out[1]:4.2f}")

    print("\nThink-aloud flags, answers where the flag matches the label (before -> after)")
    flags = {"clarifying questions (exact list)": [], "clarifying question asked": [], "trade-off": []}
    for rows in prepared.values():
        for r in rows:
            gold = r["item"]["flags"]
            for module, slot in ((before, 0), (after, 1)):
                rubric = module.rubric(r["doc"], r["concepts"] if module is before else None)
                got = [q.strip() for q in rubric.clarifying_questions]
                want = [q.strip() for q in gold["clarifying_questions"]]
                for key, ok in (("clarifying questions (exact list)", _same_questions(got, want)),
                                ("clarifying question asked", bool(got) == bool(want)),
                                ("trade-off", rubric.tradeoffs_discussed == gold["tradeoffs_discussed"])):
                    if slot == 0:
                        flags[key].append([ok, None])
                    else:
                        flags[key][-1][1] = ok
    for key, values in flags.items():
        n = len(values)
        print(f"  {key:36s} {sum(v[0] for v in values):3d}/{n} -> {sum(v[1] for v in values):3d}/{n}")


def _same_questions(got: list[str], want: list[str]) -> bool:
    # The devset labels some questions without a lead-in ("First question: what's..."): containment counts.
    return len(got) == len(want) and all(w.lower() in g.lower() or g.lower() in w.lower() for g, w in zip(got, want))


# --- cost ---------------------------------------------------------------------------------------------

_PROBE = r"""
import json, sys, time
encoder = sys.argv[1] == "1"
if sys.argv[2] == "whisper":  # the session: Whisper tiny.en loaded and run once, as the app does
    import numpy as np
    from coach.analysis.answer import transcriber_for
    from coach.settings import load_settings
    transcriber = transcriber_for(load_settings())
    transcriber.load()
    transcriber.transcribe(np.zeros(16000 * 3, dtype=np.float32))
started = time.perf_counter()
from coach.analysis.language import nlp
nlp()("We cut the latency in half. I led the work on the new ranking model.")
spacy_s = time.perf_counter() - started
load_s = None
if encoder:
    started = time.perf_counter()
    from coach.analysis import embeddings
    embeddings.load()
    load_s = time.perf_counter() - started
    embeddings.encode([f"Sentence {i} about the model we shipped and what it changed." for i in range(40)])
status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
print(json.dumps({"spacy_s": spacy_s, "load_s": load_s, "rss_mb": int(status["VmRSS"].split()[0]) / 1024,
                  "peak_mb": int(status["VmHWM"].split()[0]) / 1024}))
"""


def cost_part(rounds: int) -> None:
    from coach.analysis.coaching import coach_answer
    from coach.analysis.embeddings import load as load_encoder
    from coach.analysis.language import TimedText
    from coach.analysis.relevance import warm as warm_bank

    print(f"\nCost (medians of {rounds} interleaved rounds; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores)")
    runs: dict[tuple[str, str], list[dict]] = {}
    for _ in range(rounds):
        for whisper in ("", "whisper"):
            for flag in ("0", "1"):
                out = subprocess.run([sys.executable, "-c", _PROBE, flag, whisper], cwd=ROOT, capture_output=True,
                                     text=True, check=True, env={**os.environ, "COACH_NO_ENCODER": ""}).stdout
                runs.setdefault((flag, whisper), []).append(json.loads(out.strip().splitlines()[-1]))
    spacy_only, with_encoder = runs[("0", "")], runs[("1", "")]
    for label, rows in (("spaCy loaded", spacy_only), ("spaCy + encoder loaded, 40 sentences encoded", with_encoder),
                        ("Whisper tiny.en + spaCy", runs[("0", "whisper")]),
                        ("Whisper tiny.en + spaCy + encoder", runs[("1", "whisper")])):
        print(f"  process RSS (peak), {label:45s} {statistics.median(r['rss_mb'] for r in rows):5.0f} MB "
              f"({statistics.median(r['peak_mb'] for r in rows):.0f} MB)")
    print(f"  spaCy load:                                   {statistics.median(r['spacy_s'] for r in spacy_only):6.2f} s")
    print(f"  encoder load (after spaCy):                   {statistics.median(r['load_s'] for r in with_encoder):6.2f} s")

    behavioral = load(DEVSET / "behavioral.jsonl")
    think = load(DEVSET / "think_aloud_paraphrases.jsonl")
    story = " ".join(text_of(r) for r in behavioral[:2])
    design = " ".join(text_of(r) for r in think[:2])
    print(f"  per answer (coach_answer, {len(story.split())} and {len(design.split())} words, with its question):")
    load_encoder()
    jobs = {"behavioral": (story, behavioral[0]["question"], "behavioral", None),
            "think-aloud": (design, think[0]["question"], "think_aloud", think[0]["expected_concepts"])}
    for name, (text, question, kind, concepts) in jobs.items():
        times: dict[str, list[float]] = {"": [], "1": []}
        for _ in range(2 * rounds + 1):
            for off in ("", "1"):
                os.environ["COACH_NO_ENCODER"] = off
                # The encoder caches sentences: emptied, then only the bank questions put back, as
                # in an app that warmed it, so every sentence of the answer is encoded again.
                load_encoder()._cache.clear()
                warm_bank()
                started = time.perf_counter()
                coach_answer(TimedText(text), kind=kind, question=question, concepts=concepts)
                times[off].append(time.perf_counter() - started)
        os.environ["COACH_NO_ENCODER"] = ""
        print(f"    {name:12s} spaCy only {1000 * statistics.median(times['1'][1:]):6.0f} ms   "
              f"with encoder {1000 * statistics.median(times[''][1:]):6.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the timing and memory part")
    parser.add_argument("--cost-only", action="store_true", help="only the timing and memory part")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from coach.analysis.embeddings import unavailable_reason

    reason = unavailable_reason()
    if reason:
        sys.exit(reason)
    if not args.cost_only:
        relevance_part()
        think_aloud_part()
    if not args.quick:
        cost_part(args.rounds)


if __name__ == "__main__":
    main()
