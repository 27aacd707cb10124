"""The language analysis against the hand-labelled development set in tests/devset/.

Prints precision, recall and F1 per STAR label (sentence level, macro-F1 over the five labels),
accuracy per flag (STAR parts present, in order, result quantified, ownership; think-aloud
flags), precision/recall/F1 for fillers and hedges (matched by text within their sentence), and
the time to analyse a 300-word answer once spaCy is loaded.

    .venv/bin/python benchmarks/devset_eval.py [--errors]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
DEVSET = REPO / "tests" / "devset"

from coach.analysis.coaching import coach_answer  # noqa: E402
from coach.analysis.language import TimedText, nlp  # noqa: E402
from coach.analysis.star import LABELS  # noqa: E402


def load(name: str) -> list[dict]:
    return [json.loads(line) for line in (DEVSET / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _sentence_of(char: int, bounds: list[tuple[int, int]]) -> int:
    for i, (start, end) in enumerate(bounds):
        if start <= char < end:
            return i
    return len(bounds) - 1


def _phrase_counts(items: list[dict]) -> Counter:
    return Counter((item["sentence"], item["text"].lower()) for item in items)


def _in_half(item: dict, half: str) -> bool:
    """Rules were tuned by reading the errors on even-numbered answers only; the odd-numbered
    half is held out, so its scores show how the rules do on answers they were not fitted to."""
    if half == "all":
        return True
    even = int(item["id"][1:]) % 2 == 0
    return even if half == "tune" else not even


def evaluate(show_errors: bool, half: str = "all", star_models: dict | None = None) -> dict:
    behavioral = [i for i in load("behavioral.jsonl") if _in_half(i, half)]
    think = [i for i in load("think_aloud.jsonl") if _in_half(i, half)]
    label_counts = {label: Counter() for label in LABELS}
    flags: dict[str, list[bool]] = {}
    phrase_counts = {"fillers": Counter(), "hedges": Counter()}
    segmentation_mismatch = 0

    def flag(name: str, ok: bool) -> None:
        flags.setdefault(name, []).append(ok)

    for item in behavioral + think:
        sentences = [s["text"] for s in item["sentences"]]
        text = " ".join(sentences)
        bounds, offset = [], 0
        for sentence in sentences:
            bounds.append((offset, offset + len(sentence) + 1))
            offset += len(sentence) + 1
        model = star_models.get(item["id"]) if star_models else None
        coaching = coach_answer(TimedText(text), kind=item["kind"], concepts=item.get("expected_concepts"),
                                star_model=model)

        for kind in ("fillers", "hedges"):
            found = [{"sentence": _sentence_of(p.start_char, bounds), "text": p.text}
                     for p in getattr(coaching, kind) if p.start_char >= 0]
            gold, predicted = _phrase_counts(item[kind]), _phrase_counts(found)
            tp = sum((gold & predicted).values())
            phrase_counts[kind].update(tp=tp, fp=sum(predicted.values()) - tp, fn=sum(gold.values()) - tp)
            if show_errors and gold != predicted:
                print(f"[{item['id']}] {kind}: missed {dict(gold - predicted)} extra {dict(predicted - gold)}")

        if item["kind"] == "behavioral":
            star = coaching.star
            predicted_sentences = star["sentences"]
            # Label every gold sentence with the label of the predicted sentence holding its middle.
            pred_bounds, offset = [], 0
            for entry in predicted_sentences:
                start = text.find(entry["text"], offset)
                pred_bounds.append((start, start + len(entry["text"])))
                offset = start + len(entry["text"])
            if len(predicted_sentences) != len(sentences):
                segmentation_mismatch += 1
            for (start, end), gold_sentence in zip(bounds, item["sentences"]):
                middle = (start + end) // 2
                index = next((i for i, (a, b) in enumerate(pred_bounds) if a <= middle <= b + 1), len(pred_bounds) - 1)
                predicted = predicted_sentences[index]["label"]
                gold = gold_sentence["label"]
                if predicted == gold:
                    label_counts[gold]["tp"] += 1
                else:
                    label_counts[gold]["fn"] += 1
                    label_counts[predicted]["fp"] += 1
                    if show_errors:
                        print(f"[{item['id']}] {gold:>9} -> {predicted:<9} {gold_sentence['text']}")
            gold_flags = item["flags"]
            for part in ("situation", "task", "action", "result"):
                flag(f"present.{part}", star["present"][part] == gold_flags["present"][part])
            flag("in_order", star["in_order"] == gold_flags["in_order"])
            flag("result_quantified", star["result_quantified"] == gold_flags["result_quantified"])
            flag("ownership", (star["ownership"] or "mixed") == gold_flags["ownership"])
            if show_errors and star["result_quantified"] != gold_flags["result_quantified"]:
                print(f"[{item['id']}] result_quantified gold {gold_flags['result_quantified']}")
            if show_errors and (star["ownership"] or "mixed") != gold_flags["ownership"]:
                print(f"[{item['id']}] ownership gold {gold_flags['ownership']} got {star['ownership']} "
                      f"(I {star['i_count']}, we {star['we_count']})")
        else:
            rubric = coaching.think_aloud
            gold_flags = item["flags"]
            flag("clarifying_questions", bool(rubric.clarifying_questions) == bool(gold_flags["clarifying_questions"]))
            for name in ("assumptions_stated", "signposting", "tradeoffs_discussed", "summary_at_end"):
                ok = getattr(rubric, name) == gold_flags[name]
                flag(name, ok)
                if show_errors and not ok:
                    print(f"[{item['id']}] {name} gold {gold_flags[name]}")
            for concept in item["expected_concepts"]:
                flag("concept covered (each)", (concept in rubric.concepts_covered) ==
                     (concept in gold_flags["concepts_covered"]))
            if show_errors and sorted(rubric.concepts_covered) != sorted(gold_flags["concepts_covered"]):
                print(f"[{item['id']}] concepts gold {gold_flags['concepts_covered']} got {rubric.concepts_covered}")

    print(f"{len(behavioral)} behavioral and {len(think)} think-aloud answers; "
          f"{segmentation_mismatch} behavioral answers split into a different number of sentences than labelled")
    print("\nSTAR sentence labels     precision  recall   F1    support")
    f1s = []
    for label in LABELS:
        c = label_counts[label]
        p, r, f = prf(c["tp"], c["fp"], c["fn"])
        f1s.append(f)
        print(f"  {label:<22} {p:9.2f} {r:7.2f} {f:6.2f} {c['tp'] + c['fn']:7d}")
    print(f"  macro-F1 {statistics.mean(f1s):.3f}")
    print("\nflags                     accuracy   n")
    for name, values in flags.items():
        print(f"  {name:<24} {sum(values) / len(values):7.2f} {len(values):4d}")
    star_flags = [v for k, vals in flags.items() if k.startswith("present.") for v in vals]
    think_flags = [v for k, vals in flags.items() if k in {"clarifying_questions", "assumptions_stated", "signposting",
                                                           "tradeoffs_discussed", "summary_at_end"} for v in vals]
    print(f"  STAR presence overall    {sum(star_flags) / len(star_flags):7.2f}")
    print(f"  think-aloud flags overall{sum(think_flags) / len(think_flags):7.2f}")
    print("\nphrases                   precision  recall   F1")
    results = {"macro_f1": statistics.mean(f1s)}
    for kind, c in phrase_counts.items():
        p, r, f = prf(c["tp"], c["fp"], c["fn"])
        results[kind] = f
        print(f"  {kind:<22} {p:9.2f} {r:7.2f} {f:6.2f}   (gold {c['tp'] + c['fn']})")

    answer = " ".join(s["text"] for s in max(behavioral, key=lambda b: len(" ".join(s["text"] for s in b["sentences"]).split()))["sentences"])
    words = answer.split()
    answer300 = " ".join((words * (300 // len(words) + 1))[:300])
    timings = []
    for _ in range(20):
        started = time.perf_counter()
        coach_answer(TimedText(answer300))
        timings.append(time.perf_counter() - started)
    print(f"\nanalysis of a 300-word answer: median {1000 * statistics.median(timings):.1f} ms over 20 runs "
          f"(spaCy loaded once)")
    # The STAR labeller alone on the same parse, interleaved with its comparators in the same runs:
    # the cue rules alone (the labeller before any model) and the spaCy parse it needs anyway.
    from coach.analysis import star as star_module

    doc = nlp()(answer300)
    star_module.label_sentences(doc)
    spans = star_module.spoken_sentences(doc)
    parse_ms, model_ms, rules_ms = [], [], []
    for _ in range(20):
        started = time.perf_counter()
        nlp()(answer300)
        parse_ms.append(time.perf_counter() - started)
        star_module._found.cache_clear()  # as for a new answer
        started = time.perf_counter()
        star_module.label_sentences(doc)
        model_ms.append(time.perf_counter() - started)
        star_module._found.cache_clear()
        started = time.perf_counter()
        [star_module._label(s, i, len(spans)) for i, s in enumerate(spans)]
        rules_ms.append(time.perf_counter() - started)
    print(f"STAR labelling of the same 300 words ({len(spans)} sentences), medians over 20 interleaved runs: "
          f"features + joint decoding {1000 * statistics.median(model_ms):.1f} ms; cue rules alone "
          f"{1000 * statistics.median(rules_ms):.1f} ms; the spaCy parse {1000 * statistics.median(parse_ms):.1f} ms")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--errors", action="store_true", help="print every disagreement with the labels")
    parser.add_argument("--half", choices=["all", "tune", "holdout"], default="all",
                        help="tune: the even-numbered answers the rules were fitted on; holdout: the others")
    parser.add_argument("--star", choices=["cv", "shipped", "rules"], default="cv",
                        help="cv (default): each answer labelled by a STAR model trained without it; shipped: "
                             "the model in the package (trained on all of this set, so optimistic); rules: "
                             "the cue rules alone")
    args = parser.parse_args()
    nlp()
    models = None
    if args.star == "cv":
        from benchmarks.train_star import cross_validated_models

        models = cross_validated_models()
    elif args.star == "rules":
        from coach.analysis import star

        star.default_model.cache_clear()
        star.MODEL_PATH = star.MODEL_PATH.with_name("no-model.json")
    print(f"answers: {args.half}; STAR labels: {args.star}")
    evaluate(args.errors, args.half, models)


if __name__ == "__main__":
    main()
