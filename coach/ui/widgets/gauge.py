"""A value on a scale with its reference range marked."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget


class RangeGauge(Widget):
    """``label  ───[====]──●──  value unit (note)``: where a measurement falls against its
    reference range."""

    DEFAULT_CSS = """
    RangeGauge { height: 1; }
    """

    def __init__(self, label: str, value: float | None, low: float, high: float, scale_max: float,
                 unit: str, note: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.label, self.value, self.low, self.high = label, value, low, high
        self.scale_max, self.unit, self.note = scale_max, unit, note

    def render(self) -> Text:
        width = max(10, min(40, self.size.width - 50))
        line = Text(f"{self.label:<10}", style="bold")
        cells = []
        for i in range(width):
            at = i / (width - 1) * self.scale_max
            cells.append("━" if self.low <= at <= self.high else "─")
        marker = None
        if self.value is not None:
            marker = min(width - 1, int(self.value / self.scale_max * (width - 1)))
        for i, cell in enumerate(cells):
            if i == marker:
                inside = self.low <= self.value <= self.high
                line.append("●", "bold green" if inside else "bold red")
            else:
                line.append(cell, "green4" if cell == "━" else "grey35")
        value = "n/a" if self.value is None else f"{self.value:.1f}".rstrip("0").rstrip(".")
        line.append(f"  {value} {self.unit}")
        if self.note:
            line.append(f"  ({self.note})", "grey62")
        return line
