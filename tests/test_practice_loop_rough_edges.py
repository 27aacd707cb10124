"""Issue 14, rough edges: hedges against estimates, report counts, Whisper's split numbers and words."""

from __future__ import annotations

import pytest

from coach.analysis.disfluency import find_hedges
from coach.analysis.language import nlp


def hedges(text: str) -> list[str]:
    return [p.text.lower() for p in find_hedges(nlp()(text))]


# -- hedges: a figure given as approximate is an estimate ------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Softening a claim is a hedge.
        ("The team was kind of busy that week.", ["kind of"]),
        ("Maybe the labels were wrong.", ["maybe"]),
        ("Maybe one reason is that the labels were stale.", ["maybe"]),
        ("Maybe a better model would have helped.", ["maybe"]),
        # "probably" before a number still judges a claim (the project's devset, b37).
        ("Disagreements like that are probably two people with different evidence.", ["probably"]),
        # A number or a range said to be approximate is an estimate, said precisely.
        ("We had maybe five or six people on the team.", []),
        ("Maybe five or six people joined the project.", []),
        ("It took maybe two weeks.", []),
        ("We hired maybe five to six engineers.", []),
        ("Maybe one or two people left.", []),
        ("Perhaps 20 percent of the traffic was bots.", []),
        ("There were maybe a dozen of us.", []),
        ("It improved by about 20 percent, around 3 to 4 points.", []),
        # Both in one answer: only the hedge counts.
        ("I think we had maybe five or six people.", ["i think"]),
    ],
)
def test_an_estimate_is_not_a_hedge(text, expected):
    assert hedges(text) == expected


# -- reports: every answer counted once ------------------------------------------------------------


def test_the_report_counts_each_answer_once_spoken_typed_or_not_analysed(tmp_path):
    """A failed spoken answer was counted as spoken and again as not analysed."""
    import re
    from datetime import UTC, datetime, timedelta

    from coach.analysis.answer import QuestionContext, analyse_text
    from coach.reports import build_report
    from coach.settings import load_settings
    from coach.storage import History
    from tests.history_seed import BEHAVIORAL, spoken_analysis, write_wav

    now = datetime(2026, 3, 31, 18, 0, tzinfo=UTC)
    question = QuestionContext(text="Tell me about a forecast.", kind="behavioral", target_s=60, question_id="b-1")
    with History(load_settings()) as history:
        for day in range(3):  # spoken and analysed
            history.save_attempt(analysis=spoken_analysis(BEHAVIORAL[5], question, wpm=150, seed=day),
                                 audio_path=write_wav(tmp_path / f"ok{day}.wav"), created_at=now - timedelta(days=day))
        history.save_attempt(analysis=analyse_text(BEHAVIORAL[4]), created_at=now - timedelta(days=3))  # typed
        history.save_attempt(question_text=question.text, audio_path=write_wav(tmp_path / "failed.wav"),
                             error="No speech was heard in the recording.", created_at=now - timedelta(days=4))
        history.save_attempt(question_text=question.text, transcript="Too short.", error="spaCy failed to load",
                             created_at=now - timedelta(days=5))
        report = build_report(history, fmt="md", now=now)
    counts = re.search(r"(\d+) answers from .*?: (\d+) spoken, (\d+) typed, (\d+) not analysed", report)
    assert counts, report[:400]
    total, spoken, typed, not_analysed = map(int, counts.groups())
    assert (total, spoken, typed, not_analysed) == (6, 3, 1, 2)
    assert spoken + typed + not_analysed == total


# -- Whisper's split words repaired in the transcript ----------------------------------------------


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["It", "cost", "10", ",000", "dollars."], "It cost 10,000 dollars."),
        (["a", "precision", "of", "0", ".81"], "a precision of 0.81"),
        (["the", "trade", "-off", "was", "worth", "it"], "the trade-off was worth it"),
        (["a", "10", "-fold", "speed-up", "in", "2019", "-2020"], "a 10-fold speed-up in 2019-2020"),
        (["about", "20", "%", "of", "users", ","], "about 20% of users,"),
        # Not a split word: a dash on its own, a comma before a word, a decimal after a word.
        (["we", "-", "uh", "-", "waited"], "we - uh - waited"),
        (["the", ",reason"], "the ,reason"),
        (["version", ".5"], "version .5"),
    ],
)
def test_split_numbers_and_hyphenated_words_are_joined(words, expected):
    from coach.analysis.display_text import join_words

    text, spans = join_words(words)
    assert text == expected
    assert [text[start:end] for start, end in spans] == words


def test_the_parsed_text_and_its_word_times_agree_after_the_repair():
    from coach.analysis.language import TimedText
    from coach.speech.transcriber import Word, transcript_text

    texts = ["We", "saved", "10", ",000", "dollars", "on", "the", "trade", "-off", "."]
    words = [Word(t, i * 0.4, i * 0.4 + 0.3, 0.9) for i, t in enumerate(texts)]
    timed = TimedText.from_words(words)
    assert timed.text == transcript_text(words) == "We saved 10,000 dollars on the trade-off."
    assert [timed.text[s:e] for s, e, _, _ in timed.word_spans] == texts
    doc = nlp()(timed.text)
    number = next(t for t in doc if t.text == "10,000")
    assert number.like_num
    assert timed.span_times(doc[number.i : number.i + 1]) == (words[2].start, words[3].end)


def test_a_spoken_answer_shows_the_repaired_transcript_with_its_marks_in_place():
    """The transcript of a spoken answer, as the text report and the feedback screen show it."""
    from coach.analysis.answer import QuestionContext, analyse_audio
    from coach.answer_report import highlighted_transcript
    from coach.audio.files import Audio
    from coach.settings import Settings
    from coach.speech.transcriber import Word
    from coach.speech.vad import SpeechRegion
    from coach.ui.widgets.seekable_transcript import word_spans
    from tests.support import speech

    sentence = "We saved 10,000 dollars, and I think the trade-off was right."
    samples = speech.speak((0.3, sentence, 0.3)).astype("float32")
    duration = len(samples) / speech.RATE
    # Whisper's words as it splits them (timed evenly over the speech: only their order matters here).
    texts = ["We", "saved", "10", ",000", "dollars,", "and", "I", "think", "the", "trade", "-off", "was", "right."]
    step = (duration - 0.6) / len(texts)
    words = [Word(t, round(0.3 + i * step, 3), round(0.3 + (i + 0.9) * step, 3), 0.9) for i, t in enumerate(texts)]
    analysis = analyse_audio(Audio(samples, None), Settings(), words=words, regions=[SpeechRegion(0.3, duration - 0.3)],
                             question=QuestionContext(kind="think_aloud"))
    assert analysis.transcript == sentence
    shown = highlighted_transcript(analysis)
    assert shown.plain == sentence
    marked = {shown.plain[span.start:span.end] for span in shown.spans}
    assert "I think" in marked  # the hedge is marked on its own words, not shifted by the repair
    assert [w.label for w in word_spans(analysis.transcript, [(w.text, w.start, w.end) for w in words])] == texts
