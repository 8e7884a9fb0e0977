"""The lesson screen's footer: every key of an action shown (F2/^g), in two rows where
one does not fit, and keys greyed in and out in place instead of rebuilding it."""

from __future__ import annotations

from collections.abc import Iterator

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import HorizontalGroup
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer

from tutor.app.textual_patches import (
    FooterKey,
    FooterLabel,
    KeyGroup,
    footer_bindings_ready,
    footer_key_disabled,
    mark_footer_ready,
    set_footer_key_disabled,
)

Shown = tuple[list[Binding], bool, str]  # an action's bindings, enabled, tooltip
DIM, STRUCK = Style(dim=True), Style(strike=True)


class GreyableKey(FooterKey):
    """A key greyed (dim; struck through under NO_COLOR, where grey is no colour) by its
    flag, read as it is drawn. Textual's greys a key by its `-disabled` class, and
    restyling keys from the stylesheet was the costliest part of a verdict's handler
    (1–3 ms, of some 20); this one repaints. Its `-greyed` class, set without a restyle
    (no rule reads it), shows the flag to a query or the devtools."""

    def __init__(self, *args, disabled: bool = False, **kwargs) -> None:
        super().__init__(*args, disabled=False, **kwargs)
        self.grey(disabled)

    def grey(self, greyed: bool) -> None:
        set_footer_key_disabled(self, greyed)  # the flag a click reads, as Textual's
        self.set_class(greyed, "-greyed", update=False)

    def render(self) -> Text:
        text = super().render()
        if footer_key_disabled(self):
            text.stylize(STRUCK if self.app.no_color else DIM)
        return text


class SteadyFooter(Footer):
    """Textual's Footer shows one key per action, on one line that is cut where the
    terminal ends: at 60 columns Quit and Help were gone. This one shows each action
    with all its keys (``F2/^g Hint``: the F-key, and a Ctrl key for keyboards or
    terminals without it) and lays them out in two rows, side by side where the
    screen is wide enough for one line (app.tcss).

    Textual's Footer also recomposes on every bindings refresh: it removes every key and
    mounts new ones, and restyling them all stalls the lesson screen for 15–40 ms each
    time a step is solved. When the same keys are shown, only whether each is greyed
    (see check_action) can have changed, so only that is updated (GreyableKey).

    Relies on Footer internals (see textual_patches.py), which is safe while Textual is
    pinned exactly; tooltips are taken to be fixed, as ours are.
    """

    def __init__(self, *, compact: bool = False, show_command_palette: bool = True) -> None:
        super().__init__(compact=compact, show_command_palette=show_command_palette)
        # Keys from the first frame on: Textual's waits for a bindings refresh, one frame
        # after its screen appears (the screen's own keys are known from the start).
        mark_footer_ready(self)

    def compose(self) -> ComposeResult:
        items, widths = [], []
        for item, width in self._items():
            items.append(item)
            widths.append(width)
        half, running, split = sum(widths) / 2, 0, len(items)
        for index, width in enumerate(widths):
            running += width
            if running >= half:
                split = index + 1
                break
        with HorizontalGroup(classes="footer-row"):
            yield from items[:split]
        with HorizontalGroup(classes="footer-row -second"):
            yield from items[split:]

    def _items(self) -> Iterator[tuple[Widget, int]]:
        """One widget per action, or per group of actions (PgUp/^p PgDn/^n Step), and
        the cells it takes in a compact footer (its keys, its label, the gaps)."""
        entries = list(self._actions().values())
        index = 0
        while index < len(entries):
            group = entries[index][0][0].group
            members = [entries[index]]
            while (group is not None and index + len(members) < len(entries)
                   and entries[index + len(members)][0][0].group == group):
                members.append(entries[index + len(members)])
            index += len(members)
            if group is not None and len(members) > 1:
                keys = [self._key(entry, "", classes="-grouped") for entry in members]
                width = sum(len(key.key_display) + 1 for key in keys) + len(
                    group.description) + 2
                yield KeyGroup(*keys, FooterLabel(group.description),
                               classes="-compact" if group.compact else ""), width
            else:
                key = self._key(members[0], members[0][0][0].description)
                yield key, len(key.key_display) + len(key.description) + 2

    def _actions(self) -> dict[str, Shown]:
        shown: dict[str, Shown] = {}
        for _node, binding, enabled, tooltip in self.screen.active_bindings.values():
            if binding.show:
                if binding.action in shown:
                    shown[binding.action][0].append(binding)
                else:
                    shown[binding.action] = ([binding], enabled, tooltip)
        return shown

    def _key(self, entry: Shown, description: str, classes: str = "") -> FooterKey:
        bindings, enabled, tooltip = entry
        return GreyableKey(
            bindings[0].key, self.key_display(bindings), description, bindings[0].action,
            disabled=not enabled, tooltip=tooltip or bindings[0].description, classes=classes,
        ).data_bind(compact=Footer.compact)

    def key_display(self, bindings: list[Binding]) -> str:
        """Every key of one action, as the app writes them: F2/^g."""
        displays: list[str] = []
        for binding in bindings:
            display = self.app.get_key_display(binding)
            if display not in displays:
                displays.append(display)
        return "/".join(displays)

    def shown_keys(self) -> list[tuple[str, str]]:
        """(keys, description) as the footer shows them, in order: for the README's table."""
        return [(self.key_display(bindings), bindings[0].description)
                for bindings, _enabled, _tooltip in self._actions().values()]

    def bindings_changed(self, screen: Screen) -> None:
        """Keys greyed in or out now, so that they are drawn in the same frame as the
        change that caused them (a verdict): Textual's Footer waits for the next refresh,
        and its keys then take a frame of their own. Other keys shown: recomposed after
        the next refresh, as Textual's."""
        footer_bindings_ready(self)
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._grey_keys():
            self.call_after_refresh(self._update_keys)

    def grey_keys_now(self) -> None:
        """Grey keys in and out at once, for a screen whose actions it has just changed:
        their repaints reach the screen with those of the widgets it changed, in one
        frame. Left to the bindings' signal, they come a moment after that frame has
        been drawn, and take one of their own (the signal finds nothing left to do)."""
        if self.is_attached and self.screen.is_current:
            self._grey_keys()

    async def _update_keys(self) -> None:
        if self.is_attached and not self._grey_keys():  # not dismissed meanwhile
            await self.recompose()

    def _grey_keys(self) -> bool:
        """Each key greyed as its action allows (repainted where that changed); False,
        and nothing done, if the footer shows other keys than its actions' (it must be
        recomposed)."""
        keys = list(self.query(GreyableKey))
        wanted = self._shown()
        if [(key.key, key.action) for key in keys] != [(k, a) for k, a, _ in wanted]:
            return False
        for key, (_, _, enabled) in zip(keys, wanted, strict=True):
            if footer_key_disabled(key) == enabled:
                key.grey(not enabled)
                key.refresh()
        return True

    def _shown(self) -> list[tuple[str, str, bool]]:
        """(key, action, enabled) of each key compose shows, in its order."""
        return [(bindings[0].key, action, enabled)
                for action, (bindings, enabled, _tooltip) in self._actions().items()]

