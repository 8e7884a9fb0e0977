"""The export file: one student's record as JSON, written, read, and validated in full.

An export comes from anywhere (a student's laptop, a mail attachment), so nothing in
it is used before all of it has been checked against tutor.progress.limits, which
are also the rules the tutor keeps to when it makes and records what it stores (so
every export imports). A file that is not an export, or whose frame is damaged, is
refused whole; one entry that breaks a rule (an attempt, a lesson's record, a network)
is left out with the reason, and the rest is read (Snapshot.skipped says what).

JSON rather than a copy of the SQLite file (which the backup API could make): a
person can read it before handing it in, it diffs and mails well, it has no
journal mode or page size to go wrong on another file system, and it states only
what it means, not this version's tables, so a later schema still reads version 1.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tutor.files import FileRefused, FileTooLarge, read_bounded, write_whole
from tutor.networks.ids import network_lesson_id
from tutor.progress.connection import _SQLITE_MAGIC
from tutor.progress.limits import (  # noqa: F401 - EXPORT_VERSION: the package's face
    EXPORT_VERSION,
    MAX_IMPORT_ATTEMPTS,
    MAX_IMPORT_LESSONS,
    MAX_NETWORKS,
    MAX_STUDENT_LENGTH,
    MAX_TITLE,
    clean_text,
    max_answer_length,
    unprintable,
)
from tutor.progress.records import Attempt, ProgressError, Reveal, SavedNetwork
from tutor.progress.snapshot_records import LessonRecord, Snapshot, StepRecord

if TYPE_CHECKING:
    from tutor.progress.export_file import ExportFile

EXPORT_FORMAT = "chain-tutor-progress"
EXPORT_MAX_BYTES = 64 * 1024 * 1024  # years of attempts are a few MB; more is not ours


class ExportError(ProgressError):
    """A file that is not a usable progress export; the message says what is wrong."""



def export_json(snapshot: Snapshot, exported_at: float) -> dict:
    """The export file's content (format "chain-tutor-progress", EXPORT_VERSION)."""
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        # Cleaned as an import would take them: a login or a title saved by an older
        # version may hold what the import's rules refuse.
        "student": None if snapshot.student is None else student_name(snapshot.student),
        # Whose record it is, as its database recorded it: the report tells students
        # apart by it, whoever exported the file and wherever it was handed in.
        "login": None if snapshot.login is None else student_name(snapshot.login),
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
        # Each time a step's solution was shown: a course's grade leaves out a step shown
        # before it was solved, whatever was reset since.
        # (studied: shown as a worked example, before it was asked; said only then)
        "reveals": [{"lesson_id": r.lesson_id, "step_id": r.step_id, "seed": r.seed,
                     "at": r.at} | ({"studied": True} if r.studied else {})
                    for r in snapshot.reveals],
        # Whether this version validated a network's lesson is not said: the importing
        # tutor makes and validates the lesson itself.
        "networks": [
            {"lesson_id": n.lesson_id, "title": clean_text(n.title, MAX_TITLE), "text": n.text,
             "steps": [list(step) for step in n.steps], "added": n.added, "used": n.used}
            for n in snapshot.networks
        ],
    }


def student_name(login: str) -> str:
    """A login as an export writes it: one printable line an import takes whole."""
    return clean_text(login, MAX_STUDENT_LENGTH)


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
    """Validate an export's content, all of it, before anything uses it.

    Refused whole (ExportError): not an export, a newer version, or a damaged frame
    (a top-level field missing, of the wrong type, or unknown). Left out, each with
    its reason in the snapshot's ``skipped``: an entry of lessons, attempts or networks
    that breaks a rule, one listed a second time, a student name that is not a name,
    and the entries past a list's limit.
    """
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
    return _Reader().snapshot(export)


def left_out(name: str, skipped: tuple[str, ...], shown: int = 20) -> list[str]:
    """The lines that tell what an import or a report left out of file ``name``: the
    first ``shown`` reasons, then how many more (a damaged file can have thousands)."""
    lines = [f"left out of {name}: {_shown(reason)}" for reason in skipped[:shown]]
    if len(skipped) > shown:
        lines.append(f"left out of {name}: {len(skipped) - shown:,} more entries")
    return lines


