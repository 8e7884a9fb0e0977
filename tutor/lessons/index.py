"""Where lessons live, and a quick index of them read with tomllib alone.

The picker's first paint needs only titles and step names. Loading lessons in full
builds their problems with the engine, which imports numpy; that waits until after
the first screen is drawn. Nothing here imports the engine.

Reading every lesson file with tomllib still takes ~15 ms, a twentieth of the time
to the first screen, so the app keeps the index in a small JSON cache (see
`read_index`), each file's entry valid while the file's stat is unchanged. On a first
launch there is no cache yet: the first screen is then drawn from a quick read of each
file (tomllib on the lines the index needs, a quarter of the text), and the files are
read in full and the cache written after the first paint (`later`).
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from tutor.files import FileRefused, FileTooLarge, read_bounded, write_whole

ENV_LESSONS = "CHAIN_TUTOR_LESSONS"
DEFAULT_SEED = 1  # everyone's first variant
CACHE_NAME = "lesson-index.json"
CACHE_VERSION = 1
CACHE_MAX_FILES = 1000  # entries kept for files in other folders (other --lessons runs)
CACHE_MAX_BYTES = 16_000_000  # a larger cache is not ours, or not worth it: read the files
LESSON_MAX_BYTES = 1_000_000


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
        if self.path is None and self.line is None and self.step is None:
            return self.message  # about no file: "no lesson 'x'", not "<lesson>: no lesson"
        return f"{located(self.path, self.line, self.step)}: {self.message}"


def located(path: Path | None, line: int | None, step: str | None) -> str:
    """Where in a lesson, for its author: `file:line [step id]`."""
    where = str(path) if path else "<lesson>"
    if line:
        where += f":{line}"
    if step:
        where += f" [step {step}]"
    return where


def shipped_lessons_dir() -> Path:
    """The curriculum: inside the installed package, or the repository's lessons/ folder."""
    packaged = Path(__file__).parent / "curriculum"  # setup.py copies lessons/ there
    if packaged.is_dir():
        return packaged
    return Path(__file__).parents[2] / "lessons"


def lesson_dirs(extra: Sequence[Path | str] = ()) -> list[Path]:
    """The shipped folder, then ``--lessons`` folders, then $CHAIN_TUTOR_LESSONS."""
    dirs = [shipped_lessons_dir()]
    dirs.extend(Path(p) for p in extra)
    from_env = os.environ.get(ENV_LESSONS, "")
    dirs.extend(Path(p) for p in from_env.split(os.pathsep) if p)
    return dirs


def lesson_dir_problems(extra: Sequence[Path | str] = ()) -> list[str]:
    """Why each ``--lessons`` or $CHAIN_TUTOR_LESSONS entry adds no lessons, in words:
    missing, or neither a folder nor a file (a device, a named pipe). Those are passed
    over, so whoever named one is told rather than left wondering where its lessons went."""
    named = [(Path(p), "--lessons") for p in extra]
    named += [(Path(p), ENV_LESSONS) for p in os.environ.get(ENV_LESSONS, "").split(os.pathsep)
              if p]
    problems = []
    for path, where in named:
        if not path.exists():
            problems.append(f"{where} {path}: no such folder; its lessons are left out")
        elif not path.is_dir() and not path.is_file():
            problems.append(f"{where} {path}: not a folder of lesson files; left out")
    return problems


def lesson_files(dirs: Iterable[Path]) -> list[Path]:
    """Lesson files in curriculum order: folder by folder, by file name within one."""
    files: list[Path] = []
    for folder in dirs:
        if folder.is_file():
            files.append(folder)
        elif folder.is_dir():
            files.extend(sorted(folder.glob("*.toml")))
    return files


class StepLabel:
    """A step is one factor of the chain, ∂of/∂wrt (for StepInfo and lessons.Step)."""

    of: str
    wrt: str

    @property
    def label(self) -> str:
        return f"∂{self.of}/∂{self.wrt}"


# NamedTuples, not frozen dataclasses: the first screen defines them, and a dataclass
# costs five times as long to define (see tutor/progress/records.py).
class StepInfo(NamedTuple):
    id: str
    of: str
    wrt: str

    label = StepLabel.label  # a NamedTuple takes no base class of fields


class LessonInfo(NamedTuple):
    """What the picker shows before lessons are loaded in full; ``error`` if unreadable."""

    id: str
    title: str
    intro: str
    path: Path
    steps: tuple[StepInfo, ...] = ()
    error: str | None = None


