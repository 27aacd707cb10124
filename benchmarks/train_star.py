"""Train the STAR sentence labeller on tests/devset/behavioral.jsonl and measure it honestly.

The model is a multinomial logistic regression over coach.analysis.star.sentence_features.
Its quality is measured by grouped cross-validation: each answer's sentences are labelled by a
model that never saw that answer. The shipped model (coach/analysis/star_model.json) is then
fitted on every answer.

    .venv/bin/python benchmarks/train_star.py [--folds 8] [--check]

Needs scikit-learn (the test extra); the app itself only needs numpy to apply the weights.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from coach.analysis import star  # noqa: E402
from coach.analysis.language import nlp  # noqa: E402

DEVSET = REPO / "tests" / "devset" / "behavioral.jsonl"
#: Inverse regularisation strength: chosen by cross-validation among 0.1, 0.3, 1 and 3 (all
#: within 0.015 macro-F1 of each other); the largest was kept.
C = 3.0


def examples() -> tuple[list[dict], list[str], list[str]]:
    """Features of every sentence as spaCy splits the whole answer (as at run time), each with
    the gold label of the labelled sentence holding its middle."""
    rows, labels, groups = [], [], []
    for line in DEVSET.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        texts = [s["text"] for s in item["sentences"]]
        bounds, offset = [], 0
        for text in texts:
            bounds.append((offset, offset + len(text)))
            offset += len(text) + 1
        doc = nlp()(" ".join(texts))
        sentences = star.spoken_sentences(doc)
        for index, sentence in enumerate(sentences):
            middle = (sentence.start_char + sentence.end_char) // 2
            gold = next((i for i, (a, b) in enumerate(bounds) if a <= middle <= b), len(bounds) - 1)
            rows.append(star.sentence_features(sentence, index, len(sentences)))
            labels.append(item["sentences"][gold]["label"])
            groups.append(item["id"])
    return rows, labels, groups


def fit(rows: list[dict], labels: list[str]) -> star.LabelModel:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    vectoriser = DictVectorizer()
    matrix = vectoriser.fit_transform(rows)
    model = LogisticRegression(C=C, max_iter=5000, class_weight="balanced").fit(matrix, labels)
    vocabulary = {name: int(i) for name, i in vectoriser.vocabulary_.items()}
    return star.LabelModel(list(model.classes_), vocabulary, model.coef_, model.intercept_)


def cross_validated_models(folds: int = 8) -> dict[str, star.LabelModel]:
    """For each answer id, a model trained without that answer's fold."""
    from sklearn.model_selection import GroupKFold

    rows, labels, groups = examples()
    by_answer: dict[str, star.LabelModel] = {}
    for train, test in GroupKFold(n_splits=folds).split(rows, labels, groups):
        model = fit([rows[i] for i in train], [labels[i] for i in train])
        for i in test:
            by_answer[groups[i]] = model
    return by_answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=8)
    parser.add_argument("--check", action="store_true", help="only report; do not write the model")
    args = parser.parse_args()
    from sklearn.metrics import classification_report

    rows, labels, groups = examples()
    models = cross_validated_models(args.folds)
    predicted = []
    for row, group in zip(rows, groups):
        predicted.extend(models[group].predict([row]))
    print(f"{len(set(groups))} answers, {len(rows)} sentences; {args.folds}-fold cross-validation by answer:")
    print(classification_report(labels, predicted, digits=3, zero_division=0))
    if not args.check:
        model = fit(rows, labels)
        model.save(star.MODEL_PATH, trained_on=str(DEVSET.relative_to(REPO)), sentences=len(rows), C=C)
        print(f"wrote {star.MODEL_PATH.relative_to(REPO)} ({star.MODEL_PATH.stat().st_size // 1024} KB, "
              f"{len(model.vocabulary)} features)")


if __name__ == "__main__":
    main()
