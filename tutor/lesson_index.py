"""Where lessons live, and a quick index of them read with tomllib alone.

The picker's first paint needs only titles and step names. Loading lessons in full
builds their problems with the engine, which imports numpy; that waits until after
the first screen is drawn. Nothing here imports the engine.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ENV_LESSONS = "CHAIN_TUTOR_LESSONS"


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
    return [read_info(path) for path in lesson_files(lesson_dirs(extra))]


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
