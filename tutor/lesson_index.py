"""Where lessons live, and a quick index of them read with tomllib alone.

The picker's first paint needs only titles and step names. Loading lessons in full
builds their problems with the engine, which imports numpy; that waits until after
the first screen is drawn. Nothing here imports the engine.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ENV_LESSONS = "CHAIN_TUTOR_LESSONS"
DEFAULT_SEED = 1  # everyone's first variant


class LessonError(Exception):
    """A lesson file that cannot be used, located by file, line and step for its author."""

    def __init__(self, message: str, path: Path | None = None, line: int | None = None,
                 step: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.step = step

    def __str__(self) -> str:
        where = str(self.path) if self.path else "<lesson>"
        if self.line:
            where += f":{self.line}"
        if self.step:
            where += f" [step {self.step}]"
        return f"{where}: {self.message}"


def shipped_lessons_dir() -> Path:
    """The curriculum: inside the installed package, or the repository's lessons/ folder."""
    packaged = Path(__file__).parent / "lessons"
    if packaged.is_dir():
        return packaged
    return Path(__file__).parent.parent / "lessons"


def lesson_dirs(extra: Sequence[Path | str] = ()) -> list[Path]:
    """The shipped folder, then ``--lessons`` folders, then $CHAIN_TUTOR_LESSONS."""
    dirs = [shipped_lessons_dir()]
    dirs.extend(Path(p) for p in extra)
    from_env = os.environ.get(ENV_LESSONS, "")
    dirs.extend(Path(p) for p in from_env.split(os.pathsep) if p)
    return dirs


def lesson_files(dirs: Iterable[Path]) -> list[Path]:
    """Lesson files in curriculum order: folder by folder, by file name within one."""
    files: list[Path] = []
    for folder in dirs:
        if folder.is_file():
            files.append(folder)
        elif folder.is_dir():
            files.extend(sorted(folder.glob("*.toml")))
    return files


@dataclass(frozen=True)
class StepInfo:
    id: str
    of: str
    wrt: str

    @property
    def label(self) -> str:
        return f"∂{self.of}/∂{self.wrt}"


@dataclass(frozen=True)
class LessonInfo:
    """What the picker shows before lessons are loaded in full; ``error`` if unreadable."""

    id: str
    title: str
    intro: str
    path: Path
    steps: tuple[StepInfo, ...] = ()
    error: str | None = None


def read_index(extra: Sequence[Path | str] = ()) -> list[LessonInfo]:
    """Every lesson file in curriculum order; a later file reusing an id is marked broken."""
    index: list[LessonInfo] = []
    seen: dict[str, Path] = {}
    for path in lesson_files(lesson_dirs(extra)):
        info = read_info(path)
        if info.error is None and info.id in seen:
            info = LessonInfo(path.stem, info.title, info.intro, path,
                              error=f"lesson id {info.id!r} is already used by {seen[info.id]}")
        elif info.error is None:
            seen[info.id] = path
        index.append(info)
    return index


def find_lesson(index: Sequence[LessonInfo], lesson_id: str) -> LessonInfo:
    """The readable lesson with this id; LessonError (worded as by Catalog.get) otherwise."""
    for info in index:
        if info.error is None and info.id == lesson_id:
            return info
    for info in index:
        if info.error is not None and (info.id == lesson_id or lesson_id in info.path.stem):
            raise LessonError(f"lesson {lesson_id!r} is broken: {info.path}: {info.error}")
    usable = [info.id for info in index if info.error is None]
    near = difflib.get_close_matches(lesson_id, usable, n=1)
    hint = f" Did you mean {near[0]}?" if near else ""
    raise LessonError(f"no lesson {lesson_id!r}.{hint} Run `chain-tutor lessons` to list them.")


def read_info(path: Path) -> LessonInfo:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        return LessonInfo(path.stem, path.stem, "", path, error=str(error))
    steps = data.get("steps")
    if not isinstance(steps, list):
        steps = []
    infos = tuple(
        StepInfo(str(s.get("id", "?")), str(s.get("of", "?")), str(s.get("wrt", "?")))
        for s in steps
        if isinstance(s, dict)
    )
    return LessonInfo(
        id=str(data.get("id", path.stem)),
        title=str(data.get("title", path.stem)),
        intro=str(data.get("intro", "")),
        path=path,
        steps=infos,
    )
