"""Issue 14, the practice loop: answer length, tip ranking and the wording and numbers of tips.

The spoken test runs the real pipeline (espeak-ng speech, faster-whisper, spaCy); the others give
coach_answer timed words as the pipeline would.
"""

from __future__ import annotations

import re

import pytest

from coach.analysis.coaching import coach_answer
from coach.analysis.language import TimedText
from coach.speech.transcriber import Word

STORY = ("At a search company our ranking service was slow, and customers were leaving the site before results "
         "loaded. I was asked to make search faster before the spring launch, with a team of three engineers. "
         "I profiled every stage and found that the feature lookup took most of the time. "
         "I proposed replacing the old ranker, and I trained the new model on six months of clicks. "
         "I cached the lookups, moved the scoring to batches, and wrote tests for each feature. "
         "I ran an experiment with ten percent of traffic for two weeks and checked the revenue every morning. "
         "When the numbers held, I rolled the new model out to everyone and wrote a runbook for the on-call "
         "engineers. Latency fell by half, and searches that ended in a purchase went up by eight percent. "
         "I learned to measure before optimising anything.")


def _timed(text: str, wpm: float, gap_s: float = 0.5, start: float = 0.0) -> list[Word]:
    """Words at an even ``wpm``, with ``gap_s`` of silence after each sentence."""
    words, t, per_word = [], start, 60.0 / wpm
    for token in text.split():
        words.append(Word(token, round(t, 3), round(t + per_word * 0.9, 3), 0.9))
        t += per_word
        if token.endswith((".", "?", "!")):
            t += gap_s
    return words


def _coach(text: str, wpm: float = 150.0, gap_s: float = 0.5, **kwargs):
    words = _timed(text, wpm, gap_s)
    return coach_answer(TimedText.from_words(words), duration_s=words[-1].end - words[0].start, **kwargs)


# --- 4 and 5: length is the spoken span; a pace far out of range is a tip ---------------------------


@pytest.mark.slow
def test_length_is_the_spoken_span_and_a_fast_pace_is_a_top_tip(speech_dir, transcriber):
    """14.6 s of answer was reported as 23.5 s with the silence that ended the recording; and
    216 wpm got conciseness nits instead of a pace tip."""
    from coach.analysis.answer import QuestionContext, analyse_file
    from coach.settings import Settings
    from tests.support import speech

    script = (2.0, *[p for p in speech.STAR_ANSWER if isinstance(p, str)], 6.0)
    path = speech.write(script, speech_dir / "fast_with_silences.wav", wpm=230)
    analysis = analyse_file(path, Settings(), transcriber=transcriber,
                            question=QuestionContext(text="Tell me about a time you improved a model.", target_s=90))
    coaching = analysis.coaching
    first, last = analysis.words[0], analysis.words[-1]
    # The recording holds 8 s of silence around the answer; the length is the words' span alone.
    assert analysis.duration_s - coaching.length.duration_s > 7.0
    assert coaching.length.duration_s == pytest.approx(last.end - first.start, abs=0.01)
    assert analysis.pace.wpm > 170, analysis.pace
    assert any("faster than the 100-165" in tip for tip in coaching.tips[:2]), coaching.tips


def test_pace_ranks_by_how_far_out_of_range_it_is():
    nits = STORY.replace("I learned", "I cached the lookups again. I learned")
    slow_pace_tip = "slower than the 100-165"
    plain = _coach(nits)
    assert any("repeated" in tip for tip in plain.tips), plain.tips  # the nit is there to be outranked
    for wpm in (176, 216):
        tips = _coach(nits, pace_wpm=wpm).tips
        assert tips[0].startswith(f"At {wpm} words a minute you spoke faster"), tips
    assert _coach(nits, pace_wpm=85).tips[0].find(slow_pace_tip) > 0
    # Inside the range there is nothing to say about pace.
    assert not any("words a minute" in tip for tip in _coach(nits, pace_wpm=160).tips)


def test_a_typed_answer_gets_no_pace_tip():
    assert not any("words a minute" in tip for tip in coach_answer(TimedText(STORY)).tips)


# --- 6: conciseness tips that were wrong ------------------------------------------------------------------