def _shown(reason: str, longest: int = 300) -> str:
    """A reason as a terminal may print it: msgspec's quotes a wrong value as it is."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in reason)
    return text if len(text) <= longest else text[:longest - 1] + "…"


class _Reader:
    """One export's entries, each converted and checked on its own; what does not pass
    is noted in ``skipped`` and left out."""

    def __init__(self) -> None:
        self.skipped: list[str] = []
        self.longest = max_answer_length()

    def snapshot(self, export: ExportFile) -> Snapshot:
        from tutor.progress.export_file import (
            AttemptEntry,
            LessonEntry,
            NetworkEntry,
            RevealEntry,
        )

        student = self.login_name(export.student, "the student name")
        login = self.login_name(export.login, "the login")
        lessons = self.entries(export.lessons, "lessons", MAX_IMPORT_LESSONS, LessonEntry,
                               self.lesson)
        attempts = self.entries(export.attempts, "attempts", MAX_IMPORT_ATTEMPTS, AttemptEntry,
                                self.attempt)
        networks = self.entries(export.networks, "networks", MAX_NETWORKS, NetworkEntry,
                                self.network)
        reveals = self.entries(export.reveals, "reveals", MAX_IMPORT_ATTEMPTS, RevealEntry,
                               self.reveal)
        return Snapshot(tuple(self.once(lessons, "lesson")), tuple(a for _, a in attempts), student,
                        tuple(self.once(networks, "network")), tuple(self.skipped), login,
                        tuple(r for _, r in reveals))

    def login_name(self, name: str | None, what: str) -> str | None:
        """A login as the file gives it, or None (said in ``skipped``) if it is no name."""
        if not name:
            return None  # an empty name says no more than none
        problem = _name_problem(name, MAX_STUDENT_LENGTH)
        if problem is not None:
            self.skipped.append(f"{what} {problem}, so it was left out")
            return None
        return name

    def entries(self, items: list, key: str, limit: int, kind: type, check) -> list:
        import msgspec

        from tutor.progress.export_file import worded

        if len(items) > limit:
            self.skipped.append(f"{key} holds {len(items):,} entries: the {len(items) - limit:,} "
                                f"past the limit of {limit:,} were left out")
        kept = []
        for i, item in enumerate(items[:limit]):
            where = f"{key}[{i}]"
            try:
                kept.append((where, check(msgspec.convert(item, kind), where)))
            except msgspec.ValidationError as error:
                self.skipped.append(worded(str(error), where, item))
            except ExportError as error:
                self.skipped.append(str(error))
        return kept

    def once(self, entries: list, what: str) -> list:
        """The entries with a lesson id not seen before: a second one is left out."""
        seen: set[str] = set()
        kept = []
        for where, entry in entries:
            if entry.lesson_id in seen:
                self.skipped.append(f"{where} lists {what} {entry.lesson_id!r} a second time")
                continue
            seen.add(entry.lesson_id)
            kept.append(entry)
        return kept

    def lesson(self, lesson, where: str) -> LessonRecord:
        _name(lesson.lesson_id, where, ".lesson_id")
        if len({step.step_id for step in lesson.steps}) != len(lesson.steps):
            raise ExportError(f"{where} lists a step twice")
        for j, step in enumerate(lesson.steps):
            _name(step.step_id, where, f".steps[{j}].step_id")
        return LessonRecord(
            lesson.lesson_id, lesson.seed, lesson.started, lesson.finished,
            tuple(StepRecord(step.step_id, step.status, step.hints) for step in lesson.steps))

    def attempt(self, a, where: str) -> Attempt:
        _name(a.lesson_id, where, ".lesson_id")
        _name(a.step_id, where, ".step_id")
        if len(a.answer) > self.longest:
            raise ExportError(f"{where}.answer is {len(a.answer):,} characters long; the "
                              f"tutor takes answers of at most {self.longest:,}")
        _encodable(a.answer, where, ".answer")
        for code in a.diagnosis:
            _name(code, where, ".diagnosis")
        return Attempt(a.lesson_id, a.step_id, a.seed, a.answer, a.verdict,
                       tuple(a.diagnosis), a.elapsed, a.at)

    def reveal(self, r, where: str) -> Reveal:
        _name(r.lesson_id, where, ".lesson_id")
        _name(r.step_id, where, ".step_id")
        return Reveal(r.lesson_id, r.step_id, r.seed, r.at, r.studied)

    def network(self, n, where: str) -> SavedNetwork:
        if network_lesson_id(n.text) != n.lesson_id:
            raise ExportError(f"{where}.lesson_id is not the id of its text (the text was "
                              "changed, or the id)")
        _encodable(n.text, where, ".text")
        steps = tuple((_name(step_id, where, ".steps"), _name(label, where, ".steps"))
                      for step_id, label in n.steps)
        # A title is only shown: cleaned as the tutor cleans one it reads, never refused.
        return SavedNetwork(n.lesson_id, n.text, clean_text(n.title, MAX_TITLE), steps, None,
                            n.added, n.used)


def _encodable(text: str, where: str, field: str = "") -> str:
    """``where`` + ``field``: joined only to say what is wrong (100,000 attempts)."""
    try:
        text.encode("utf-8")  # a lone surrogate ("\ud800") parses but cannot be stored
    except UnicodeEncodeError as exc:
        raise ExportError(f"{where}{field} holds text that is not valid Unicode") from exc
    return text


def _name_problem(text: str, limit: int) -> str | None:
    if len(text) > limit:
        return f"holds more than {limit:,} characters"
    found = unprintable(text)
    return None if found is None else f"holds {found}"


def _name(text: str, where: str, field: str = "") -> str:
    """An id, code or login: without characters a terminal would obey or a person could
    not see. A plain space is allowed: ids stored by older versions may hold one."""
    if text.isprintable():  # the common case, at C speed; a lone surrogate is not printable
        return text
    raise ExportError(f"{where}{field} holds {unprintable(text)}")
