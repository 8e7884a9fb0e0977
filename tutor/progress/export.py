"""The export file: one student's record as JSON, written, read, and validated in full.

An export comes from anywhere (a student's laptop, a mail attachment), so nothing in
it is used before all of it has been checked against the limits below, which are
also the limits the store keeps to when it records (so every export imports).

JSON rather than a copy of the SQLite file (which the backup API could make): a
person can read it before handing it in, it diffs and mails well, it has no
journal mode or page size to go wrong on another file system, and it states only
what it means, not this version's tables, so a later schema still reads version 1.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tutor.files import FileRefused, FileTooLarge, read_bounded, write_whole
from tutor.network_ids import network_lesson_id
from tutor.progress.connection import _SQLITE_MAGIC
from tutor.progress.records import (
    Attempt,
    LessonRecord,
    ProgressError,
    SavedNetwork,
    Snapshot,
    StepRecord,
)

if TYPE_CHECKING:
    from tutor.progress.export_file import ExportFile

EXPORT_FORMAT = "chain-tutor-progress"
EXPORT_VERSION = 2  # 2: the student's own networks; version 1 files still read
EXPORT_MAX_BYTES = 64 * 1024 * 1024  # years of attempts are a few MB; more is not ours
_INT64 = 2**63


# What one import may hold: no more than the tutor itself writes (record_attempt keeps
# to the same limits), so that nothing imported can make a screen or a report slow,
# huge or wrong. An answer's limit is the parser's (max_answer_length).
MAX_IMPORT_ATTEMPTS = 100_000  # a lesson with this many opens quickly (test_tui_history.py)
MAX_IMPORT_LESSONS = 1_000
MAX_STEPS = 200  # per lesson
MAX_ID_LENGTH = 200  # lesson and step ids, diagnosis codes
MAX_STUDENT_LENGTH = 256  # a login name
MAX_DIAGNOSIS_CODES = 32  # per attempt
MAX_HINTS = 100  # per step; a lesson offers a handful
MAX_ELAPSED = 7 * 86400.0  # seconds on one answer: a step left open for a week
MAX_TIME = float(2**32)  # unix time, in 2106; times before 1970 are refused too
MAX_NETWORKS = 1_000
MAX_NETWORK_TEXT = 20_000  # characters: tutor.network's own limit for a network file
MAX_TITLE = 500


def max_answer_length() -> int:
    """The parser's limit: a longer answer cannot be checked, so it is never worth keeping.
    Imported when needed, so that the first screen does not wait for the engine."""
    from tutor.engine.parser import MAX_LENGTH

    return MAX_LENGTH


class ExportError(ProgressError):
    """A file that is not a usable progress export; the message says what is wrong."""



def export_json(snapshot: Snapshot, exported_at: float) -> dict:
    """The export file's content (format "chain-tutor-progress", EXPORT_VERSION)."""
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "student": snapshot.student,
        "exported_at": datetime.fromtimestamp(exported_at, UTC).isoformat(timespec="seconds"),
        "lessons": [
            {
                "lesson_id": lesson.lesson_id,
                "seed": lesson.seed,
                "started": lesson.started,
                "finished": lesson.finished,
                "steps": [{"step_id": s.step_id, "status": s.status, "hints": s.hints}
                          for s in lesson.steps],
            }
            for lesson in snapshot.lessons
        ],
        "attempts": [
            {
                "lesson_id": a.lesson_id,
                "step_id": a.step_id,
                "seed": a.seed,
                "answer": a.answer,
                "verdict": a.verdict,
                "diagnosis": list(a.diagnosis),
                "elapsed": a.elapsed,
                "at": a.at,
            }
            for a in snapshot.attempts
        ],
        # Whether this version validated a network's lesson is not said: the importing
        # tutor makes and validates the lesson itself.
        "networks": [
            {"lesson_id": n.lesson_id, "title": n.title, "text": n.text,
             "steps": [list(step) for step in n.steps], "added": n.added, "used": n.used}
            for n in snapshot.networks
        ],
    }


def write_export(path: Path | str, content: dict) -> None:
    """Write an export file whole or not at all (a temporary file, then a rename)."""
    write_whole(Path(path), json.dumps(content, ensure_ascii=False, indent=2) + "\n")


def read_export(path: Path | str) -> Snapshot:
    """An export file, validated in full; ExportError (with the reason) if unusable."""
    try:
        raw = read_bounded(path, EXPORT_MAX_BYTES)
    except FileTooLarge:
        raise ExportError(f"larger than {EXPORT_MAX_BYTES // 2**20} MiB, so not an export") \
            from None
    except FileRefused as exc:
        raise ExportError(f"cannot read the file: {exc.reason}") from None
    return loads_export(raw)


