"""Issue 14: comparing an answer to a follow-up says what it is compared with: only other answers
to the same follow-up, else one sentence. Real app (Pilot), real spaCy analyses, real SQLite."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from coach.analysis.answer import QuestionContext, analyse_text
from coach.settings import Settings, load_settings
from coach.storage import History
from coach.ui.app import make_app
from tests.support.pilot import wait_for

QUESTION = QuestionContext(text="Tell me about a model that failed in production.", kind="behavioral", target_s=90,
                           question_id="beh-ml-prod-01")
STORY = ("At my last company our fraud model was flagging too many good customers. My goal was to cut false "
         "positives before the holiday season. I rebuilt the account-age features and ran an A/B test with the risk "
         "team. As a result, false positives dropped by 35 percent.")
OUTCOME = "What was the outcome?"
FIRST = "It went well and the team was happy with it."
SECOND = "False positives fell by a third, and the risk team kept the new features for the holiday season."


def _settings() -> Settings:
    settings = load_settings()
    return replace(settings, audio=replace(settings.audio, input_device="no-such-microphone",
                                           output_device="no-such-speaker"),
                   voice=replace(settings.voice, mute=True))


def _follow_up(text: str, outcome: str = OUTCOME):
    return analyse_text(text, question=replace(QUESTION, text=outcome, kind="follow_up", target_s=40.0))


def _seed(settings: Settings, *, second_answer: bool = True) -> dict[str, int]:
    """Two answers to the question, each followed by "What was the outcome?" (the second only when
    asked), and a different follow-up after the second."""
    start = datetime.now(UTC) - timedelta(days=1)
    ids = {}
    with History(settings) as history:
        ids["parent1"] = history.save_attempt(analysis=analyse_text(STORY, question=QUESTION), created_at=start)
        ids["turn1"] = history.save_attempt(analysis=_follow_up(FIRST), parent_id=ids["parent1"],
                                            created_at=start + timedelta(minutes=2))
        ids["parent2"] = history.save_attempt(analysis=analyse_text(STORY, question=QUESTION),
                                              created_at=start + timedelta(hours=3))
        if second_answer:
            ids["turn2"] = history.save_attempt(analysis=_follow_up(SECOND.upper()[:1] + SECOND[1:],
                                                                    outcome="what was the  outcome?"),
                                                parent_id=ids["parent2"], created_at=start + timedelta(hours=3, minutes=2))
        ids["other_turn"] = history.save_attempt(analysis=_follow_up(SECOND, "How did you measure it?"),
                                                 parent_id=ids["parent2"], created_at=start + timedelta(hours=3, minutes=5))
    return ids


def _shown(screen, selector: str) -> str:
    return str(screen.query_one(selector).render())


async def test_a_follow_up_is_compared_with_the_earlier_answer_to_the_same_follow_up():
    from coach.ui.screens.attempt import AttemptScreen
    from coach.ui.screens.compare import CompareScreen

    settings = _settings()
    ids = _seed(settings)
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        page = AttemptScreen(ids["turn2"])
        app.push_screen(page)
        await wait_for(pilot, lambda: page.attempt is not None)
        assert page.check_action("compare", ())
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen) and app.screen.after is not None)
        compare = app.screen
        # The other answer to the same follow-up, not the full answers or the other follow-up.
        assert (compare.before.id, compare.after.id) == (ids["turn1"], ids["turn2"])
        assert compare.follow_up
        assert _shown(compare, "#compare-question") == "Follow-up: what was the  outcome?"
        meta = _shown(compare, "#compare-meta")
        assert "Two answers to this follow-up" in meta and f'asked after "{QUESTION.text}"' in meta
        assert "2 answers to this follow-up" in meta


async def test_the_only_answer_to_a_follow_up_says_so_in_one_sentence():
    from coach.ui.screens.compare import CompareScreen

    settings = _settings()
    ids = _seed(settings, second_answer=False)
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = CompareScreen(ids["turn1"])
        await app.push_screen(screen)
        await wait_for(pilot, lambda: "follow-up" in _shown(screen, "#compare-question"))
        said = _shown(screen, "#compare-question")
        assert said == (f'This answers the follow-up "{OUTCOME}", and a follow-up is compared only with other '
                        "answers to the same follow-up: this is the only one so far.")
        assert screen.after is None


async def test_a_follow_up_is_never_compared_with_a_full_answer():
    from coach.ui.screens.compare import CompareScreen

    settings = _settings()
    ids = _seed(settings)
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = CompareScreen(ids["turn2"], other_id=ids["parent1"])
        await app.push_screen(screen)
        await wait_for(pilot, lambda: "follow-up" in _shown(screen, "#compare-question"))
        assert _shown(screen, "#compare-question") == (
            f'Attempt {ids["turn2"]} answers the follow-up "what was the  outcome?"; it is compared only with '
            "other answers to that follow-up.")
        assert screen.after is None


def test_answers_to_a_follow_up_are_matched_on_its_words_only():
    settings = _settings()
    ids = _seed(settings)
    with History(settings) as history:
        assert [a.id for a in history.follow_up_answers(OUTCOME)] == [ids["turn1"], ids["turn2"]]
        assert [a.id for a in history.follow_up_answers("How did you measure it?")] == [ids["other_turn"]]
        assert history.follow_up_answers(QUESTION.text) == []  # the full answers are not turns
