"""A footer that greys keys in and out in place instead of rebuilding itself."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer

from tutor.app.textual_patches import (
    FooterKey,
    footer_bindings_ready,
    footer_key_disabled,
    mark_footer_ready,
    set_footer_key_disabled,
)


class SteadyFooter(Footer):
    """Textual's Footer recomposes on every bindings refresh: it removes every key and
    mounts new ones, and restyling them all stalls the lesson screen for 15–40 ms each
    time a step is solved. When the same keys are shown, only their `-disabled` class
    (greyed out, see check_action) can have changed, so only that is updated.

    Relies on Footer internals (see textual_patches.py), which is safe while Textual is
    pinned exactly; tooltips are taken to be fixed, as ours are.
    """

    def __init__(self, *, compact: bool = False, show_command_palette: bool = True) -> None:
        super().__init__(compact=compact, show_command_palette=show_command_palette)
        # Keys from the first frame on: Textual's waits for a bindings refresh, one frame
        # after its screen appears (the screen's own keys are known from the start).
        mark_footer_ready(self)

    def bindings_changed(self, screen: Screen) -> None:
        footer_bindings_ready(self)
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen:
            self.call_after_refresh(self._update_keys)

    async def _update_keys(self) -> None:
        if not self.is_attached:  # its screen was dismissed meanwhile
            return
        keys = list(self.query(FooterKey))
        wanted = self._shown()
        if [(key.key, key.action) for key in keys] != [(k, a) for k, a, _ in wanted]:
            await self.recompose()
            return
        changed = []
        for key, (_, _, enabled) in zip(keys, wanted, strict=True):
            if footer_key_disabled(key) == enabled:
                set_footer_key_disabled(key, not enabled)
                key.set_class(not enabled, "-disabled", update=False)
                changed.append(key)
        if changed:  # restyled together: keys alike share the stylesheet's lookups
            self.app.stylesheet.update_nodes(changed, animate=False)

    def _shown(self) -> list[tuple[str, str, bool]]:
        """(key, action, enabled) of each key compose would show, in its order."""
        first: dict[str, tuple[str, str, bool]] = {}
        for _node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if binding.show:
                first.setdefault(binding.action, (binding.key, binding.action, enabled))
        return list(first.values())