def test_a_noun_phrase_said_twice_is_not_a_repeat():
    coaching = coach_answer(TimedText(STORY))  # "the new model" twice in 144 words
    assert coaching.repeated_phrases == []
    assert not any("repeated" in tip for tip in coaching.tips)


def test_a_phrase_said_again_and_again_is_still_a_repeat():
    again = STORY.replace("I learned", "I cached the lookups again. I learned")
    assert coach_answer(TimedText(again)).repeated_phrases == ["cached the lookups"]
    habit = STORY.replace("the feature lookup", "the new model").replace("the old ranker", "the new model")
    coaching = coach_answer(TimedText(habit))
    assert "the new model" in coaching.repeated_phrases
    assert any('"the new model" 4 times' in tip for tip in coaching.tips), coaching.tips


def test_a_sentence_carrying_a_number_is_not_a_tangent():
    text = ("At a search company our ranking model was slow and users were leaving. I was asked to make it faster "
            "before the launch. I profiled the model and found that the feature lookup was the slowest step. "
            "I cached the lookups. Latency fell by half within two weeks. That is 62 % of queries. "
            "I learned to measure before optimising.")
    coaching = coach_answer(TimedText(text))
    assert coaching.tangents == []
    # Whatever label the STAR model gives them, a number or a verbless fragment is never an aside.
    from coach.analysis.coaching import _is_tangent
    from coach.analysis.language import parse

    for sentence in ("That is 62 % of queries.", "-62 % of queries.", "Not easy at all."):
        assert not _is_tangent(parse(TimedText(sentence))[:]), sentence
    assert _is_tangent(parse(TimedText("My manager was always very busy in those years."))[:])
    aside = text.replace("That is 62 % of queries.", "My manager was always very busy in those years.")
    assert coach_answer(TimedText(aside)).tangents == ["My manager was always very busy in those years."]


# --- 7: think-aloud length tips -----------------------------------------------------------------------


def test_think_aloud_length_tips_speak_of_reasoning_not_of_what_you_did():
    short = _coach("Can I assume the data fits in memory? I would count the words in a hash map. Then I would "
                   "use a heap.", kind="think_aloud")
    tip = next(t for t in short.tips if "short of the 180 s target" in t)
    assert "what you did" not in tip and "trade-offs" in tip
    long = _coach(" ".join(["I would count the words in a hash map and keep the top ones in a heap."] * 60),
                  kind="think_aloud")
    tip = next(t for t in long.tips if "ran past" in t)
    assert "result" not in tip and "recommendation" in tip


# --- 15: tip numbers agree with the timeline; no "cut" for a short background ---------------------------


def _seconds_in(tip: str) -> list[int]:
    return [int(n) for n in re.findall(r"(\d+) s\b", tip)]


def test_the_background_tip_uses_the_timeline_seconds():
    text = ("At a large retailer our recommendation system served the home page for twelve million customers. "
            "The team that built it had left, and nobody knew how the training data was produced. "
            "Half of the features had no documentation, and the nightly job failed every other week. "
            "My task was to make the system maintainable before the holiday season started. "
            "I documented the features. "
            "Onboarding time fell from six weeks to one.")
    coaching = _coach(text, gap_s=2.0)  # long pauses between sentences: the span is well past the sentences' time
    seconds = coaching.star["time_s"]
    tip = next(t for t in coaching.tips if "situation and task" in t)
    legend = {part: int(f"{value:.0f}") for part, value in seconds.items()}  # as StarTimeline shows them
    assert _seconds_in(tip) == [legend["situation"] + legend["task"], legend["action"]], (tip, seconds)
    assert "Cut the background" in tip


def test_a_four_second_background_is_not_cut():
    text = ("At a bank our fraud alerts were failing badly every single night. I retrained it. "
            "False alarms fell by forty percent.")
    coaching = _coach(text)
    seconds = coaching.star["time_s"]
    assert seconds["situation"] + seconds["task"] < 5 and seconds["action"] < seconds["situation"], seconds
    tip = next(t for t in coaching.tips if "situation and task" in t)
    assert "Cut" not in tip and "what you did" in tip
