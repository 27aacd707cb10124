"""A metric over time as a terminal chart (textual-plotext): a dot per answer, the running
average, and the good range as two green lines."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

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

    def render(self) -> RenderResult:
        """Draw the plot; the first time it holds data, note when and say so (:class:`Drawn`),
        which is how the screen knows the charts are on screen."""
        rendered = super().render()
        if self.points and self.drawn_at is None:
            self.drawn_at = time.perf_counter()
            self.post_message(self.Drawn())
        return rendered

    def show(self, when: list[datetime], values: list[float], start: datetime | None) -> None:
        """Draw the series (``when`` sorted); ``start`` is day 0 of the x axis."""
        from coach.reports.svg import nice_ticks, rolling_mean

        spec = self.spec
        plt = self.plt
        plt.clear_figure()
        plt.title(f"{spec.title} ({spec.unit})" if spec.unit else spec.title)
        self.points = len(values)
        self.drawn_at = None
        if not values or start is None:
            plt.xlabel("no answers with this measure yet")
            self.refresh()
            return
        scale = 100.0 if spec.percent else 1.0
        days = [(moment - start).total_seconds() / 86400 for moment in when]
        shown = [v * scale for v in values]
        plt.scatter(days, shown, marker="braille", color="blue+")
        if len(shown) >= 3:
            plt.plot(days, rolling_mean(shown, max(3, len(shown) // 15)), marker="braille", color="orange")
        low, high = (bound * scale for bound in spec.good)
        for bound in sorted({low, high}):
            plt.hline(bound, "green")
        # Every measure is non-negative; keep the good range in view without squashing the data.
        bottom = 0.0 if spec.percent else max(0.0, min(min(shown), low))
        top = 100.0 if spec.percent else max(max(shown), high)
        if top - bottom < 1e-9:
            top = bottom + 1
        ticks = [t for t in nice_ticks(bottom, top, 4) if bottom <= t <= top]
        plt.yticks(ticks, [f"{t:.0f}%" if spec.percent else f"{t:g}" for t in ticks])
        plt.ylim(bottom, top + (top - bottom) * 0.04)
        last_day = max(days[-1], 1.0)
        plt.xlim(0, last_day)
        day_ticks = [t for t in nice_ticks(0, last_day, 4) if t <= last_day]
        plt.xticks(day_ticks, [(start + timedelta(days=t)).astimezone().strftime("%d %b") for t in day_ticks])
        self.refresh()
