"""The bottom of the screen stack when a lesson is named on the command line.

The picker is built only when the student goes back to the lessons (see
ChainTutorApp.back_to_lessons): composed and laid out beneath the lesson's first
screen, it would hold that screen back by about 0.1 s. Never on view itself: the
lesson's screens stand on it, and the picker replaces them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.screen import Screen

if TYPE_CHECKING:
    from tutor.app.screens.picker import PickerScreen


class BaseScreen(Screen[None]):
    pass


def picker_screen() -> type[PickerScreen]:
    """The picker's class, its module imported now: not before a lesson's first screen."""
    from tutor.app.screens.picker import PickerScreen

    return PickerScreen
