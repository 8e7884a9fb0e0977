"""A student's own network as the tutor takes it: checked as it is typed, then made into a
lesson and validated before it is worked on.

The editor asks `check_draft` after each pause in typing: reading the network and
building its lesson without validation takes milliseconds for the networks people
type, so the student learns at once what is wrong, at which line and column, or which
factors the lesson will ask. `make_lesson` is what Start does: the same lesson,
validated like a shipped one (finite differences here, sympy in the session's proof
worker, so that sympy never runs in the tutor's own process). Its id comes from the
text (tutor.networks.reader.network_lesson_id), so the same network typed again resumes.
No Textual here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tutor.lessons.model import Lesson
from tutor.networks.generator import generate
from tutor.networks.reader import NetworkError, network_lesson_id, parse_network


class Cancelled(Exception):
    """The student left before the lesson was ready."""


@dataclass(frozen=True)
class DraftCheck:
    """What the editor shows for the text as it stands."""

    text: str
    lesson_id: str
    title: str = ""
    steps: tuple[str, ...] = ()  # the factors the lesson will ask, in order
    error: str | None = None  # what is wrong, in words (None: it can be started)
    line: int | None = None
    column: int | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def check_draft(text: str) -> DraftCheck:
    """Whether ``text`` is a network the tutor can ask, and its steps; never raises."""
    lesson_id = network_lesson_id(text)
    try:
        lesson = generate(parse_network(text), lesson_id, validate=False)
    except NetworkError as error:
        return DraftCheck(text, lesson_id, error=error.message, line=error.line,
                          column=error.column)
    except Exception as error:  # noqa: BLE001 - a fault of ours, said, never a traceback
        return DraftCheck(text, lesson_id, error=fault(error))
    return DraftCheck(text, lesson_id, lesson.title, tuple(step.label for step in lesson.steps))


def make_lesson(text: str, symbolic_budget: float, *,
                progress: Callable[[int, int], None] | None = None,
                time_limit: float | None = None) -> Lesson:
    """The network's lesson, validated; NetworkError (in words) if it cannot be.

    ``symbolic_budget``: seconds for each step's sympy proof (0: finite differences
    only; the proofs run in the session's proof worker). ``progress(done, total)`` may
    raise Cancelled to stop. Past ``time_limit`` seconds (default: `chain-tutor new`'s,
    tutor.networks.generator.TIME_LIMIT) it stops with a NetworkError that says so.
    """
    import tutor.networks.generator

    try:
        return generate(parse_network(text), network_lesson_id(text),
                        symbolic_budget=symbolic_budget, progress=progress,
                        time_limit=tutor.networks.generator.TIME_LIMIT if time_limit is None
                        else time_limit)
    except (NetworkError, Cancelled):
        raise
    except Exception as error:  # noqa: BLE001 - a fault of ours, said, never a traceback
        raise NetworkError(fault(error)) from error


def fault(error: Exception) -> str:
    """What the tutor says of an exception it did not foresee: its type and text kept,
    so that the report finds the bug."""
    return (f"the tutor failed on this network ({type(error).__name__}: {error}); this is a "
            "fault of chain-tutor, not of your network — please report it")
