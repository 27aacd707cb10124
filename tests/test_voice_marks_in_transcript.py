"""Issue 13: the voice's moments (faded endings, rising statements, unclear words) are marked on
their words in the transcript, in the strip's colours, in the text report and on the feedback
screen, where `]` / `[` step to them and `f` plays from them.

The time-to-characters mapping is pure logic (answer_report.voice_spans); the report and the
screen are checked on an analysis built from timed words and a measured-looking voice, as the
pipeline builds it (no microphone).
"""

from __future__ import annotations

import pytest

from coach.analysis.prosody import Moment, Voice
from coach.answer_report import VOICE_MOMENTS, voice_spans

TRANSCRIPT = "So we shipped it in March."
WORDS = [("So", 0.0, 0.3), ("we", 1.4, 1.6), ("shipped", 1.6, 2.0), ("it", 2.0, 2.1), ("in", 2.1, 2.2),
         ("March.", 2.2, 2.7)]


def _marked(**moments) -> list[tuple[str, str]]:
    voice = Voice(trailing_off=moments.get("trailing_off", []), uptalk=moments.get("uptalk", []),
                  clarity=moments.get("clarity", []))
    return [(TRANSCRIPT[a:b], kind) for a, b, kind, _ in voice_spans(TRANSCRIPT, WORDS, voice)]


def test_a_moment_inside_one_word_marks_that_word():
    # An unclear word: its moment is the word's own time, or a little inside it.
    assert _marked(clarity=[Moment(1.62, 1.95, "shipped", 0.31)]) == [("shipped", "clarity")]


def test_a_moment_across_words_marks_them_all_and_not_the_words_it_only_touches():
    # Starts exactly where "shipped" ends and ends where "March." ends: "shipped" is not in it.
    assert _marked(trailing_off=[Moment(2.0, 2.7, "it in March.", 14.0)]) == [("it in March.", "trailing_off")]
    assert _marked(trailing_off=[Moment(1.5, 2.05, "we shipped it", 9.0)]) == [("we shipped it", "trailing_off")]


def test_a_moment_at_the_end_marks_the_last_word_with_its_full_stop():
    assert _marked(uptalk=[Moment(2.2, 2.7, "March.", 2.4)]) == [("March.", "uptalk")]
    # A moment running past the last word's end (the fade heard after it) still ends on it.
    assert _marked(trailing_off=[Moment(2.15, 3.4, "in March.", 12.0)]) == [("in March.", "trailing_off")]


def test_a_moment_at_one_instant_takes_its_word_and_one_between_words_none():
    assert _marked(clarity=[Moment(1.8, 1.8, "shipped", 0.2)]) == [("shipped", "clarity")]
    assert _marked(clarity=[Moment(0.5, 1.2, "", 0.2)]) == []


def test_the_moments_come_in_transcript_order_with_their_kinds():
    marked = _marked(trailing_off=[Moment(2.1, 2.7, "in March.", 12.0)], uptalk=[Moment(1.4, 1.6, "we", 2.0)],
                     clarity=[Moment(0.0, 0.3, "So", 0.3)])
    assert marked == [("So", "clarity"), ("we", "uptalk"), ("in March.", "trailing_off")]


def test_no_voice_marks_nothing():
    assert voice_spans(TRANSCRIPT, WORDS, None) == []


# --- The analysis, the report and the feedback screen ---------------------------------------------


def _analysis():
    """A spoken answer with a filler inside its one faded ending ("and, um, cached the totals.")."""
    from coach.analysis.answer import AnswerAnalysis, ModelInfo, QuestionContext
    from coach.analysis.coaching import coach_answer
    from coach.analysis.language import TimedText
    from coach.analysis.pace import measure_pace
    from coach.speech.transcriber import Word, transcript_text

    texts = ("At my last job our checkout was slow. I profiled it and found one query doing most of the "
             "work. I added an index and, um, cached the totals. Checkout time fell by forty percent.").split()
    words, t = [], 0.5
    for text in texts:
        words.append(Word(text, round(t, 3), round(t + 0.3, 3), 0.9))
        t += 0.4
    first = texts.index("and,", texts.index("index"))
    last = texts.index("totals.")
    faded = Moment(words[first].start, words[last].end, " ".join(texts[first:last + 1]), 14.0)
    voice = Voice(pitch={"median_hz": 118.0, "range_semitones": 5.0, "variation": 0.15, "variation_band": "typical",
                         "voiced_s": 10.0, "sentences": []},
                  monotone=False, loudness={"median_dbfs": -22.0, "spread_db": 10.0, "too_quiet": False},
                  trailing_off=[faded], uptalk=[], clarity=[])
    question = QuestionContext(text="Tell me about a time you improved performance.", target_s=60)
    duration = words[-1].end + 0.5
    speech = sum(w.end - w.start for w in words)
    coaching = coach_answer(TimedText.from_words(words), kind="behavioral", target_s=60,
                            duration_s=words[-1].end - words[0].start)
    analysis = AnswerAnalysis(transcript=transcript_text(words), duration_s=duration, speech_s=speech, words=words,
                              pace=measure_pace(words, speech, duration), model=ModelInfo("tiny.en", "int8", "bundled"),
                              question=question, coaching=coaching, voice=voice)
    return analysis, faded


def _styles(text, console, chars: range):
    return [text.get_style_at_offset(console, i) for i in chars]


