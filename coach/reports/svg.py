"""Small, dependency-free SVG charts for the HTML report.

Written by hand rather than with a plotting library: the report must be one self-contained
file, and a thousand attempts' worth of points should cost kilobytes, not a PNG per chart. The
points are drawn as one ``<path>`` of zero-length round-capped segments (a dot each) instead of
a thousand ``<circle>`` elements.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from html import escape

_DOT = "#5b7db1"
_LINE = "#1f3b73"
_BAND = "#2e9e5b"
_AXIS = "#8a8f98"
_TEXT = "#3a3f47"


def rolling_mean(values: Sequence[float], window: int) -> list[float]:
    """The mean of each value with the ``window - 1`` before it (fewer at the start)."""
    out, total = [], 0.0
    for i, value in enumerate(values):
        total += value
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


def nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    """Round tick values covering ``low``-``high`` (1, 2, 2.5 or 5 times a power of ten apart)."""
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = min((m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw), default=raw)
    first = math.ceil(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-6:
        ticks.append(round(value, 10))
        value += step
    return ticks


def line_chart(
    times: Sequence[datetime],
    values: Sequence[float],
    *,
    title: str,
    band: tuple[float, float] | None = None,
    percent: bool = False,
    unit: str = "",
    width: int = 520,
    height: int = 210,
) -> str:
    """An inline ``<svg>``: one dot per attempt over time, a rolling-mean line, and the good
    range shaded.

    Args:
        times: when each attempt was given (sorted).
        values: the metric per attempt.
        title: shown at the top left and as the chart's accessible title.
        band: the good range, shaded green.
        percent: values are 0-1 shares, labelled as percentages.
        unit: shown after the title.
    """
    left, right, top, bottom = 46, 14, 30, 26
    plot_w, plot_h = width - left - right, height - top - bottom
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
            f'height="{height}" role="img" class="chart"><title>{escape(title)}</title>'
            f'<text x="{left}" y="18" font-size="13" font-weight="600" fill="{_TEXT}">{escape(title)}'
            + (f' <tspan font-weight="400" fill="{_AXIS}">({escape(unit)})</tspan>' if unit else "")
            + "</text>")
    if not values:
        return (head + f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" font-size="12" fill="{_AXIS}">'
                "no answers with this measure yet</text></svg>")

    low, high = min(values), max(values)
    if band is not None:
        # Keep the good range in view, but do not let it squash the data into a line.
        low, high = min(low, band[0]), max(high, band[1])
    if percent:
        low, high = 0.0, max(1.0, high)
    if high - low < 1e-9:
        low, high = low - 1, high + 1
    pad = (high - low) * 0.06
    low, high = (low if percent else low - pad), high + pad
    start, end = times[0].timestamp(), times[-1].timestamp()
    span = end - start

    def x(t: datetime) -> float:
        return left + (plot_w / 2 if span <= 0 else (t.timestamp() - start) / span * plot_w)

    def y(v: float) -> float:
        return top + plot_h - (v - low) / (high - low) * plot_h

    parts = [head]
    if band is not None:
        b_low, b_high = max(band[0], low), min(band[1], high)
        if b_high > b_low:
            parts.append(f'<rect x="{left}" y="{y(b_high):.1f}" width="{plot_w}" height="{y(b_low) - y(b_high):.1f}" '
                         f'fill="{_BAND}" fill-opacity="0.13"/>')
    for tick in nice_ticks(low, high):
        if tick < low or tick > high:
            continue
        label = f"{tick * 100:.0f}%" if percent else (f"{tick:g}" if abs(tick) < 1000 else f"{tick:.0f}")
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
                     f'stroke="{_AXIS}" stroke-opacity="0.25"/>'
                     f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" font-size="10" fill="{_AXIS}">'
                     f"{label}</text>")
    for moment, anchor in ((times[0], "start"), (times[-1], "end")) if span > 0 else ((times[0], "middle"),):
        parts.append(f'<text x="{x(moment):.1f}" y="{height - 8}" text-anchor="{anchor}" font-size="10" '
                     f'fill="{_AXIS}">{moment.astimezone().strftime("%d %b %Y").lstrip("0")}</text>')
    dots = "".join(f"M{x(t):.1f} {y(v):.1f}h0" for t, v in zip(times, values))
    parts.append(f'<path d="{dots}" stroke="{_DOT}" stroke-opacity="0.55" stroke-width="4" '
                 'stroke-linecap="round" fill="none"/>')
    if len(values) >= 3:
        smooth = rolling_mean(values, max(3, len(values) // 15))
        line = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in zip(times, smooth))
        parts.append(f'<polyline points="{line}" fill="none" stroke="{_LINE}" stroke-width="2.2" '
                     'stroke-linejoin="round"/>')
    parts.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="{_AXIS}"/>'
                 f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="{_AXIS}"/>')
    parts.append("</svg>")
    return "".join(parts)


def score_bar(value: float | None, width: int = 120, height: int = 10) -> str:
    """A small horizontal 0-100 bar for tables."""
    if value is None:
        return ""
    colour = "#2e9e5b" if value >= 75 else "#d19a00" if value >= 50 else "#c94a3b"
    filled = max(0.0, min(100.0, value)) / 100 * width
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" class="bar" role="img">'
            f'<title>{value:.0f} of 100</title>'
            f'<rect width="{width}" height="{height}" rx="3" fill="#e4e7ec"/>'
            f'<rect width="{filled:.1f}" height="{height}" rx="3" fill="{colour}"/></svg>')


_BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float], buckets: int = 24) -> str:
    """A text sparkline of ``values`` averaged into at most ``buckets`` bars (for Markdown)."""
    if not values:
        return ""
    n = min(buckets, len(values))
    means = []
    for i in range(n):
        chunk = values[i * len(values) // n:(i + 1) * len(values) // n]
        means.append(sum(chunk) / len(chunk))
    low, high = min(means), max(means)
    if high - low < 1e-9:
        return _BLOCKS[3] * n
    return "".join(_BLOCKS[round((m - low) / (high - low) * (len(_BLOCKS) - 1))] for m in means)
