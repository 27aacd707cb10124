"""Issue 14, rough edge: fillers recovered from the audio appear in the transcript where they were
heard, in brackets, in the feedback screen and the text report; the analysed transcript (pace,
word error) does not change.

The placement is pure logic (coach/analysis/display_text.py); the screen and the report are
checked on an analysis built from timed words and recovered fillers, as the pipeline builds it.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from coach.analysis.display_text import (
    filler_slot,
    insert_shown,
    recovered_insertions,
    shown_position,
)

TRANSCRIPT = "So we shipped it in March."
WORDS = [("So", 0.0, 0.3), ("we", 1.4, 1.6), ("shipped", 1.6, 2.0), ("it", 2.0, 2.1), ("in", 2.1, 2.2),
         ("March.", 2.2, 2.7)]


def _shown(fillers, transcript=TRANSCRIPT, words=WORDS) -> str:
    return insert_shown(transcript, recovered_insertions(transcript, words, fillers))[0]


def test_a_filler_before_the_first_word_opens_the_transcript():
    assert _shown([("um", -0.9, -0.3)]) == "(um) So we shipped it in March."


def test_a_filler_between_two_words_goes_between_them():
    assert _shown([("uh", 0.5, 1.1)]) == "So (uh) we shipped it in March."


@pytest.mark.parametrize(("word", "filler", "expected"), [
    # "we" stretched back over the "um" before it (the word itself is at its end).
    (("we", 0.4, 1.6), ("um", 0.5, 1.1), "So (um) we shipped it in March."),
    # "So" stretched forward over the "uh" after it (the word itself is at its start).
    (("So", 0.0, 1.2), ("uh", 0.4, 1.1), "So (uh) we shipped it in March."),
])
def test_a_filler_inside_a_stretched_word_goes_on_the_side_the_word_is_not(word, filler, expected):
    words = [word if w[0] == word[0] else w for w in WORDS]
    if word[0] == "So":
        words[1] = ("we", 1.3, 1.6)
    assert _shown([filler], words=words) == expected


def test_a_filler_after_the_last_word_closes_the_transcript():
    assert _shown([("um", 3.0, 3.6)]) == "So we shipped it in March. (um)"


def test_two_fillers_in_one_gap_are_shown_in_the_order_heard():
    assert _shown([("um", 0.9, 1.3), ("uh", 0.35, 0.8)]) == "So (uh) (um) we shipped it in March."
    assert _shown([("uh", 3.6, 4.0), ("um", 2.8, 3.4)]) == "So we shipped it in March. (um) (uh)"


def test_a_filler_inside_a_word_whisper_split_goes_after_the_whole_word():
    transcript = "We sold 10,000 units."
    words = [("We", 0.0, 0.2), ("sold", 0.2, 0.5), ("10", 0.6, 0.8), (",000", 0.8, 1.3), ("units.", 1.4, 1.8)]
    assert _shown([("uh", 0.75, 0.95)], transcript, words) == "We sold 10,000 (uh) units."


def test_only_fillers_and_no_words():
    assert _shown([("um", 0.0, 0.5), ("uh", 1.0, 1.5)], "", []) == "(um) (uh)"


def test_the_slot_is_counted_in_words_by_time():
    times = [(0.0, 0.3), (1.4, 1.6)]
    assert [filler_slot(times, a, b) for a, b in [(-1, -0.5), (0.4, 1.2), (2.0, 2.5)]] == [0, 1, 2]


def test_marks_on_the_transcript_move_with_what_is_inserted_before_them():
    insertions = recovered_insertions(TRANSCRIPT, WORDS, [("uh", 0.5, 1.1), ("um", 3.0, 3.5)])
    shown, labels = insert_shown(TRANSCRIPT, insertions)
    we = TRANSCRIPT.index("we")
    assert shown[shown_position(we, insertions):shown_position(we + 2, insertions, end=True)] == "we"
    assert shown[shown_position(0, insertions):shown_position(2, insertions, end=True)] == "So"
    end = len(TRANSCRIPT)  # a mark ending the text stays before a filler after it
    start = TRANSCRIPT.index("March.")
    assert shown[shown_position(start, insertions):shown_position(end, insertions, end=True)] == "March."
    assert [shown[a:b] for a, b in labels] == ["(uh)", "(um)"]


# --- The analysis, the report and the feedback screen ---------------------------------------------


def _analysis():
    """An answer whose transcript has no filler, with two fillers recovered from the audio."""
    from coach.analysis.answer import AnswerAnalysis, ModelInfo, QuestionContext
    from coach.analysis.coaching import coach_answer
    from coach.analysis.disfluency import Phrase
    from coach.analysis.language import TimedText
    from coach.analysis.pace import measure_pace
    from coach.speech.transcriber import Word, transcript_text

    texts = ("At my last job our checkout was slow. I profiled it and found one query doing most of the "
             "work. I added an index and cached the totals. Checkout time fell by forty percent.").split()
    words, t = [], 0.5
    for k, text in enumerate(texts):
        if k in (20, 25):  # a held "um" / "uh" before "I" and before "cached": 0.8 s that no word covers
            t += 1.0
        words.append(Word(text, round(t, 3), round(t + 0.3, 3), 0.9))
        t += 0.4
    heard = [Phrase("um", -1, -1, words[20].start - 0.9, words[20].start - 0.1, "audio"),
             Phrase("uh", -1, -1, words[25].start - 0.9, words[25].start - 0.1, "audio")]
    question = QuestionContext(text="Tell me about a time you improved performance.", target_s=60)
    duration = words[-1].end + 0.5
    speech = sum(w.end - w.start for w in words) + 1.6
    coaching = coach_answer(TimedText.from_words(words), kind="behavioral", target_s=60,
                            duration_s=words[-1].end - words[0].start, audio_fillers=heard)
    analysis = AnswerAnalysis(transcript=transcript_text(words), duration_s=duration, speech_s=speech, words=words,
                              pace=measure_pace(words, speech, duration), model=ModelInfo("tiny.en", "int8", "bundled"),
                              question=question, coaching=coaching)
    return analysis, heard


def test_the_text_report_shows_recovered_fillers_where_they_were_heard_and_says_what_they_are():
    from rich.console import Console

    from coach.answer_report import render

    analysis, _ = _analysis()
    before = (analysis.transcript, [replace(w) for w in analysis.words], analysis.pace)
    console = Console(record=True, width=200, color_system=None)
    console.print(render(analysis))
    out = console.export_text()
    assert "doing most of the work. (um) I added" in out
    assert "an index and (uh) cached the totals" in out
    assert "(um) in brackets: a filler heard in the audio, not in Whisper's words" in out
    assert "2 recovered from the audio" in out
    # The analysed transcript and its measures are Whisper's words alone.
    assert "(um)" not in analysis.transcript and "um" not in analysis.transcript.split()
    assert (analysis.transcript, analysis.words, analysis.pace) == before


async def test_the_feedback_transcript_shows_a_recovered_filler_and_plays_from_it(tmp_path):
    from coach.ui.app import make_app
    from coach.ui.widgets.seekable_transcript import LEAD_IN_S
    from tests.history_seed import write_wav
    from tests.support.pilot import offline_settings, show_feedback, wait_for

    analysis, heard = _analysis()
    recording = write_wav(tmp_path / "answer.wav", analysis.duration_s)
    app = make_app(offline_settings())
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await show_feedback(pilot, analysis, recording)
        transcript = screen.query_one("#transcript")
        shown = transcript.base.plain
        assert "doing most of the work. (um) I added an index and (uh) cached the totals." in shown
        # Marked like the other fillers, and explained on hover and in the section heading.
        at = shown.index("(um)")
        assert any(s.start <= at and s.end >= at + 4 and "red" in str(s.style) for s in transcript.base.spans)
        assert "heard in the audio" in str(transcript.tooltip)
        assert any("heard in the audio" in str(s.render()) for s in screen.query(".section"))
        # Stepping through the moments reaches it, names it, and plays from just before it.
        for _ in range(len(transcript.moments)):
            await pilot.press("right_square_bracket")
            if transcript.selected.recovered:
                break
        selected = transcript.selected
        assert selected.recovered and shown[selected.char_start:selected.char_end] == "(um)"
        assert "heard in the audio" in str(screen.query_one("#moment").render())
        await pilot.press("f")
        await wait_for(pilot, lambda: app.replay_start_s == pytest.approx(heard[0].start - LEAD_IN_S))
        # The words after it still select their own characters.
        await pilot.press("full_stop")
        word = transcript.selected
        assert word.kind == "word" and shown[word.char_start:word.char_end] == word.label == "I"
    assert "(um)" not in analysis.transcript
