"""The only part of the report that touches files: it finds progress databases and export
files under the paths an instructor names, reads them read-only, and sets aside the ones it
cannot use, each with the reason (tutor.report.build makes the report from what it reads)."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from pathlib import Path

from tutor.files import FileRefused, read_head
from tutor.lessons.index import CACHE_NAME
from tutor.progress import (
    DB_NAME,
    ProgressError,
    Snapshot,
    read_database,
    read_export,
)
from tutor.report.build import Skipped, Source
from tutor.rules import STATUSES, VERDICTS

_SQLITE_MAGIC = b"SQLite format 3\x00"


def read_source(path: Path, by_student: bool = False) -> Source:
    """One progress database or export file; ProgressError (with the reason) if unusable."""
    try:
        header = read_head(path, len(_SQLITE_MAGIC))  # a regular file, or refused here
    except FileRefused as error:
        raise ProgressError(error.reason) from None
    if path.name.endswith(".db") or header == _SQLITE_MAGIC:
        snapshot = read_database(path)
    else:
        snapshot = read_export(path)
    _check_types(snapshot)
    return Source(identity(snapshot, path, by_student), path, snapshot)


def identity(snapshot: Snapshot, path: Path, by_student: bool = False) -> str:
    """Who a record is: the login it carries (a database's owner, an export's "login"),
    so one student's database and exports are one student; a file without one (an
    export of version 2 or older) is its path, or with ``by_student`` its "student"."""
    if snapshot.login:
        return snapshot.login
    if by_student and snapshot.student:
        return snapshot.student
    return display_path(path)


def _is_time(value: object) -> bool:
    return type(value) in (int, float) and math.isfinite(value)  # type: ignore[arg-type]


def _check_types(snapshot: Snapshot) -> None:
    """ProgressError unless every value the report uses is of its type: a database's
    columns are typed by whoever made the file, not by SQLite (an export is typed on
    reading, so this finds nothing there)."""
    for attempt in snapshot.attempts:
        texts = (attempt.lesson_id, attempt.step_id, attempt.answer, *attempt.diagnosis)
        if (not all(isinstance(text, str) for text in texts) or attempt.verdict not in VERDICTS
                or not _is_time(attempt.elapsed) or not _is_time(attempt.at)):
            raise ProgressError("holds damaged records: an attempt whose fields are not "
                                "the text, verdict and numbers of an attempt")
    for lesson in snapshot.lessons:
        if not isinstance(lesson.lesson_id, str) or not all(
                isinstance(step.step_id, str) and step.status in (None, *STATUSES)
                for step in lesson.steps):
            raise ProgressError("holds damaged records: a lesson or step that is not text "
                                "with a status")
    for network in snapshot.networks:
        if not isinstance(network.lesson_id, str) or not isinstance(network.title, str):
            raise ProgressError("holds damaged records: a network whose id or title is "
                                "not text")


def _unusable(error: BaseException) -> str:
    """Why a file could not be read, for the instructor, whatever went wrong in it."""
    if isinstance(error, ProgressError):
        return str(error)
    if isinstance(error, RecursionError):
        return "holds data nested too deeply to read"
    if isinstance(error, MemoryError):
        return "holds more than there is memory to read"
    return f"cannot be read ({type(error).__name__}: {str(error)[:200]})"


def _search(folder: Path, skipped: list[Skipped]) -> list[Path]:
    found: list[Path] = []

    def unreadable(error: OSError) -> None:
        skipped.append(Skipped(Path(error.filename or folder),
                               f"cannot be searched: {error.strerror or error}"))

    for root, dirs, files in os.walk(folder, onerror=unreadable):  # symlinks not followed
        # A data folder's cache/ is the tutor's own (its lesson index is .json too), not
        # a student's work: passed over without a word.
        dirs[:] = sorted(name for name in dirs if not (name == "cache" and DB_NAME in files))
        found.extend(Path(root) / name for name in sorted(files)
                     if name == DB_NAME or name.endswith(".json"))
    if all(path.name == CACHE_NAME for path in found):  # nothing, or the tutor's own cache
        skipped.append(Skipped(folder, f"holds no {DB_NAME} or exported .json file"))
    return found


def load_sources(paths: Iterable[Path | str],
                 by_student: bool = False) -> tuple[list[Source], list[Skipped]]:
    """Read every given file, and every progress.db and .json file under given folders.

    Nothing is written: databases are opened read-only. A file that cannot be used is
    returned in the second list with the reason, never raised. A file reached twice
    is read once.
    """
    sources: list[Source] = []
    skipped: list[Skipped] = []
    seen: set[Path] = set()
    for given in paths:
        path = Path(given)
        if path.is_dir():
            files = _search(path, skipped)
        elif path.exists():
            files = [path]
        else:
            skipped.append(Skipped(path, "no such file or folder"))
            continue
        for file in files:
            identity = file.resolve()
            if identity in seen:
                continue
            seen.add(identity)
            try:
                sources.append(read_source(file, by_student))
            except Exception as error:  # noqa: BLE001 - one student's bad file is theirs
                # alone: said and skipped (a crafted database can fail in ways no
                # reader lists), and the class's report goes on without it.
                if file != path and file.name == CACHE_NAME:
                    # The tutor's own lesson index, wherever its cache folder is (a
                    # data folder's cache/, ~/.cache/chain-tutor/, $CHAIN_TUTOR_CACHE)
                    # in a folder searched: not a student's file, passed over without a
                    # word. (Named on the command line, it is said as any other file.)
                    continue
                skipped.append(Skipped(file, _unusable(error)))
    return sources, skipped


def load_database(conninfo: str) -> list[Source]:
    """Every student's record in a class's PostgreSQL database, read with an instructor's
    role; ProgressError (one line) if it cannot be read. Named by their role."""
    from tutor.progress.postgres.whole_class import read_class

    sources = []
    for snapshot in read_class(conninfo):
        _check_types(snapshot)
        sources.append(Source(snapshot.login or "", Path(f"database:{snapshot.login}"),
                              snapshot))
    return sources


# -- output ---------------------------------------------------------------------------


def display_path(path: Path | str) -> str:
    """A path as text that can always be printed (file names need not be UTF-8)."""
    return os.fsencode(str(path)).decode("utf-8", "backslashreplace")
