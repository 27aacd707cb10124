"""Trends over the user's attempts: series per metric, first week against the last seven days,
the best attempt per question, and the three things to work on next.

Pure functions over :class:`AttemptSummary` records: no database, no UI. The reference ranges
are the ones in PRODUCT.md and the README.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from statistics import fmean

from coach.storage.models import AttemptSummary

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class MetricSpec:
    """One trend: what it is called, its unit, and the range a coach would call good."""

    key: str
    title: str
    #: What the numbers are, shown after the title ("" when the title says it).
    unit: str
    #: The good range (inclusive); values outside it are what focus areas are made of.
    good: tuple[float, float]
    #: "higher", "lower", or "range": which way is better, for arrows and colours.
    better: str
    #: Only answers of this kind have the metric (None: all answers).
    kind: str | None = None
    #: Shown as a percentage (0-1 values).
    percent: bool = False
    #: Decimals shown (percentages always show none).
    decimals: int = 0

    def format(self, value: float | None) -> str:
        """The value as shown to the user ("148", "3.2", "85%", "1.25x"); "-" when unknown."""
        if value is None:
            return "-"
        if self.percent:
            return f"{value * 100:.0f}%"
        text = f"{value:.{self.decimals}f}"
        return text + "x" if self.key == "length_ratio" else text

    def verdict(self, value: float | None) -> str | None:
        """"good", "fair" or "poor" against the reference range (None when unknown)."""
        if value is None:
            return None
        low, high = self.good
        if low <= value <= high:
            return "good"
        span = max(high - low, abs(high) * 0.25, 0.1)
        distance = (low - value) if value < low else (value - high)
        return "fair" if distance <= span * 0.5 else "poor"


#: The trends shown everywhere, in display order.
METRICS: dict[str, MetricSpec] = {spec.key: spec for spec in (
    # 130-160 ideal; 100-165 acceptable (MS Speaker Coach; Street & Brady 1982; Read.ai).
    MetricSpec("wpm", "Pace", "words per minute", (130.0, 160.0), "range"),
    # Under ~5 a minute carries no measurable penalty, ~12 a minute hurts (Laske et al. 2024).
    MetricSpec("fillers_per_min", "Fillers per minute", "", (0.0, 5.0), "lower", decimals=1),
    # The hedges score starts dropping past 0.5 per 100 words (README scoring table).
    MetricSpec("hedges_per_100", "Hedges per 100 words", "", (0.0, 0.5), "lower", decimals=1),
    MetricSpec("star_completeness", "STAR completeness", "share of the 4 parts", (1.0, 1.0), "higher", "behavioral",
               True),
    # A 60 s answer: action 25-30 s of it, the longest part (PRODUCT.md).
    MetricSpec("action_share", "Time on the action", "share of the answer", (0.40, 0.70), "higher", "behavioral",
               True),
    # Within a third of the target either way is on target.
    MetricSpec("length_ratio", "Length against target", "answer / target", (2 / 3, 4 / 3), "range", decimals=2),
    MetricSpec("think_score", "Think-aloud rubric", "0-100", (80.0, 100.0), "higher", "think_aloud"),
    # Hincks (2004): speakers' mean pitch variation quotient from 0.11 to 0.235 (README, "How it sounded").
    MetricSpec("pitch_variation", "Pitch variation", "PVQ", (0.11, 0.235), "range", decimals=2),
    # Speech level: under -40 dBFS is too quiet (README); -30 to -12 leaves room below clipping.
    MetricSpec("level_dbfs", "Speech level", "dBFS", (-30.0, -12.0), "range"),
)}

_THINK_NAMES = {
    "clarifying_questions": "a clarifying question before solving",
    "assumptions_stated": "assumptions stated out loud",
    "signposting": "the structure announced (\"first... second...\")",
    "tradeoffs_discussed": "a trade-off with both sides named",
    "summary_at_end": "a closing summary",
}


@dataclass(frozen=True)
class Point:
    attempt_id: int
    at: datetime
    value: float


@dataclass(frozen=True)
class Comparison:
    """One metric's mean over the first week of practice against the last seven days."""

    metric: str
    baseline: float | None
    baseline_n: int
    recent: float | None
    recent_n: int

    @property
    def change(self) -> float | None:
        if self.baseline is None or self.recent is None:
            return None
        return self.recent - self.baseline

    @property
    def improved(self) -> bool | None:
        """True when the last seven days are closer to (or further into) the good range."""
        if self.change is None or abs(self.change) < 1e-9:
            return None
        spec = METRICS[self.metric]
        if spec.better == "higher":
            return self.change > 0
        if spec.better == "lower":
            return self.change < 0
        return _distance(spec, self.recent) < _distance(spec, self.baseline)


