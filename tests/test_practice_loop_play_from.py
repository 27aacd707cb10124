"""Issue 14, "play from a word": step through the flagged moments (filler, hedge, long pause) or
the words of the transcript and hear the recording from there; Pilot tests on the real app with
the real analysis, checking where playback starts."""

from __future__ import annotations

from dataclasses import replace

import pytest

from coach.settings import Settings, load_settings
from coach.ui.app import make_app
from coach.ui.widgets.seekable_transcript import LEAD_IN_S, PAUSE_LEAD_IN_S, transcript_moments
from tests.history_seed import BEHAVIORAL, questions, spoken_analysis, write_wav
from tests.support.pilot import wait_for

ANSWER = BEHAVIORAL[0]  # "Um, so, I guess there was this time, like, ..." : fillers and hedges


def test_moments_are_in_transcript_order_and_play_from_just_before():
    transcript = "So um I built it. Then maybe we shipped."
    words = [("So", 0.0, 0.3), ("um", 0.5, 0.8), ("I", 1.0, 1.1), ("built", 1.1, 1.4), ("it.", 1.4, 1.6),
             ("Then", 4.6, 4.9), ("maybe", 5.0, 5.3), ("we", 5.4, 5.5), ("shipped.", 5.5, 6.0)]
    marks = [(transcript.index("maybe"), transcript.index("maybe") + 5, "hedge", None),
             (3, 5, "filler", 0.5)]
    spans, moments = transcript_moments(transcript, words, marks, [(1.6, 4.6)])
    assert [w.label for w in spans] == [w[0] for w in words]
    assert [(m.kind, m.start_s) for m in moments] == [("filler", 0.5), ("pause", 1.6), ("hedge", 5.0)]
    assert moments[1].label == '3.0 s of silence after "it."'
    assert transcript[moments[1].char_start:moments[1].char_end] == "it."  # shown on the word before it
    assert moments[0].play_from_s == pytest.approx(0.5 - LEAD_IN_S)
    assert moments[1].play_from_s == pytest.approx(1.6 - PAUSE_LEAD_IN_S)
    assert spans[0].play_from_s == 0.0  # never before the recording starts


def _settings() -> Settings:
    settings = load_settings()
    return replace(settings, audio=replace(settings.audio, input_device="no-such-microphone",
                                           output_device="no-such-speaker"),
                   voice=replace(settings.voice, mute=True))


def _footer(screen) -> list[str]:
    return [str(key.description) for key in screen.query("FooterKey")]


async def test_feedback_steps_to_a_filler_and_plays_from_it(tmp_path):
    from coach.ui.screens.feedback import FeedbackScreen

    analysis = spoken_analysis(ANSWER, questions()[0], 150, seed=4)
    first_filler = min((p for p in analysis.coaching.fillers + analysis.coaching.hedges), key=lambda p: p.start_char)
    recording = write_wav(tmp_path / "answer.wav", analysis.duration_s)
    app = make_app(_settings())
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.model_state != "loading", timeout=120)
        screen = FeedbackScreen(app.questions[0], analysis, recording)
        app.push_screen(screen)
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.pause()
        assert "Play from here" in _footer(screen)
        await pilot.press("right_square_bracket")
        transcript = screen.query_one("#transcript")
        assert transcript.selected.char_start == first_filler.start_char
        assert str(screen.query_one("#moment").render()).startswith(
            f"{'Filler' if first_filler in analysis.coaching.fillers else 'Hedge'} \"{first_filler.text}\" at ")
        await pilot.press("f")
        await wait_for(pilot, lambda: app.replay_start_s > 0 or first_filler.start <= LEAD_IN_S)
        assert app.replay_start_s == pytest.approx(max(0.0, first_filler.start - LEAD_IN_S))
        # Word by word from there: the next word after the filler, played from just before it.
        await pilot.press("full_stop")
        word = transcript.selected
        assert word.kind == "word" and word.char_start > first_filler.start_char
        timed = next(w for w in analysis.words if w.text.strip() == word.label and w.start >= first_filler.start)
        await pilot.press("f")
        await wait_for(pilot, lambda: app.replay_start_s == pytest.approx(max(0.0, timed.start - LEAD_IN_S)))
        await pilot.press("left_square_bracket")  # back to the moment before the word
        assert transcript.selected.char_start == first_filler.start_char


async def test_a_typed_answer_offers_no_play_from():
    from coach.analysis.answer import analyse_text
    from coach.ui.screens.feedback import FeedbackScreen

    app = make_app(_settings())
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.model_state != "loading", timeout=120)
        screen = FeedbackScreen(app.questions[0], analyse_text(ANSWER), None)
        app.push_screen(screen)
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.pause()
        assert "Play from here" not in _footer(screen) and "Next moment" not in _footer(screen)
        assert not screen.check_action("play_from", ())


async def test_a_stored_attempt_plays_from_its_long_pause(tmp_path):
    from coach.storage import History
    from coach.ui.screens.attempt import AttemptScreen

    settings = _settings()
    analysis = spoken_analysis(BEHAVIORAL[3], questions()[0], 150, seed=2)
    long = [p for p in analysis.pauses if p.long]
    if not long:  # the seed's answer has a long pause; make sure of it rather than skip
        from coach.analysis.pace import Pause

        words = analysis.words
        long = [Pause(words[5].end, words[6].start, words[6].start - words[5].end, True)]
        analysis = replace(analysis, pauses=analysis.pauses + long)
    recording = write_wav(settings.recordings_dir / "answer.wav", analysis.duration_s)
    with History(settings) as history:
        attempt_id = history.save_attempt(analysis=analysis, audio_path=recording)
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.model_state != "loading", timeout=120)
        page = AttemptScreen(attempt_id)
        app.push_screen(page)
        await wait_for(pilot, lambda: page.attempt is not None and page.query_one("#attempt-transcript").words)
        await pilot.pause()
        assert "Play from here" in _footer(page)
        transcript = page.query_one("#attempt-transcript")
        pause = long[0]
        for _ in range(len(transcript.moments)):
            await pilot.press("right_square_bracket")
            if transcript.selected.kind == "pause":
                break
        assert transcript.selected.start_s == pytest.approx(pause.start)
        await pilot.press("f")
        await wait_for(pilot, lambda: app.replay_start_s == pytest.approx(max(0.0, pause.start - PAUSE_LEAD_IN_S)))
