"""Realistic attempts for the history tests and benchmark, made by the real analysis code.

Spoken answers are built from written ones: each word gets a time at a chosen pace, with
pauses at sentence ends, and the real pipeline (``coach_answer``, ``measure_pace``) measures
them exactly as it measures Whisper's words. Typed answers go through ``analyse_text``. The
pace and answer quality improve over the simulated weeks, as they would for someone practising.
"""

from __future__ import annotations

import random
import wave
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from coach.analysis.answer import AnswerAnalysis, ModelInfo, QuestionContext, analyse_text
from coach.analysis.coaching import coach_answer
from coach.analysis.language import TimedText
from coach.analysis.pace import Pause, measure_pace
from coach.speech.transcriber import Word

#: Behavioral answers, roughly from weakest to strongest.
BEHAVIORAL = [
    "Um, so, I guess there was this time, like, where we had a model that was, um, kind of not working. "
    "We looked at it and we, uh, maybe changed some features. I think it was probably fine after that. So yeah.",
    "So basically at my last company we had a churn model and, um, the data team was, like, really busy. "
    "We kind of decided to retrain it. I think we used a new feature store. It was maybe better afterwards.",
    "At my last job our recommendation service was slow and the product team was unhappy. "
    "My goal was to get the latency down before the launch. We profiled the service and we found a slow join. "
    "We rewrote it and we added a cache. Um, it was a lot faster after that.",
    "In my previous role our fraud model started flagging too many good customers after a data migration. "
    "I was responsible for the model, so I needed to fix it within two weeks. "
    "I compared the feature distributions before and after the migration and I found that a timestamp had shifted "
    "by one time zone. I patched the pipeline and I retrained the model, and I think it worked.",
    "At my last company the search ranking model was retrained by hand every month, and each retrain took an "
    "engineer most of a week. The team had already had two bad releases because a step was skipped. "
    "My task was to automate retraining without hurting quality, and I had one quarter to do it. "
    "I started by writing down every manual step and timing it. I built a pipeline that retrained weekly on fresh "
    "click data. I added an offline evaluation gate that compared the new model with the live one on a held-out "
    "week, and I made the pipeline stop if the gate failed. I set up alerts for feature drift and I wrote a "
    "runbook so anyone on the team could roll back. "
    "As a result, we shipped eight retrains in two months with no incidents and cut the manual work by 90 percent.",
    "Last year our demand forecasting model underpredicted holiday sales. "
    "I owned the forecast, and the business needed a fix before the next peak. "
    "I analysed the errors by region and I found that promotions were missing from the features. "
    "I worked with the marketing team to get the promotion calendar, I added it as a feature, and I backtested "
    "three years. As a result, the error dropped from 18 percent to 7 percent and stockouts fell by a third.",
    "At my previous company two teams disagreed about whether to launch a new ranking model. "
    "My goal was to get a decision within the sprint. "
    "I met each lead separately to understand what they were worried about: one feared a drop in revenue, the other "
    "wanted faster iteration. I wrote down the metric each of them cared about and I agreed a guardrail with both. "
    "I set up a shared dashboard, I ran an A/B test on five percent of traffic for two weeks, and I presented the "
    "results to both leads together. The test showed a 4 percent lift in engagement, so we launched it to everyone "
    "the next week.",
]
#: Think-aloud answers, weakest to strongest, with the concepts their questions expect.
THINK_ALOUD = [
    ("Um, so I would just use a neural network. It is probably the best. Maybe a big one. I think that is it.",
     ("latency", "labels", "features", "monitoring")),
    ("First, I would ask what the latency budget is? I will assume we have labels from chargebacks. "
     "A gradient boosted model is faster but less accurate than a deep model. In summary, start with a GBM.",
     ("latency", "labels", "features", "monitoring")),
    ("Can I ask how many transactions a second we need to score? Let's say ten thousand. "
     "I'll cover three things: first the data and labels, second the features and model, and finally monitoring. "
     "For labels, chargebacks arrive weeks late, so I'd assume delayed labels. For features, velocity counts and "
     "merchant history. A GBM is fast to serve but less expressive, whereas a deep model captures sequences at a "
     "latency cost. Finally I'd monitor drift and precision. In summary, a GBM with velocity features and drift "
     "monitoring is where I'd start. If the interviewer wants more, I'd talk about the serving path: features "
     "computed in a streaming job, a feature store shared between training and serving, and a shadow deployment "
     "before any traffic is blocked. The trade-off there is safety against time to launch. I'd also keep a simple "
     "rules layer in front of the model for known fraud patterns, because it is cheap and easy to explain, but it "
     "does not generalise. So to sum up: clarify the scale, assume delayed labels, start with a GBM on velocity "
     "features, shadow it, and monitor drift and precision weekly.",
     ("latency", "labels", "features", "monitoring")),
]


def _words(text: str, wpm: float, rng: random.Random) -> tuple[list[Word], list[Pause], float, float]:
    """Time each word at ``wpm`` (with jitter), pausing at sentence ends; returns words, pauses,
    duration and speech time."""
    words: list[Word] = []
    pauses: list[Pause] = []
    t = 0.6
    per_word = 60.0 / wpm
    speech = 0.0
    for token in text.split():
        length = per_word * rng.uniform(0.75, 1.25)
        words.append(Word(token, round(t, 3), round(t + length * 0.85, 3), 0.9))
        speech += length
        t += length
        if token.endswith((".", "?", "!")):
            gap = rng.uniform(0.2, 0.7) if rng.random() > 0.1 else rng.uniform(2.0, 4.5)
            pauses.append(Pause(round(t, 3), round(t + gap, 3), round(gap, 3), gap >= 2.0))
            t += gap
    return words, pauses, t + 0.5, speech


