"""The answer as a bar coloured by STAR part, in time order, with each part's share."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

PART_COLOURS = {"situation": "dodger_blue2", "task": "magenta", "action": "green3", "result": "gold1",
                "other": "grey50"}


class StarTimeline(Widget):
    DEFAULT_CSS = """
    StarTimeline { height: 3; }
    """

    def __init__(self, star: dict, **kwargs) -> None:
        super().__init__(**kwargs)
        self.star = star

    def render(self) -> Text:
        width = max(20, self.size.width - 2)
        sentences = self.star["sentences"]
        timed = all(s["start"] is not None for s in sentences)
        weights = [(s["end"] - s["start"]) if timed else len(s["text"].split()) for s in sentences]
        total = sum(weights) or 1
        bar = Text()
        used = 0
        for index, (sentence, weight) in enumerate(zip(sentences, weights)):
            cells = round(weight / total * width) if index < len(sentences) - 1 else width - used
            used += max(0, cells)
            bar.append("█" * max(0, cells), PART_COLOURS[sentence["label"]])
        legend = Text()
        seconds = self.star.get("time_s")
        for part, colour in PART_COLOURS.items():
            share = self.star["time_share"][part]
            amount = f"{seconds[part]:.0f}s" if seconds else f"{share:.0%}"
            legend.append("■ ", colour)
            legend.append(f"{part} {amount}   ")
        facts = Text()
        missing = [p for p, present in self.star["present"].items() if not present]
        facts.append("All four parts" if not missing else "Missing: " + ", ".join(missing),
                     "green" if not missing else "bold red")
        facts.append(" · in order" if self.star["in_order"] else " · out of order")
        facts.append(" · result has a number" if self.star["result_quantified"] else " · result has no number")
        if self.star["ownership"]:
            facts.append(f" · told as \"{self.star['ownership']}\" (I {self.star['i_count']}, we {self.star['we_count']})")
        return Text("\n").join([bar, legend, facts])
