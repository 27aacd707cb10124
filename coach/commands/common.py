"""What the commands share: counted nouns and a progress bar for the stages of a long analysis."""

from __future__ import annotations

import sys


def count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


class StageProgress:
    """A spinner and bar on stderr while a file is analysed, only when stderr is a terminal."""

    def __enter__(self):
        self._progress = None
        if not sys.stderr.isatty():
            return lambda stage, done: None
        from rich.console import Console
        from rich.progress import BarColumn, Progress, SpinnerColumn, TaskProgressColumn, TextColumn

        self._progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                  TaskProgressColumn(), console=Console(stderr=True), transient=True)
        self._progress.start()
        task = self._progress.add_task("reading audio", total=1.0)

        def update(stage: str, done: float) -> None:
            self._progress.update(task, description=stage, completed=done)

        return update

    def __exit__(self, *exc_info) -> None:
        if self._progress is not None:
            self._progress.stop()