@dataclass(frozen=True)
class QuestionProgress:
    """Attempts at one question: first, best and latest overall scores."""

    key: str
    label: str
    kind: str
    attempts: int
    first_score: float | None
    latest_score: float | None
    best_score: float | None
    best_attempt_id: int | None
    best_at: datetime | None
    first_at: datetime
    latest_at: datetime

    @property
    def change(self) -> float | None:
        if self.first_score is None or self.latest_score is None:
            return None
        return self.latest_score - self.first_score


@dataclass(frozen=True)
class FocusArea:
    """One thing to work on next: a sentence with the numbers behind it."""

    metric: str
    text: str
    #: How far outside the good range (larger is more urgent); the top three are shown.
    severity: float


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    label: str


@dataclass(frozen=True)
class Trends:
    total: int
    analysed: int
    failed: int
    first_at: datetime | None
    last_at: datetime | None
    series: dict[str, list[Point]]
    baseline: Window | None
    recent: Window | None
    comparisons: dict[str, Comparison]
    questions: list[QuestionProgress]
    focus: list[FocusArea]
    #: Why the first week cannot be compared with the last seven days yet, when it cannot.
    comparison_note: str | None = None


def metric_value(attempt: AttemptSummary, key: str) -> float | None:
    value = getattr(attempt.metrics, key)
    return None if value is None else float(value)


def compute_trends(attempts: Sequence[AttemptSummary], now: datetime | None = None) -> Trends:
    """Trends over ``attempts`` (any order).

    The baseline is the first seven days from the first attempt; "recent" is the last seven
    days (before ``now``), or the last seven days of practice when nothing was practised in the
    last week. Attempts in the baseline are never counted as recent too.
    """
    now = now or datetime.now(UTC)
    ordered = sorted(attempts, key=lambda a: (a.created_at, a.id))
    analysed = [a for a in ordered if a.analysed]
    series = {key: [Point(a.id, a.created_at, v) for a in analysed
                    if (v := metric_value(a, key)) is not None] for key in METRICS}
    first_at = ordered[0].created_at if ordered else None
    last_at = ordered[-1].created_at if ordered else None

    baseline = recent = None
    baseline_set: list[AttemptSummary] = []
    recent_set: list[AttemptSummary] = []
    note = None
    if analysed:
        start = analysed[0].created_at
        last_baseline_day = start + WEEK - timedelta(days=1)
        baseline = Window(start, start + WEEK, f"first week ({_day(start)} to {_day(last_baseline_day)})")
        baseline_set = [a for a in analysed if a.created_at < baseline.end]
        end = now if analysed[-1].created_at > now - WEEK else analysed[-1].created_at + timedelta(seconds=1)
        label = "last 7 days" if end is now else f"last 7 days of practice (to {_day(analysed[-1].created_at)})"
        recent = Window(max(end - WEEK, baseline.end), end, label)
        recent_set = [a for a in analysed if recent.start <= a.created_at < recent.end]
        if not recent_set:
            note = ("All your answers so far fall in your first week; keep practising and the first week will be "
                    "compared with your latest seven days here.")
            recent = None
    comparisons = {
        key: Comparison(key, *_mean(baseline_set, key), *_mean(recent_set, key)) for key in METRICS
    }
    return Trends(
        total=len(ordered), analysed=len(analysed), failed=sum(1 for a in ordered if a.analysis_error),
        first_at=first_at, last_at=last_at, series=series, baseline=baseline, recent=recent,
        comparisons=comparisons, questions=question_progress(analysed),
        focus=focus_areas(recent_set or analysed[-15:], baseline_set if recent_set else [],
                          "over the last 7 days" if recent_set else "so far" if len(analysed) <= 15 else "recently"),
        comparison_note=note,
    )


