"""STAR labels and answer flags on real third-party answers (../shared/eval/star_real), beside baselines.

The answers were written and labelled by other people; they are for evaluation only (never train
or tune on them). Every answer's `text` goes through the app exactly as at run time
(coach.analysis.coaching.coach_answer: spaCy splits the sentences, the shipped STAR labeller labels
them, the shipped flags are computed). Each predicted sentence is scored against the gold sentence
holding its middle, as benchmarks/train_star.py does.

Printed, each "APP" row beside its "BASELINE" row:
- sentence accuracy and macro-F1 over the five labels, strict (`label`) and lenient (`label` or
  `alt_label`; a lesson sentence is also right as `other`, the project's convention), overall and
  per provenance;
- answer flags: result present (baseline: always yes), result_quantified (baseline: a digit in the
  last third of the text), ownership = "I" owns the actions (baseline: "I" words at least twice the
  "we" words, and the looser "I" words outnumber "we" words).

    .venv/bin/python benchmarks/star_real_eval.py [--errors] [--data PATH]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
DATA = REPO.parent / "shared" / "eval" / "star_real" / "answers.jsonl"

LABELS = ("situation", "task", "action", "result", "other")


def load(path: Path) -> list[dict]:
    if not path.is_file():
        sys.exit(f"The real STAR answers are not at {path}; put ../shared/eval/star_real next to the repository "
                 "or pass --data PATH.")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def gold_bounds(item: dict) -> list[tuple[int, int]]:
    """Character span of every gold sentence inside the answer's `text` (searched in order)."""
    text, bounds, offset = item["text"], [], 0
    for sentence in item["sentences"]:
        start = text.find(sentence["text"], offset)
        if start < 0:  # a sentence that differs from the text by whitespace: fall back to the running offset
            start = offset
        end = start + len(sentence["text"])
        bounds.append((start, end))
        offset = end
    return bounds


def accepted(gold: dict) -> set[str]:
    ok = {gold["label"]}
    if gold.get("alt_label"):
        ok.add(gold["alt_label"])
    if gold.get("lesson"):
        ok.add("other")
    return ok


def position_label(index: int, total: int) -> str:
    share = index / total
    return "situation" if share < 0.2 else ("result" if share >= 0.8 else "action")


def scores(pairs: list[tuple[str, dict]], lenient: bool) -> tuple[float, float]:
    """Accuracy and macro-F1 of (predicted label, gold sentence) pairs. Lenient: a prediction in the
    accepted set counts as that label being the gold one."""
    counts = {label: Counter() for label in LABELS}
    right = 0
    for predicted, gold in pairs:
        truth = predicted if lenient and predicted in accepted(gold) else gold["label"]
        if predicted == truth:
            right += 1
            counts[truth]["tp"] += 1
        else:
            counts[truth]["fn"] += 1
            counts[predicted]["fp"] += 1
    f1s = []
    for label in LABELS:
        c = counts[label]
        if c["tp"] + c["fn"] + c["fp"] == 0:
            continue
        p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 0.0
        r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 0.0
        f1s.append(2 * p * r / (p + r) if p + r else 0.0)
    return right / max(1, len(pairs)), statistics.mean(f1s) if f1s else 0.0


