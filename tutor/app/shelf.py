"""The lessons as the app knows them: the quick index first, the full catalog once loaded.

The first screen is drawn from the index (tomllib alone, no engine); loading the
catalog builds every lesson's problem with the engine and numpy, in a background
thread after the first paint. Until then a lesson can be listed and introduced,
but not worked on. No Textual here.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol

from tutor.lessons.index import LessonError, LessonInfo, find_lesson

if TYPE_CHECKING:
    from tutor.lessons.course import Course
    from tutor.lessons.model import Catalog, Lesson


class StepEntry(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def label(self) -> str: ...


class LessonEntry(Protocol):
    """What the picker and the intro need, which a LessonInfo and a Lesson both have."""

    @property
    def id(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def intro(self) -> str: ...

    @property
    def steps(self) -> Sequence[StepEntry]: ...


class BrokenEntry(NamedTuple):  # not a dataclass: defined before the first paint
    path: Path
    message: str


class Shelf:
    def __init__(self, index: Sequence[LessonInfo] = (), catalog: Catalog | None = None,
                 course: Course | None = None) -> None:
        self.index = list(index)
        self.catalog = catalog
        self.course = course  # the course file in force (--course, CHAIN_TUTOR_COURSE)
        # Lessons made from the student's networks this session (tutor.networks.generator), by id:
        # they are not in the curriculum, so not in entries() or after().
        self.networks: dict[str, Lesson] = {}

    def examples_off(self, lesson_id: str) -> bool:
        return self.course is not None and self.course.examples_off(lesson_id)

    def reveal_off(self, lesson_id: str) -> str | None:
        """Why Reveal is off in this lesson under the course in force; None: allowed."""
        return self.course.reveal_off(lesson_id) if self.course is not None else None

    @property
    def loaded(self) -> bool:
        return self.catalog is not None

    def ready(self, lesson_id: str) -> bool:
        """Whether the lesson can be worked on now (loaded, or made from a network)."""
        return self.catalog is not None or lesson_id in self.networks

    def entries(self) -> list[LessonEntry]:
        """The lessons that can be opened (or will be, once loaded), in curriculum order."""
        if self.catalog is not None:
            return list(self.catalog.lessons)
        return [info for info in self.index if info.error is None]

    def after(self, lesson_id: str) -> LessonEntry | None:
        """The lesson that follows ``lesson_id`` in curriculum order; None after the last
        (or for a lesson not on the shelf)."""
        entries = self.entries()
        ids = [lesson.id for lesson in entries]
        if lesson_id not in ids:
            return None
        following = ids.index(lesson_id) + 1
        return entries[following] if following < len(entries) else None

    def broken(self) -> list[BrokenEntry]:
        if self.catalog is not None:
            return [BrokenEntry(b.path, b.error.message) for b in self.catalog.broken]
        return [BrokenEntry(i.path, i.error) for i in self.index if i.error is not None]

    def find(self, lesson_id: str) -> LessonEntry:
        """The lesson's entry; LessonError if there is none or it is broken."""
        if lesson_id in self.networks:
            return self.networks[lesson_id]
        if self.catalog is not None:
            return _by_id(self.catalog.get(lesson_id), lesson_id)
        return _by_id(find_lesson(self.index, lesson_id), lesson_id)

    def lesson(self, lesson_id: str) -> Lesson:
        """The full lesson, to work on; only once the catalog is loaded."""
        if lesson_id in self.networks:
            return self.networks[lesson_id]
        if self.catalog is None:
            raise LessonError("the lessons are still loading")
        return _by_id(self.catalog.get(lesson_id), lesson_id)


def _by_id(entry, asked: str):
    """The app keeps a lesson's progress under the name it is opened by, so a lesson's
    number (which `chain-tutor show 3` takes) must have become its id before it gets here."""
    if entry.id != asked:
        raise LessonError(f"{asked} is the number of the lesson {entry.id}: open it by its id "
                          f"(chain-tutor {entry.id}), or choose it in the list.")
    return entry
