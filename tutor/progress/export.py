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
import math
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tutor.files import write_whole
from tutor.progress.connection import _SQLITE_MAGIC
from tutor.progress.records import (
    Attempt,
    LessonRecord,
    ProgressError,
    Snapshot,
    StepRecord,
)
from tutor.rules import RANK, STATUSES, VERDICTS

EXPORT_FORMAT = "chain-tutor-progress"
EXPORT_VERSION = 1
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


def max_answer_length() -> int:
    """The parser's limit: a longer answer cannot be checked, so it is never worth keeping.
    Imported when needed, so that the first screen does not wait for the engine."""
    from tutor.engine.parser import MAX_LENGTH

    return MAX_LENGTH


class ExportError(ProgressError):
    """A file that is not a usable progress export; the message says what is wrong."""



def export_json(snapshot: Snapshot, exported_at: float) -> dict:
    """The export file's content (format "chain-tutor-progress", version 1)."""
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
    }


def write_export(path: Path | str, content: dict) -> None:
    """Write an export file whole or not at all (a temporary file, then a rename)."""
    write_whole(Path(path), json.dumps(content, ensure_ascii=False, indent=2) + "\n")


def read_export(path: Path | str) -> Snapshot:
    """An export file, validated in full; ExportError (with the reason) if unusable."""
    try:
        with open(path, "rb") as file:
            raw = file.read(EXPORT_MAX_BYTES + 1)
    except OSError as exc:
        raise ExportError(f"cannot read the file: {exc.strerror or exc}") from exc
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
    version = _value(data, "version", "", int)
    if version > EXPORT_VERSION:
        raise ExportError(f"written by a newer chain-tutor (export version {version}; "
                          f"this version reads {EXPORT_VERSION})")
    if version < 1:
        raise ExportError(f"unknown export version {version}")
    student = _value(data, "student", "", str, optional=True)
    if student is not None:
        _name(student, "student", MAX_STUDENT_LENGTH)
    listed = _at_most(_value(data, "lessons", "", list), "lessons", MAX_IMPORT_LESSONS)
    lessons = tuple(_lesson_record(item, f"lessons[{i}]") for i, item in enumerate(listed))
    ids = Counter(lesson.lesson_id for lesson in lessons)
    twice = sorted(lesson_id for lesson_id, count in ids.items() if count > 1)
    if twice:
        raise ExportError(f"lesson {twice[0]!r} is listed twice")
    listed = _at_most(_value(data, "attempts", "", list), "attempts", MAX_IMPORT_ATTEMPTS)
    longest = max_answer_length()
    attempts = tuple(_attempt_record(item, f"attempts[{i}]", longest)
                     for i, item in enumerate(listed))
    return Snapshot(lessons, attempts, student)


def _lesson_record(item: object, where: str) -> LessonRecord:
    record = _object(item, where)
    lesson_id = _id(record, "lesson_id", where)
    listed = _value(record, "steps", where, list, optional=True) or []
    steps = tuple(
        _step_record(step, f"{where}.steps[{i}]")
        for i, step in enumerate(_at_most(listed, f"{where}.steps", MAX_STEPS))
    )
    if len({step.step_id for step in steps}) != len(steps):
        raise ExportError(f"{where} lists a step twice")
    return LessonRecord(
        lesson_id,
        _integer(record, "seed", where, optional=True),
        _time(record, "started", where, optional=True),
        _time(record, "finished", where, optional=True),
        steps,
    )


def _step_record(item: object, where: str) -> StepRecord:
    record = _object(item, where)
    status = _value(record, "status", where, str, optional=True)
    if status not in RANK:
        raise ExportError(f"{where}.status must be one of {STATUSES} or null, not {status!r}")
    hints = _integer(record, "hints", where, optional=True) or 0
    if not 0 <= hints <= MAX_HINTS:
        raise ExportError(f"{where}.hints must be between 0 and {MAX_HINTS}")
    return StepRecord(_id(record, "step_id", where), status, hints)