def _day(moment: datetime) -> str:
    return moment.astimezone().strftime("%d %b").lstrip("0")


def _mean(attempts: Sequence[AttemptSummary], key: str) -> tuple[float | None, int]:
    values = [v for a in attempts if (v := metric_value(a, key)) is not None]
    return (fmean(values) if values else None), len(values)


def _distance(spec: MetricSpec, value: float | None) -> float:
    if value is None:
        return float("inf")
    low, high = spec.good
    return max(0.0, low - value, value - high)


def question_progress(attempts: Sequence[AttemptSummary]) -> list[QuestionProgress]:
    """Per question (bank id or text): attempts, first/best/latest overall score, most practised first.
    A follow-up is a turn of the answer it followed, not an attempt at that question."""
    groups: dict[str, list[AttemptSummary]] = defaultdict(list)
    for attempt in attempts:
        if not attempt.is_follow_up:
            groups[attempt.question_key].append(attempt)
    out = []
    for key, group in groups.items():
        group.sort(key=lambda a: (a.created_at, a.id))
        scored = [a for a in group if a.metrics.overall is not None]
        best = max(scored, key=lambda a: (a.metrics.overall, a.created_at)) if scored else None
        out.append(QuestionProgress(
            key=key, label=group[-1].question_label, kind=group[-1].kind, attempts=len(group),
            first_score=scored[0].metrics.overall if scored else None,
            latest_score=scored[-1].metrics.overall if scored else None,
            best_score=best.metrics.overall if best else None, best_attempt_id=best.id if best else None,
            best_at=best.created_at if best else None, first_at=group[0].created_at, latest_at=group[-1].created_at,
        ))
    out.sort(key=lambda q: (-q.attempts, q.label))
    return out


def _first_week(baseline: Sequence[AttemptSummary], key: str, template: str) -> str:
    mean, _ = _mean(baseline, key)
    return f" (first week: {template.format(mean)})" if mean is not None else ""


def focus_areas(recent: Sequence[AttemptSummary], baseline: Sequence[AttemptSummary],
                period: str = "over the last 7 days", limit: int = 3) -> list[FocusArea]:
    """The ``limit`` most urgent things to work on, judged on ``recent``, compared with ``baseline``.

    Each is a specific sentence with the numbers behind it; at most one per metric. Fewer than
    ``limit`` come back when fewer metrics are outside their good range.

    Args:
        recent: the answers judged (the last seven days, or the latest answers).
        baseline: the first week's answers, quoted for comparison (may be empty).
        period: how ``recent`` is named in the sentences ("over the last 7 days").
        limit: how many to return at most.
    """
    spoken = [a for a in recent if a.metrics.spoken]
    behavioral = [a for a in recent if a.kind == "behavioral" and a.metrics.star_completeness is not None]
    thinking = [a for a in recent if a.kind == "think_aloud" and a.metrics.think_score is not None]
    candidates = [
        _pace_focus(spoken, baseline, period),
        _filler_focus(spoken, baseline, period),
        _hedge_focus(recent, baseline, period),
        _star_focus(behavioral, period),
        _result_focus(behavioral, period),
        _action_focus(behavioral, baseline, period),
        _length_focus(recent, period),
        _think_focus(thinking, period),
        _pitch_focus(spoken, baseline, period),
        _level_focus(spoken, baseline, period),
    ]
    found = sorted((c for c in candidates if c is not None), key=lambda f: -f.severity)
    return found[:limit]


