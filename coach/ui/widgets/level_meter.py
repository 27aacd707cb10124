"""A live microphone level bar."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

_FLOOR_DB = -60.0


class LevelMeter(Widget):
    """The input level in dBFS as a bar: green for speech, grey for room noise."""

    DEFAULT_CSS = """
    LevelMeter { height: 1; }
    """

    level: reactive[float] = reactive(_FLOOR_DB)

    def render(self) -> Text:
        width = max(10, self.size.width - 12)
        share = min(1.0, max(0.0, (self.level - _FLOOR_DB) / -_FLOOR_DB))
        cells = int(share * width)
        colour = "green" if self.level > -42 else "grey50"
        if self.level > -3:
            colour = "red"
        bar = Text("mic ", style="bold")
        bar.append("█" * cells, colour)
        bar.append("░" * (width - cells), "grey23")
        bar.append(f" {max(self.level, _FLOOR_DB):5.0f} dB")
        return bar