def _attempt_record(item: object, where: str, longest: int) -> Attempt:
    record = _object(item, where)
    verdict = _text(record, "verdict", where)
    if verdict not in VERDICTS:
        raise ExportError(f"{where}.verdict must be one of {VERDICTS}, not {verdict!r}")
    diagnosis = _value(record, "diagnosis", where, list, optional=True) or []
    if not all(isinstance(code, str) for code in diagnosis):
        raise ExportError(f"{where}.diagnosis must be a list of codes (strings)")
    _at_most(diagnosis, f"{where}.diagnosis", MAX_DIAGNOSIS_CODES)
    answer = _text(record, "answer", where, empty=True)
    if len(answer) > longest:
        raise ExportError(f"{where}.answer is {len(answer):,} characters long; the tutor "
                          f"takes answers of at most {longest:,}")
    elapsed = _number(record, "elapsed", where)
    if not 0 <= elapsed <= MAX_ELAPSED:
        raise ExportError(f"{where}.elapsed must be between 0 and {MAX_ELAPSED:,.0f} seconds")
    return Attempt(
        _id(record, "lesson_id", where),
        _id(record, "step_id", where),
        _integer(record, "seed", where),
        answer,
        verdict,
        tuple(_name(code, f"{where}.diagnosis", MAX_ID_LENGTH) for code in diagnosis),
        elapsed,
        _time(record, "at", where),
    )


_KINDS = {str: "a string", int: "an integer", float: "a number", list: "a list", dict: "an object"}


def _object(item: object, where: str) -> dict:
    if not isinstance(item, dict):
        raise ExportError(f"{where} must be an object")
    return item


def _value(record: dict, key: str, where: str, kind: type, *, optional: bool = False) -> Any:
    value = record.get(key)
    if value is None:
        if optional:
            return None
        raise ExportError(f"{where or 'the file'} has no {key!r}")
    kinds = (int, float) if kind is float else kind
    if isinstance(value, bool) or not isinstance(value, kinds):  # JSON true is no number
        raise ExportError(f"{where + '.' if where else ''}{key} must be {_KINDS[kind]}")
    return value


def _encodable(text: str, where: str) -> str:
    try:
        text.encode("utf-8")  # a lone surrogate ("\ud800") parses but cannot be stored
    except UnicodeEncodeError as exc:
        raise ExportError(f"{where} holds text that is not valid Unicode") from exc
    return text


def _text(record: dict, key: str, where: str, *, empty: bool = False) -> str:
    value = _value(record, key, where, str)
    if not value and not empty:
        raise ExportError(f"{where}.{key} must not be empty")
    return _encodable(value, f"{where}.{key}")


def _at_most(items: list, where: str, limit: int) -> list:
    if len(items) > limit:
        raise ExportError(f"{where} holds {len(items):,} entries; one import takes at most "
                          f"{limit:,}")
    return items


def _name(text: str, where: str, limit: int) -> str:
    """An id, code or login: short, and without control characters a terminal would obey."""
    if len(text) > limit:
        raise ExportError(f"{where} is {len(text):,} characters long; at most {limit} are "
                          "allowed")
    if not text.isprintable():
        raise ExportError(f"{where} holds a control character")
    return _encodable(text, where)


def _id(record: dict, key: str, where: str) -> str:
    return _name(_text(record, key, where), f"{where}.{key}", MAX_ID_LENGTH)


def _time(record: dict, key: str, where: str, *, optional: bool = False) -> Any:
    value = _number(record, key, where, optional=optional)
    if value is not None and not 0 <= value <= MAX_TIME:
        raise ExportError(f"{where}.{key} must be a time between 1970 and 2106 "
                          "(seconds since 1970)")
    return value


def _integer(record: dict, key: str, where: str, *, optional: bool = False) -> Any:
    value = _value(record, key, where, int, optional=optional)
    if value is not None and not -_INT64 <= value < _INT64:
        raise ExportError(f"{where}.{key} is out of range")
    return value


def _number(record: dict, key: str, where: str, *, optional: bool = False) -> Any:
    value = _value(record, key, where, float, optional=optional)
    if value is None:
        return None
    try:
        number = float(value)  # an integer too large for a float raises
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise ExportError(f"{where}.{key} must be a finite number")
    return number