def _pace_focus(spoken, baseline, period) -> FocusArea | None:
    wpm, n = _mean(spoken, "wpm")
    if wpm is None or 130 <= wpm <= 160:
        return None
    first = _first_week(baseline, "wpm", "{:.0f} wpm")
    answers = _count(n, "spoken answer")
    if wpm > 160:
        return FocusArea("wpm", f"Slow down: your pace averaged {wpm:.0f} wpm across {answers} {period}{first}, "
                                "above the 130-160 ideal; pause for a breath between the parts of your answer.",
                         (wpm - 160) / 25)
    return FocusArea("wpm", f"Pick up the pace: you averaged {wpm:.0f} wpm across {answers} {period}{first}, "
                            "below the 130-160 ideal; shorter sentences and fewer restarts help.", (130 - wpm) / 25)


def _filler_focus(spoken, baseline, period) -> FocusArea | None:
    fillers, n = _mean(spoken, "fillers_per_min")
    if fillers is None or fillers <= 5:
        return None
    first = _first_week(baseline, "fillers_per_min", "{:.1f} a minute")
    return FocusArea("fillers_per_min", f"Cut the fillers: {fillers:.1f} a minute across {_count(n, 'spoken answer')} "
                                        f"{period}{first}; under 5 a minute goes unnoticed, so pause silently when "
                                        "you need a moment.", (fillers - 5) / 5)


def _hedge_focus(recent, baseline, period) -> FocusArea | None:
    rate, n = _mean(recent, "hedges_per_100")
    if rate is None or rate <= 0.5:
        return None
    total = sum(a.metrics.hedge_count or 0 for a in recent)
    first = _first_week(baseline, "hedges_per_100", "{:.1f} per 100 words")
    return FocusArea("hedges_per_100", f"Hedge less: {total} hedges (\"I think\", \"maybe\", \"probably\") in "
                                       f"{_count(n, 'answer')} {period}, {rate:.1f} per 100 words{first}; state what "
                                       "you did and believe plainly.", (rate - 0.5) / 1.5)


def _star_focus(behavioral, period) -> FocusArea | None:
    complete = sum(1 for a in behavioral if a.metrics.star_completeness == 1.0)
    if not behavioral or complete == len(behavioral):
        return None
    part, times = Counter(p for a in behavioral for p in a.metrics.star_missing).most_common(1)[0]
    completeness = fmean(a.metrics.star_completeness for a in behavioral)
    return FocusArea("star_completeness",
                     f"Tell the whole STAR: {complete} of your {_count(len(behavioral), 'behavioral answer')} "
                     f"{period} had all four parts; the {part} was missing in {times} of them.",
                     (1 - completeness) * 3 + times / len(behavioral))


def _result_focus(behavioral, period) -> FocusArea | None:
    with_result = [a for a in behavioral if "result" not in a.metrics.star_missing]
    quantified = sum(1 for a in with_result if a.metrics.result_quantified)
    if not with_result or quantified / len(with_result) >= 0.6:
        return None
    return FocusArea("result_quantified",
                     f"Put a number on the result: only {quantified} of the {len(with_result)} results you gave "
                     f"{period} had a magnitude (a percentage, a count, hours saved, \"cut in half\").",
                     (0.6 - quantified / len(with_result)) * 2)


def _action_focus(behavioral, baseline, period) -> FocusArea | None:
    # Answers with no action at all are already covered by the STAR sentence.
    action, _ = _mean([a for a in behavioral if "action" not in a.metrics.star_missing], "action_share")
    if action is None or action >= 0.40:
        return None
    first = _first_week(baseline, "action_share", "{:.0%}")
    return FocusArea("action_share", f"Give your actions the most time: they took {action * 100:.0f}% of your "
                                     f"behavioral answers {period}{first}; aim for 40-50%, with two sentences of "
                                     "background at most.", (0.40 - action) / 0.1)


