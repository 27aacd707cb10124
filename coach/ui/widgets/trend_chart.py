"""A metric over time as a terminal chart (textual-plotext): a dot per answer, the running
average, and the good range as two green lines."""

from __future__ import annotations

import time
from datetime import datetime

from textual.app import RenderResult
from textual.message import Message
from textual_plotext import PlotextPlot

from coach.storage.trends import MetricSpec


class TrendChart(PlotextPlot):
    """One metric over time: a dot per answer, the running average, and the good range."""

    class Drawn(Message):
        """The chart was rendered with its data for the first time."""

    def __init__(self, spec: MetricSpec, **kwargs) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        #: How many points the chart holds (tests wait for the charts to fill).
        self.points = 0
        #: When the chart was first rendered with its data (``time.perf_counter()``), which is
        #: what the benchmark times; None until then (a chart scrolled out of view is not rendered).
        self.drawn_at: float | None = None
        #: The date labels on the x axis (one per day shown, never a day without an attempt).
        self.tick_labels: list[str] = []

    def render(self) -> RenderResult:
        """Draw the plot; the first time it holds data, note when and say so (:class:`Drawn`),
        which is how the screen knows the charts are on screen."""
        rendered = super().render()
        if self.points and self.drawn_at is None:
            self.drawn_at = time.perf_counter()
            self.post_message(self.Drawn())
        return rendered

    def show(self, when: list[datetime], values: list[float], start: datetime | None = None) -> None:
        """Draw the series (``when`` sorted), one point per attempt in the order they were given.

        ``start`` is unused: the x axis is the attempts themselves, not the calendar, so a busy
        day's answers do not fall into one column; date ticks mark where a new day begins."""
        from coach.reports.svg import nice_ticks, rolling_mean

        spec = self.spec
        plt = self.plt
        plt.clear_figure()
        plt.title(f"{spec.title} ({spec.unit})" if spec.unit else spec.title)
        self.points = len(values)
        self.drawn_at = None
        self.tick_labels = []
        if not values:
            plt.xlabel("no answers with this measure yet")
            self.refresh()
            return
        scale = 100.0 if spec.percent else 1.0
        xs = list(range(len(values)))
        shown = [v * scale for v in values]
        plt.scatter(xs, shown, marker="braille", color="blue+")
        if len(shown) >= 3:
            plt.plot(xs, rolling_mean(shown, max(3, len(shown) // 15)), marker="braille", color="orange")
        low, high = (bound * scale for bound in spec.good)
        for bound in sorted({low, high}):
            plt.hline(bound, "green")
        # Keep the good range in view without squashing the data (a level in dBFS is negative).
        bottom = 0.0 if spec.percent else min(min(shown), low)
        top = 100.0 if spec.percent else max(max(shown), high)
        if top - bottom < 1e-9:
            top = bottom + 1
        ticks = [t for t in nice_ticks(bottom, top, 4) if bottom <= t <= top]
        plt.yticks(ticks, [f"{t:.0f}%" if spec.percent else f"{t:g}" for t in ticks])
        plt.ylim(bottom, top + (top - bottom) * 0.04)
        plt.xlim(-0.5, max(len(xs) - 1, 0) + 0.5)
        positions, self.tick_labels = date_ticks(when)
        plt.xticks(positions, self.tick_labels)
        self.refresh()


def date_ticks(when: list[datetime], most: int = 4) -> tuple[list[int], list[str]]:
    """Where to label the x axis of a chart with one point per attempt: at most ``most`` ticks,
    each at the first attempt of a day, each day once, in local time.

    Returns the attempts' positions (indexes into ``when``) and their "27 Nov" labels."""
    firsts: list[int] = []
    last_day = None
    for index, moment in enumerate(when):
        day = moment.astimezone().date()
        if day != last_day:
            firsts.append(index)
            last_day = day
    if len(firsts) > most:
        # Spread over the attempts, not over the calendar: evenly by position among the days.
        step = (len(firsts) - 1) / (most - 1)
        firsts = sorted({firsts[round(i * step)] for i in range(most)})
    return firsts, [when[i].astimezone().strftime("%d %b") for i in firsts]