def loads_export(raw: bytes) -> Snapshot:
    if len(raw) > EXPORT_MAX_BYTES:
        raise ExportError(f"larger than {EXPORT_MAX_BYTES // 2**20} MiB, so not an export")
    if raw.startswith(_SQLITE_MAGIC):
        raise ExportError("a progress database, not an export; make one with "
                          "`chain-tutor progress --export FILE`")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise ExportError(f"not a JSON file ({str(exc)[:80]})") from exc
    return snapshot_from_json(data)


def snapshot_from_json(data: object) -> Snapshot:
    """Validate an export's content, all of it, before anything uses it."""
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise ExportError(f"not a chain-tutor progress export (no \"format\": "
                          f"\"{EXPORT_FORMAT}\")")
    version = data.get("version")
    if type(version) is int and version > EXPORT_VERSION:
        raise ExportError(f"written by a newer chain-tutor (export version {version}; "
                          f"this version reads {EXPORT_VERSION})")
    import msgspec  # here, not at the top: the first screen must not wait for it

    from tutor.progress.export_file import ExportFile, worded

    try:
        export = msgspec.convert(data, ExportFile)
    except msgspec.ValidationError as error:
        raise ExportError(worded(str(error))) from None
    return _checked(export)


def _checked(export: ExportFile) -> Snapshot:
    if export.student is not None:
        _name(export.student, "student")
    ids = Counter(lesson.lesson_id for lesson in export.lessons)
    twice = sorted(lesson_id for lesson_id, count in ids.items() if count > 1)
    if twice:
        raise ExportError(f"lesson {twice[0]!r} is listed twice")
    lessons = []
    for i, lesson in enumerate(export.lessons):
        where = f"lessons[{i}]"
        _name(lesson.lesson_id, f"{where}.lesson_id")
        if len({step.step_id for step in lesson.steps}) != len(lesson.steps):
            raise ExportError(f"{where} lists a step twice")
        for j, step in enumerate(lesson.steps):
            _name(step.step_id, f"{where}.steps[{j}].step_id")
        lessons.append(LessonRecord(
            lesson.lesson_id, lesson.seed, lesson.started, lesson.finished,
            tuple(StepRecord(step.step_id, step.status, step.hints) for step in lesson.steps)))
    longest = max_answer_length()
    attempts = []
    for i, a in enumerate(export.attempts):
        where = f"attempts[{i}]"
        for key in ("lesson_id", "step_id"):
            _name(getattr(a, key), f"{where}.{key}")
        if len(a.answer) > longest:
            raise ExportError(f"{where}.answer is {len(a.answer):,} characters long; the "
                              f"tutor takes answers of at most {longest:,}")
        _encodable(a.answer, f"{where}.answer")
        codes = tuple(_name(code, f"{where}.diagnosis") for code in a.diagnosis)
        attempts.append(Attempt(a.lesson_id, a.step_id, a.seed, a.answer, a.verdict, codes,
                                a.elapsed, a.at))
    networks = []
    for i, n in enumerate(export.networks):
        where = f"networks[{i}]"
        if network_lesson_id(n.text) != n.lesson_id:
            raise ExportError(f"{where}.lesson_id is not the id of its text (the text was "
                              "changed, or the id)")
        _encodable(n.text, f"{where}.text")
        steps = tuple((_name(step_id, f"{where}.steps"), _name(label, f"{where}.steps"))
                      for step_id, label in n.steps)
        networks.append(SavedNetwork(n.lesson_id, n.text, _name(n.title, f"{where}.title"),
                                     steps, None, n.added, n.used))
    if len({n.lesson_id for n in networks}) != len(networks):
        raise ExportError("a network is listed twice")
    return Snapshot(tuple(lessons), tuple(attempts), export.student, tuple(networks))


def _encodable(text: str, where: str) -> str:
    try:
        text.encode("utf-8")  # a lone surrogate ("\ud800") parses but cannot be stored
    except UnicodeEncodeError as exc:
        raise ExportError(f"{where} holds text that is not valid Unicode") from exc
    return text


def _name(text: str, where: str) -> str:
    """An id, code or login: without control characters a terminal would obey."""
    if not text.isprintable():
        raise ExportError(f"{where} holds a control character")
    return _encodable(text, where)