def read_index(extra: Sequence[Path | str] = (), cache: Path | None = None, *,
               later: Callable[[Callable[[], object]], None] | None = None
               ) -> list[LessonInfo]:
    """Every lesson file in curriculum order; a later file reusing an id is marked broken.

    With ``cache`` (a JSON file), a file whose stat matches its entry there is not read
    again, and the entries of files read are written back. The cache is only ever a
    shortcut: a missing, unreadable, damaged or unwritable one means reading the files.

    With ``later``, a file the cache misses is read quickly (`read_info(quick=True)`),
    and the full read that writes the cache is handed to ``later`` as a job to run
    after the first paint; a quick read is never cached.
    """
    files = lesson_files(lesson_dirs(extra))
    cached = _load_cache(cache) if cache is not None else {}
    fresh: dict[str, dict] = {}
    infos = []
    for path in files:
        stamp = _stamp(path)  # before reading: a file changed meanwhile misses next time
        entry = cached.get(str(path))
        info = _from_entry(path, entry, stamp) if entry is not None else None
        if info is None and later is not None:
            info = read_info(path, quick=True)
            fresh[str(path)] = {}  # read in full by the job
        elif info is None:
            info = read_info(path)
            if stamp is not None and info.error is None:  # errors are read again each time
                fresh[str(path)] = _to_entry(info, stamp)
        infos.append(info)
    if later is not None and fresh:
        later(lambda: read_index(extra, cache))
    elif cache is not None and fresh:
        _save_cache(cache, cached, fresh)
    return _mark_duplicates(infos)


def _mark_duplicates(infos: Iterable[LessonInfo]) -> list[LessonInfo]:
    index: list[LessonInfo] = []
    seen: dict[str, Path] = {}
    for info in infos:
        path = info.path
        if info.error is None and info.id in seen:
            info = LessonInfo(path.stem, info.title, info.intro, path,
                              error=f"lesson id {info.id!r} is already used by {seen[info.id]}")
        elif info.error is None:
            seen[info.id] = path
        index.append(info)
    return index


def lesson_number(ref: str) -> int | None:
    """The number in ``chain-tutor show 3``, or None for a lesson id: a lesson may be named
    by its place in the picker's list (curriculum order, from 1) wherever an id is taken."""
    text = ref.strip()
    return int(text) if text.isascii() and text.isdigit() else None


def numbered(ids: Sequence[str], ref: str) -> str | None:
    """The id that ``ref`` names by its number among ``ids`` (the lessons that open, in
    curriculum order); None when ``ref`` is no number. A lesson whose id is that very
    text wins: ids are matched first. LessonError for a number past the list."""
    number = lesson_number(ref)
    if number is None:
        return None
    if not 1 <= number <= len(ids):
        span = f"1 to {len(ids)}" if len(ids) > 1 else "1" if ids else "none: no lesson loads"
        raise LessonError(f"no lesson number {number}: the lessons are numbered {span}. "
                          "Run `chain-tutor lessons` to list them.")
    return ids[number - 1]


def find_lesson(index: Sequence[LessonInfo], lesson_id: str) -> LessonInfo:
    """The readable lesson with this id, or with this number in the picker's list;
    LessonError (worded as by Catalog.get) otherwise."""
    for info in index:
        if info.error is None and info.id == lesson_id:
            return info
    usable = [info for info in index if info.error is None]
    by_number = numbered([info.id for info in usable], lesson_id)
    if by_number is not None:
        return next(info for info in usable if info.id == by_number)
    for info in index:
        if info.error is not None and (info.id == lesson_id or lesson_id in info.path.stem):
            raise LessonError(f"lesson {lesson_id!r} is broken: {info.path}: {info.error}")
    near = difflib.get_close_matches(lesson_id, [info.id for info in usable], n=1)
    hint = f" Did you mean {near[0]}?" if near else ""
    raise LessonError(f"no lesson {lesson_id!r}.{hint} Run `chain-tutor lessons` to list them.")


def read_lesson_text(path: Path) -> str:
    """A lesson file's text, read the one way every reader (index, full load, validate)
    reads one, so that no file can do to one what the others refuse; LessonError if it
    cannot be read."""
    try:
        raw = read_bounded(path, LESSON_MAX_BYTES,
                           f"the file is larger than {LESSON_MAX_BYTES // 1_000_000} MB; a "
                           "lesson file may be at most 1 MB (the shipped ones are under 10 KB)")
    except FileTooLarge as error:
        raise LessonError(error.reason, path) from None
    except FileRefused as error:
        raise LessonError(f"cannot read the file: {error.reason}", path) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise LessonError(f"cannot read the file: not UTF-8 text ({error})", path) from None
    return text


