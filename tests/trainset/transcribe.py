"""Speak the answers in tests/trainset/speak/*.txt with espeak-ng, transcribe them with the app's
Whisper (bundled tiny.en, as the app runs it), and keep each sentence's label through the transcript.

Whisper decides the words and the punctuation; the labels come from the written source. Each
transcript word is aligned to the source words (difflib on lower-cased letters), and a labelled
sentence becomes the run of transcript words aligned to it, so `sentences[*].text` joined with
spaces is exactly what Whisper wrote, full stops wherever Whisper put them.

    .venv/bin/python tests/trainset/transcribe.py [--voice en-us] [--speed 160]   (defaults for files without a
    "#! voice=... speed=..." first line)

Writes tests/trainset/transcripts.jsonl; then run tests/trainset/build.py.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from build import parse_sources  # noqa: E402


def _key(word: str) -> str:
    return re.sub(r"[^a-z0-9]", "", word.lower())


def split_transcript(words: list[str], sentences: list[dict]) -> list[dict]:
    """Give every transcript word the index of the source sentence its aligned word belongs to."""
    source, owner = [], []
    for index, sentence in enumerate(sentences):
        for word in sentence["text"].split():
            source.append(_key(word))
            owner.append(index)
    matcher = difflib.SequenceMatcher(a=source, b=[_key(w) for w in words], autojunk=False)
    assigned: list[int | None] = [None] * len(words)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        for k in range(b0, b1):
            if tag == "equal":
                assigned[k] = owner[a0 + (k - b0)]
            elif tag == "replace" and a1 > a0:
                assigned[k] = owner[min(a1 - 1, a0 + (k - b0) * (a1 - a0) // max(1, b1 - b0))]
    # Inserted words (no source word) go with the word before them.
    last = 0
    for k, value in enumerate(assigned):
        if value is None:
            assigned[k] = last
        last = assigned[k]
    # Keep sentence indices monotonic so every output sentence is one contiguous run.
    for k in range(1, len(assigned)):
        assigned[k] = max(assigned[k], assigned[k - 1])
    out: list[dict] = []
    for index, sentence in enumerate(sentences):
        run = [w for w, a in zip(words, assigned) if a == index]
        if run:
            entry = {"text": " ".join(run), "label": sentence["label"], "written": sentence["text"]}
            if sentence.get("lesson"):
                entry["lesson"] = True
            out.append(entry)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--voice", default="en-us")
    parser.add_argument("--speed", type=int, default=160)
    args = parser.parse_args()
    from coach.audio.files import load_audio
    from coach.speech.models import resolve_model
    from coach.speech.transcriber import Transcriber

    answers = []
    for path in sorted((HERE / "speak").glob("*.txt")):
        # A "#! voice=en-gb speed=175" line gives a file its own voice.
        settings = dict(re.findall(r"\b(voice|speed)=(\S+)", path.read_text(encoding="utf-8").split("\n", 1)[0]))
        for answer in parse_sources([path]):
            answers.append((answer, settings.get("voice", args.voice), int(settings.get("speed", args.speed))))
    transcriber = Transcriber(resolve_model("tiny.en", [], Path(tempfile.gettempdir())))
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for answer, voice, speed in answers:
            wav = Path(tmp) / f"{answer['id']}.wav"
            text = " ".join(s["text"] for s in answer["sentences"])
            subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(wav), text], check=True)
            transcript = transcriber.transcribe(load_audio(wav).samples)
            sentences = split_transcript(transcript.text.split(), answer["sentences"])
            answer = dict(answer, sentences=sentences,
                          notes=f"espeak-ng {voice} at {speed} wpm, transcribed by the bundled tiny.en")
            labels = [s["label"] for s in sentences]
            answer["flags"] = dict(answer["flags"], present={p: p in labels for p in
                                                              ("situation", "task", "action", "result")})
            out.append(answer)
            print(f"{answer['id']}: {transcript.text[:100]}", file=sys.stderr)
    (HERE / "transcripts.jsonl").write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in out),
                                            encoding="utf-8")


if __name__ == "__main__":
    main()