def _length_focus(recent, period) -> FocusArea | None:
    ratio, n = _mean(recent, "length_ratio")
    if ratio is None or 2 / 3 <= ratio <= 4 / 3:
        return None
    ratios = [a.metrics.length_ratio for a in recent if a.metrics.length_ratio is not None]
    if ratio > 4 / 3:
        long = sum(1 for r in ratios if r > 4 / 3)
        return FocusArea("length_ratio", f"Tighten your answers: they ran {ratio:.1f}x their target length on "
                                         f"average {period} ({long} of {n} too long); stop after the result.",
                         (ratio - 4 / 3) / 0.33)
    short = sum(1 for r in ratios if r < 2 / 3)
    return FocusArea("length_ratio", f"Say more: your answers were {ratio * 100:.0f}% of their target length on "
                                     f"average {period} ({short} of {n} too short); add what you did and what came "
                                     "of it.", (2 / 3 - ratio) / 0.33)


def _think_focus(thinking, period) -> FocusArea | None:
    if not thinking:
        return None
    score = fmean(a.metrics.think_score for a in thinking)
    if score >= 80:
        return None
    missing = Counter(item for a in thinking for item in a.metrics.think_missing).most_common(1)
    detail = ""
    if missing:
        item, times = missing[0]
        detail = f"; most often missing: {_THINK_NAMES.get(item, item)} ({times} of {len(thinking)})"
    return FocusArea("think_score", f"Reason out loud more fully: your think-aloud answers scored {score:.0f}/100 "
                                    f"on the rubric {period}{detail}.", (80 - score) / 25)


def _outside(answers, key: str) -> tuple[list[float], int, int]:
    """The values of ``key``, how many fall below its good band and how many above."""
    low, high = METRICS[key].good
    values = [v for a in answers if (v := metric_value(a, key)) is not None]
    return values, sum(1 for v in values if v < low), sum(1 for v in values if v > high)


def _pitch_focus(spoken, baseline, period) -> FocusArea | None:
    # Only a habit counts: one flat answer in ten is a tired day, not something to work on.
    values, below, _ = _outside(spoken, "pitch_variation")
    low, high = METRICS["pitch_variation"].good
    if not values or below * 2 < len(values) or fmean(values) >= low:
        return None
    mean = fmean(values)
    first = _first_week(baseline, "pitch_variation", "{:.2f}")
    return FocusArea("pitch_variation",
                     f"Vary your pitch: it was below the typical band ({low:.2f}-{high:.3g}) in {below} of your "
                     f"{_count(len(values), 'spoken answer')} {period}, averaging {mean:.2f}{first}; lift the key "
                     "word of each sentence and let your voice fall at its end.", (low - mean) / 0.03)


def _level_focus(spoken, baseline, period) -> FocusArea | None:
    values, below, above = _outside(spoken, "level_dbfs")
    low, high = METRICS["level_dbfs"].good
    if not values:
        return None
    mean = fmean(values)
    first = _first_week(baseline, "level_dbfs", "{:.0f} dBFS")
    answers = _count(len(values), "spoken answer")
    if below * 2 >= len(values) and mean < low:
        return FocusArea("level_dbfs", f"Speak up or move closer to the microphone: your speech came in under {low:.0f} "
                                       f"dBFS in {below} of your {answers} {period}, averaging {mean:.0f} dBFS{first}; "
                                       "under -40 is too quiet to hear well.", (low - mean) / 6)
    if above * 2 >= len(values) and mean > high:
        return FocusArea("level_dbfs", f"Turn the microphone's input gain down: your speech came in over {high:.0f} dBFS "
                                       f"in {above} of your {answers} {period}, averaging {mean:.0f} dBFS{first}; "
                                       "loud words near full scale clip and distort.", (mean - high) / 6)
    return None


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"

