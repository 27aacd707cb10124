"""Watching one of the app's reactives from a screen or widget for only as long as it is mounted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class AppWatcher:
    """Mixin for a screen or widget: :meth:`watch_app` is ``self.watch(self.app, ...)``, undone
    when it is unmounted.

    Textual keeps the watcher of another object's reactive in that object's list until the
    reactive next changes. A screen that watched an app attribute which then did not change
    stayed alive with all its widgets: a session kept every feedback screen it had shown, one
    per answer (``benchmarks/practice_session.py --only memory``).
    """

    def watch_app(self, attribute: str, callback: Callable[..., Any], *, init: bool = True) -> None:
        app = self.app  # type: ignore[attr-defined]
        self.watch(app, attribute, callback, init=init)  # type: ignore[attr-defined]
        watched = self.__dict__.setdefault("_app_watched", [])
        watched.append((app, attribute))

    def on_unmount(self) -> None:
        for app, attribute in self.__dict__.pop("_app_watched", []):
            # Textual's own list (reactive.py keeps it under this name on the watched object).
            watchers = getattr(app, "__watchers", {}).get(attribute)
            if watchers:
                watchers[:] = [(node, callback) for node, callback in watchers if node is not self]