def spoken_analysis(text: str, question: QuestionContext, wpm: float, seed: int = 0) -> AnswerAnalysis:
    """A spoken answer's analysis, as the pipeline would give for these words at this pace."""
    rng = random.Random(seed)
    words, pauses, duration, speech = _words(text, wpm, rng)
    coaching = coach_answer(
        TimedText.from_words(words), kind=question.kind, target_s=question.target_s, duration_s=duration,
        longest_silence_s=max((p.duration_s for p in pauses), default=0.0), concepts=list(question.concepts),
        follow_ups=list(question.follow_ups))
    return AnswerAnalysis(
        transcript=" ".join(w.text for w in words), duration_s=duration, speech_s=speech, words=words,
        pace=measure_pace(words, speech, duration), pauses=pauses, model=ModelInfo("tiny.en", "int8", "bundled"),
        source=None, question=question, coaching=coaching, voice=_voice(rng))


def _voice(rng: random.Random):
    """How it sounded, in the ranges real speech gives (coach/analysis/prosody.py)."""
    from coach.analysis.prosody import Voice, variation_band

    pvq, level = round(rng.uniform(0.07, 0.25), 3), round(rng.uniform(-42.0, -18.0), 1)
    return Voice(pitch={"median_hz": 120.0, "range_semitones": round(pvq * 50, 2), "variation": pvq,
                        "variation_band": variation_band(pvq), "voiced_s": 20.0, "sentences": []},
                 monotone=pvq < 0.06, loudness={"median_dbfs": level, "spread_db": 12.0, "too_quiet": level < -40},
                 trailing_off=[], uptalk=[], clarity=[])


def write_wav(path: Path, seconds: float = 0.2) -> Path:
    """A small silent 16 kHz WAV (a stand-in recording; only its presence matters to the history)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(b"\x00\x00" * int(16000 * seconds))
    return path


def questions(count: int = 24) -> list[QuestionContext]:
    """A mix of real bank questions, behavioral and think-aloud."""
    from coach.questions.bank import load_questions

    bank = load_questions()
    behavioral = [q for q in bank if q.kind == "behavioral"][: count * 2 // 3]
    thinking = [q for q in bank if q.kind == "think_aloud"][: count - len(behavioral)]
    return [QuestionContext(text=q.text, kind=q.kind,  # type: ignore[arg-type]
                            target_s=q.target_s, concepts=q.concepts, follow_ups=q.follow_ups, question_id=q.id)
            for q in behavioral + thinking]


def seed_history(history, n: int, *, days: float = 60.0, seed: int = 0, audio_dir: Path | None = None,
                 now: datetime | None = None, typed_share: float = 0.1, failed_share: float = 0.02) -> list[int]:
    """Store ``n`` attempts spread over the last ``days`` days, improving over time; returns their ids.

    Analyses are made once per (answer, pace band) and reused across questions (with the
    question swapped in), so a thousand attempts take seconds, not minutes.
    """
    rng = random.Random(seed)
    now = now or datetime.now(UTC)
    asked = questions()
    cache: dict[tuple, AnswerAnalysis] = {}
    ids = []
    session = history.start_session("practice", "ML Engineer", started_at=now - timedelta(days=days))
    for i in range(n):
        progress = i / max(1, n - 1)
        at = now - timedelta(days=days * (1 - progress)) + timedelta(minutes=rng.uniform(-30, 0))
        question = rng.choice(asked)
        roll = rng.random()
        if roll < failed_share:
            ids.append(history.save_attempt(
                error="No speech was heard in the recording; check the microphone and record the answer again.",
                question_id=question.question_id, question_text=question.text, kind=question.kind,
                target_s=question.target_s, audio_path=write_wav(audio_dir / f"a{i:05d}.wav") if audio_dir else None,
                model="tiny.en", session_id=session, created_at=at))
            continue
        typed = roll < failed_share + typed_share
        pool = BEHAVIORAL if question.kind == "behavioral" else [t for t, _ in THINK_ALOUD]
        # Better answers become likelier as the weeks go by.
        level = min(len(pool) - 1, max(0, int(rng.gauss(progress * (len(pool) - 1), 1.2))))
        wpm_band = None if typed else int(min(200, max(100, rng.gauss(185 - 35 * progress, 12))) // 10 * 10)
        key = (question.kind, level, wpm_band)
        if key not in cache:
            context = replace(question, concepts=THINK_ALOUD[level][1] if question.kind == "think_aloud" else ())
            text = pool[level]
            cache[key] = (analyse_text(text, question=context) if typed
                          else spoken_analysis(text, context, wpm_band + 5, seed=len(cache)))
        analysis = replace(cache[key], question=replace(question, concepts=cache[key].question.concepts))
        audio = write_wav(audio_dir / f"a{i:05d}.wav") if audio_dir and not typed else None
        ids.append(history.save_attempt(analysis=analysis, audio_path=audio, session_id=session, created_at=at))
    return ids