def test_the_report_underlines_the_faded_words_in_orange_keeps_the_filler_red_and_says_what_it_means():
    from rich.console import Console

    from coach.answer_report import render

    analysis, _ = _analysis()
    assert "um" in [f.text.lower() for f in analysis.coaching.fillers]
    group = render(analysis)
    shown = group.renderables[-1]
    assert shown.plain == analysis.transcript
    console = Console(record=True, width=200, color_system="truecolor")
    faded = analysis.transcript.index("and, um, cached the totals.")
    um = analysis.transcript.index("um,", faded)
    for i, style in zip(range(faded, faded + len("and, um, cached the totals.")),
                        _styles(shown, console, range(faded, faded + len("and, um, cached the totals.")))):
        assert style.underline, (analysis.transcript[i], style)
        expected = "red" if um <= i < um + 2 else VOICE_MOMENTS["trailing_off"][0]
        assert style.color is not None and style.color.name == expected, (analysis.transcript[i], style)
    # The words before and after it are not underlined.
    for style in _styles(shown, console, range(0, faded - 1)):
        assert not style.underline
    after = faded + len("and, um, cached the totals.")
    for style in _styles(shown, console, range(after, len(analysis.transcript))):
        assert not style.underline
    console.print(group)
    out = console.export_text()
    heading = next(line for line in out.splitlines() if line.startswith("Transcript"))
    assert "underlined: faded ending (orange)" in heading, heading
    # The list with times stays.
    assert "Faded endings" in out and "14 dB quieter" in out


async def test_the_feedback_transcript_steps_to_the_faded_ending_names_it_and_plays_from_it(tmp_path):
    from coach.ui.app import make_app
    from coach.ui.widgets.seekable_transcript import LEAD_IN_S
    from tests.history_seed import write_wav
    from tests.support.pilot import offline_settings, show_feedback, wait_for

    analysis, faded = _analysis()
    recording = write_wav(tmp_path / "answer.wav", analysis.duration_s)
    app = make_app(offline_settings())
    async with app.run_test(size=(120, 60)) as pilot:
        screen = await show_feedback(pilot, analysis, recording)
        transcript = screen.query_one("#transcript")
        shown = transcript.base.plain
        at = shown.index("and, um, cached the totals.")
        assert any(s.start <= at and s.end >= at + len("and, um, cached the totals.")
                   and "underline" in str(s.style) and "orange1" in str(s.style) for s in transcript.base.spans)
        kinds = [m.kind for m in transcript.moments]
        assert kinds.count("trailing_off") == 1 and "filler" in kinds
        for _ in range(len(transcript.moments)):
            await pilot.press("right_square_bracket")
            if transcript.selected.kind == "trailing_off":
                break
        selected = transcript.selected
        assert selected.kind == "trailing_off"
        assert shown[selected.char_start:selected.char_end] == "and, um, cached the totals."
        line = str(screen.query_one("#moment").render())
        assert "Faded ending" in line and "14 dB quieter" in line, line
        await pilot.press("f")
        await wait_for(pilot, lambda: app.replay_start_s == pytest.approx(faded.start - LEAD_IN_S))
        # Back with [ : the filler inside it, which comes after it in the transcript, is not skipped.
        await pilot.press("right_square_bracket")
        assert transcript.selected.kind == "filler" and transcript.selected.label.lower() == "um"
        await pilot.press("left_square_bracket")
        assert transcript.selected.kind == "trailing_off"


async def test_a_stored_attempt_underlines_its_faded_ending_and_steps_to_it(tmp_path):
    """The attempt page in the history reads the moments back from the stored analysis."""
    from coach.storage import History
    from coach.ui.app import make_app
    from coach.ui.screens.attempt import AttemptScreen
    from tests.history_seed import write_wav
    from tests.support.pilot import offline_settings, wait_for

    analysis, faded = _analysis()
    settings = offline_settings()
    recording = write_wav(tmp_path / "answer.wav", analysis.duration_s)
    with History(settings) as history:
        attempt_id = history.save_attempt(analysis=analysis, audio_path=recording)
    app = make_app(settings)
    async with app.run_test(size=(120, 60)) as pilot:
        await wait_for(pilot, lambda: app.screen is not None)
        app.push_screen(AttemptScreen(attempt_id))
        await wait_for(pilot, lambda: isinstance(app.screen, AttemptScreen) and app.screen.attempt is not None)
        screen = app.screen
        transcript = screen.query_one("#attempt-transcript")
        shown = transcript.base.plain
        at = shown.index("and, um, cached the totals.")
        assert any(s.start <= at and s.end >= at + len("and, um, cached the totals.")
                   and "underline" in str(s.style) and VOICE_MOMENTS["trailing_off"][0] in str(s.style)
                   for s in transcript.base.spans)
        assert "underlined" in str(screen.query_one("#attempt-transcript-label").render())
        for _ in range(len(transcript.moments)):
            await pilot.press("right_square_bracket")
            if transcript.selected.kind == "trailing_off":
                break
        assert transcript.selected.kind == "trailing_off"
        assert shown[transcript.selected.char_start:transcript.selected.char_end] == "and, um, cached the totals."
        assert "14 dB quieter" in str(screen.query_one("#moment").render())


def test_stored_voice_moments_that_are_not_well_formed_are_left_out():
    from coach.answer_report import stored_voice

    voice = stored_voice({"voice": {"trailing_off": [{"start": 1.0, "end": 2.0, "text": "x", "drop_db": 12.0},
                                                     {"start": "1", "end": 2.0, "drop_db": 3.0},
                                                     {"start": float("nan"), "end": 2.0, "drop_db": 3.0}, "junk"],
                                    "uptalk": None, "clarity": [{"start": 0.5, "end": 0.7, "probability": True}]}})
    assert [(m.start, m.end, m.detail) for m in voice.trailing_off] == [(1.0, 2.0, 12.0)]
    assert voice.uptalk == [] and voice.clarity == []
    assert stored_voice({"voice": None}) is None and stored_voice({}) is None
