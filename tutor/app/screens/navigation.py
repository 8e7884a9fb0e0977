"""How a screen asks to go somewhere else: one typed door, handed down by the app.

Attributes down, not calls up through ``self.app``: each screen is given the
Navigator that made it (the app) and calls only these methods, so a screen
can be built and tested with any navigator, and a type checker sees every way
between screens. The calls are direct, not posted messages, on purpose: keys sent
right after Enter on the picker are handled before a posted message would be, and
would go to the picker instead of the lesson (tests/app/test_tui_typeahead.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable

    from textual.screen import Screen

    from tutor.progress.tracing import SkillState
    from tutor.session import LessonSession


class Navigator(Protocol):
    def open_lesson(self, lesson_id: str, seed: int | None = None, intro: bool = True
                    ) -> bool:
        """Its intro first if it is new to the student, then its steps; False if it
        cannot be opened (the student is told why)."""

    def open_network(self, text: str) -> None:
        """Make the lesson of a student's network (validated; a loading screen meanwhile)
        and open it; the same text again resumes it."""

    def open_editor(self) -> None:
        """The network editor, with the student's draft."""

    def back_to_lessons(self, screen: Screen) -> None:
        """Close ``screen`` (the top one) for the lesson picker."""

    def show_summary(self, session: LessonSession, lesson_screen: Screen) -> None:
        """The lesson is complete: its summary, over ``lesson_screen``."""

    def trace_skills(self, then: Callable[[dict[str, SkillState]], None]) -> None:
        """Every skill's state, traced from the student's history (in a thread), handed
        to ``then`` if the screen on top is still on top; never while the lessons are
        loading (the student is told)."""

    def open_skills(self) -> None:
        """The student's skills, as bars (nothing while the lessons are loading: said)."""

    def practise_weakest(self) -> None:
        """A random network with a step of the student's weakest skill, opened as its
        lesson, saying which skill it is for."""
