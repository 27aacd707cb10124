"""Build tests/trainset/behavioral.jsonl from the hand-written sources in tests/trainset/src/*.txt.

Source format (one answer per block, labels written with the sentence, before any model is fitted):

    ## id=p01 style=polished writer=w1 competency=conflict rq=1 own=i
    Q: Tell me about a time you disagreed with a colleague.
    S| a situation sentence
    T| a task sentence
    A| an action sentence
    R| a result sentence
    O| other: preamble, closing, tangent, generic talk that tells no story
    L| a lesson learned (labelled other, with "lesson": true)

`rq` (result_quantified, 1/0) and `own` (i / we / mixed / none) are judged by hand per answer;
`present` and `in_order` follow from the labels. Transcript answers (style=transcript) are built
by tests/trainset/transcribe.py, which keeps each sentence's label through the alignment.

    .venv/bin/python tests/trainset/build.py
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CODES = {"S": "situation", "T": "task", "A": "action", "R": "result", "O": "other", "L": "other"}
PARTS = ("situation", "task", "action", "result")


def parse_sources(paths: list[Path]) -> list[dict]:
    answers: list[dict] = []
    for path in paths:
        current = None
        for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#!"):
                continue
            where = f"{path.name}:{number}"
            if line.startswith("## "):
                fields = dict(part.split("=", 1) for part in line[3:].split())
                current = {"id": fields["id"], "kind": "behavioral", "style": fields["style"],
                           "writer": fields["writer"], "competency": fields["competency"], "question": "",
                           "sentences": [], "_rq": fields["rq"], "_own": fields["own"], "_where": where}
                answers.append(current)
            elif line.startswith("Q:"):
                current["question"] = line[2:].strip()
            elif len(line) > 2 and line[1] == "|" and line[0] in CODES:
                sentence = {"text": line[2:].strip(), "label": CODES[line[0]]}
                if line[0] == "L":
                    sentence["lesson"] = True
                current["sentences"].append(sentence)
            else:
                raise SystemExit(f"{where}: cannot read {line[:60]!r}")
    return [finish(answer) for answer in answers]


def finish(answer: dict) -> dict:
    labels = [s["label"] for s in answer["sentences"]]
    if not labels:
        raise SystemExit(f"{answer['_where']}: no sentences")
    firsts = [labels.index(p) for p in PARTS if p in labels]
    own = answer.pop("_own")
    rq = answer.pop("_rq")
    answer.pop("_where")
    answer["flags"] = {"present": {p: p in labels for p in PARTS}, "in_order": firsts == sorted(firsts),
                       "result_quantified": rq == "1", "ownership": None if own == "none" else own,
                       "story": any(p in labels for p in ("action", "result"))}
    return answer


def main() -> None:
    answers = parse_sources(sorted((HERE / "src").glob("*.txt")))
    transcripts = HERE / "transcripts.jsonl"
    if transcripts.is_file():
        answers += [json.loads(line) for line in transcripts.read_text(encoding="utf-8").splitlines() if line]
    ids = [a["id"] for a in answers]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise SystemExit(f"duplicate ids: {sorted(duplicates)}")
    for answer in answers:
        for sentence in answer["sentences"]:
            if re.search(r"\s{2,}", sentence["text"]):
                raise SystemExit(f"{answer['id']}: double space in {sentence['text'][:50]!r}")
    out = HERE / "behavioral.jsonl"
    out.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in answers), encoding="utf-8")
    print(f"wrote {out.relative_to(HERE.parent.parent)}: {len(answers)} answers, "
          f"{sum(len(a['sentences']) for a in answers)} sentences", file=sys.stderr)


if __name__ == "__main__":
    main()
