"""Textual's footer, rebuilt only when the keys it shows change."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class SteadyFooter(Footer):
    """A Footer that skips rebuilding itself when its keys are the same as last time.

    Textual's footer rebuilds all of its keys whenever the screen says its bindings may have
    changed, which happens several times while a screen is pushed (mount, focus, resume) with
    the same keys each time; every rebuild restyles each key.
    """

    _shown: tuple | None = None

    def _keys(self, screen: Screen) -> tuple:
        return tuple((binding.key, binding.action, binding.description, enabled, tooltip,
                      binding.group.description if binding.group else None)
                     for _node, binding, enabled, tooltip in screen.active_bindings.values() if binding.show)

    def bindings_changed(self, screen: Screen) -> None:
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            keys = self._keys(screen)
            if self._bindings_ready and keys == self._shown:
                return
            self._shown = keys
        super().bindings_changed(screen)