def digit_in_last_third(text: str) -> bool:
    return bool(re.search(r"\d", text[2 * len(text) // 3 :]))


def word_ownership(text: str, strict: bool) -> bool:
    i_words = len(re.findall(r"\bI\b", text))
    we_words = len(re.findall(r"\bwe\b", text, re.I))
    return i_words > 0 and (i_words >= 2 * we_words if strict else i_words > we_words)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--errors", action="store_true", help="print each sentence the app labels wrongly")
    args = parser.parse_args()
    items = load(args.data)

    from coach.analysis.coaching import coach_answer
    from coach.analysis.language import TimedText

    app_pairs: dict[str, list] = defaultdict(list)
    base_pairs: dict[str, list] = defaultdict(list)
    base_gold_pairs: dict[str, list] = defaultdict(list)
    flags: dict[str, list[bool]] = defaultdict(list)
    for item in items:
        text = item["text"]
        bounds = gold_bounds(item)
        star = coach_answer(TimedText(text), kind="behavioral").star
        predicted = star["sentences"]
        offset, units = 0, []
        for entry in predicted:
            start = text.find(entry["text"], offset)
            start = offset if start < 0 else start
            offset = start + len(entry["text"])
            middle = (start + offset) // 2
            gold = next((i for i, (a, b) in enumerate(bounds) if a <= middle <= b), None)
            if gold is None:  # between two gold sentences: the nearest one
                gold = min(range(len(bounds)), key=lambda i: min(abs(middle - bounds[i][0]), abs(middle - bounds[i][1])))
            units.append((entry["label"], item["sentences"][gold], entry["text"]))
        for group in ("all", item["provenance"]):
            app_pairs[group].extend((label, gold) for label, gold, _ in units)
            base_pairs[group].extend((position_label(i, len(units)), gold) for i, (_, gold, _) in enumerate(units))
            n = len(item["sentences"])
            base_gold_pairs[group].extend((position_label(i, n), gold) for i, gold in enumerate(item["sentences"]))
        if args.errors:
            for label, gold, sentence in units:
                if label not in accepted(gold):
                    print(f"[{item['id']}] {gold['label']:>9} -> {label:<9} {sentence[:110]}")

        flags["app result present"].append(star["present"]["result"] == item["present"]["result"])
        flags["BASELINE always yes"].append(item["present"]["result"])
        flags["app result_quantified"].append(star["result_quantified"] == item["result_quantified"])
        flags["BASELINE digit in last third"].append(digit_in_last_third(text) == item["result_quantified"])
        flags["app ownership (I)"].append((star["ownership"] == "i") == item["ownership"])
        flags["BASELINE I words >= 2x we"].append(word_ownership(text, strict=True) == item["ownership"])
        flags["BASELINE I words > we"].append(word_ownership(text, strict=False) == item["ownership"])
        for part in ("situation", "task", "action"):
            flags[f"app {part} present"].append(star["present"][part] == item["present"][part])
            flags[f"BASELINE {part} always yes"].append(item["present"][part])
        if "story" in star:
            flags["app story detected (all are stories)"].append(bool(star["story"]))

    print(f"{len(items)} real answers, {sum(len(i['sentences']) for i in items)} gold sentences, "
          f"{len(app_pairs['all'])} sentences as spaCy splits them ({args.data})")
    print("\nSENTENCE LABELS (units: spaCy sentences, each scored against the gold sentence holding its middle)")
    print(f"  {'group':<56}{'n':>5}   {'strict acc':>10} {'macro-F1':>8}   {'lenient acc':>11} {'macro-F1':>8}")
    for group in ["all"] + sorted(g for g in app_pairs if g != "all"):
        for name, pairs in (("APP", app_pairs[group]), ("BASELINE position", base_pairs[group]),
                            ("BASELINE position, gold sentences", base_gold_pairs[group])):
            if group != "all" and name.endswith("gold sentences"):
                continue
            strict, lenient = scores(pairs, False), scores(pairs, True)
            title = f"{group} {name}" if group == "all" else f"  {group[:30]} {name}"
            print(f"  {title:<56}{len(pairs):5d}   {strict[0]:10.3f} {strict[1]:8.3f}   {lenient[0]:11.3f} "
                  f"{lenient[1]:8.3f}")
    print("\nANSWER FLAGS (accuracy over answers; APP = the shipped analysis, BASELINE = trivial rule)")
    for name, values in flags.items():
        print(f"  {name:<56}{sum(values) / len(values):7.3f}  ({sum(values)}/{len(values)})")


if __name__ == "__main__":
    main()
