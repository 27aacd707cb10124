"""The launch benchmark's comparator: a bare Textual app with six labels, started the way
`coach practice` is (same interpreter, same terminal size). The first label says "Pick a
question", the text the benchmark waits for on coach's home screen.

    .venv/bin/python benchmarks/bare_app.py
"""

from textual.app import App, ComposeResult
from textual.widgets import Label


class BareApp(App):
    def compose(self) -> ComposeResult:
        yield Label("Pick a question")
        for n in range(5):
            yield Label(f"label {n + 2}")


if __name__ == "__main__":
    BareApp().run()
