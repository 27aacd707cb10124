"""The top line: the app's title and what it is doing (model loading, ready)."""

from __future__ import annotations

from textual.widgets import Static

from coach.ui.app_watch import AppWatcher


class TitleBar(AppWatcher, Static):
    """Used instead of Textual's Header, whose first title update raises when its screen is
    removed before that update runs (quitting or switching screens right after one opens)."""

    DEFAULT_CSS = """
    TitleBar {
        dock: top;
        width: 100%;
        height: 1;
        background: $panel;
        color: $foreground;
        text-style: bold;
        content-align: center middle;
    }
    """

    def on_mount(self) -> None:
        self.watch_app("title", self._show)
        self.watch_app("sub_title", self._show)

    def _show(self, _value: str = "") -> None:
        sub_title = f" — {self.app.sub_title}" if self.app.sub_title else ""
        self.update(f"{self.app.title}{sub_title}")