def parse_toml(text: str, path: Path | None = None) -> dict:
    """tomllib's tables of a lesson's text, or LessonError at the line tomllib names."""
    import tomllib  # ~3 ms, which a run with the index cached never spends

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"line (\d+)", str(error))
        raise LessonError(f"not valid TOML: {error}", path,
                          int(match.group(1)) if match else None) from None
    except RecursionError:
        # tomllib recurses once per level of arrays or tables inside each other.
        raise LessonError("not readable: arrays or tables are nested too deeply inside each "
                          "other", path) from None


_STEP_KEY = re.compile(r"[ \t]*(id|of|wrt)[ \t]*=")
_MULTILINE = ('"""', "'''")


def quick_text(text: str) -> str | None:
    """The lines of a lesson the index needs: the top-level keys (id, title, intro) and
    each step's id, of and wrt; a quarter of the text, which tomllib reads in a quarter of
    the time. None where cutting could change what the text says: a multi-line string
    below the top-level keys, whose lines could look like keys or headers."""
    lines = text.split("\n")
    quotes = 0
    top = len(lines)
    for number, line in enumerate(lines):
        if quotes % 2 == 0 and line.lstrip().startswith("["):
            top = number
            break
        quotes += sum(line.count(mark) for mark in _MULTILINE)
    rest = lines[top:]
    if any(mark in line for line in rest for mark in _MULTILINE):
        return None
    kept, section = lines[:top], None
    for line in rest:
        stripped = line.strip()
        if stripped.startswith("["):
            section = stripped.split("#", 1)[0].strip()
            if section == "[[steps]]":
                kept.append(line)
        elif section == "[[steps]]" and _STEP_KEY.match(line):
            kept.append(line)
    return "\n".join(kept)


def read_info(path: Path, *, quick: bool = False) -> LessonInfo:
    """``quick``: from quick_text, where it can be cut; the full text otherwise, or if the
    cut text is not valid TOML (the full read then says where the file is wrong)."""
    try:
        text = read_lesson_text(path)
        short = quick_text(text) if quick else None
        data = None
        if short is not None:
            try:
                data = parse_toml(short, path)
            except LessonError:
                data = None
        if data is None:
            data = parse_toml(text, path)
    except LessonError as error:
        return LessonInfo(path.stem, path.stem, "", path, error=error.message)
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


# -- the cache -------------------------------------------------------------------------------
def _stamp(path: Path) -> list[int] | None:
    """What changes when the file does: an edit, a replacement, a copy over it."""
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino]


def _to_entry(info: LessonInfo, stamp: list[int]) -> dict:
    return {
        "stamp": stamp,
        "id": info.id,
        "title": info.title,
        "intro": info.intro,
        "steps": [[step.id, step.of, step.wrt] for step in info.steps],
    }


def _from_entry(path: Path, entry: object, stamp: list[int] | None) -> LessonInfo | None:
    """The cached info, or None if the entry is stale or not in the shape written."""
    if stamp is None or not isinstance(entry, dict) or entry.get("stamp") != stamp:
        return None
    texts = [entry.get(key) for key in ("id", "title", "intro")]
    steps = entry.get("steps")
    if not all(isinstance(text, str) for text in texts) or not isinstance(steps, list):
        return None
    if not all(isinstance(step, list) and len(step) == 3
               and all(isinstance(part, str) for part in step) for step in steps):
        return None
    lesson_id, title, intro = texts
    return LessonInfo(lesson_id, title, intro, path, tuple(StepInfo(*step) for step in steps))


def _load_cache(cache: Path) -> dict:
    try:
        data = json.loads(read_bounded(cache, CACHE_MAX_BYTES))
    except (FileRefused, ValueError, RecursionError):
        return {}
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
        return {}
    files = data.get("files")
    return files if isinstance(files, dict) else {}


def _save_cache(cache: Path, cached: dict, fresh: dict[str, dict]) -> None:
    """Write atomically (another login may be reading it); a failure only costs speed."""
    kept = [(path, entry) for path, entry in cached.items()
            if path not in fresh and os.path.exists(path)]
    room = max(0, CACHE_MAX_FILES - len(fresh))
    files = dict(kept[max(0, len(kept) - room):])
    files.update(fresh)
    text = json.dumps({"version": CACHE_VERSION, "files": files}, ensure_ascii=False)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        write_whole(cache, text, durable=False)
    except OSError:
        pass
