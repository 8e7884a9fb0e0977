"""The student's progress: one SQLite file per user, safe to share between logins.

What is kept, per lesson: the variant's seed, when it was started and finished; per
step: its status ("solved" / "revealed") and hints used; and every attempt ever made,
with its verdict and diagnosis. Statuses and hints are the *current* state and are
cleared by resets and by a new variant; the attempt history is never deleted, and
neither is the time a lesson was first finished (tutor.rules: it stays finished).

Robustness rules, because this runs on students' machines and shared servers:

* Two logins of the same user may write at once, so every write is one short
  ``BEGIN IMMEDIATE`` transaction and every connection waits (busy timeout) rather
  than failing on a lock.
* WAL is unsafe on network filesystems, so a rollback journal can be requested with
  ``journal="delete"`` or ``CHAIN_TUTOR_JOURNAL=delete``.
* A damaged file is renamed aside, never deleted, and a fresh database started.
* Only the tutor's own file is opened (its application_id, or the tables of a file from
  before it): another program's database, or a link to one, is left untouched.
* Once a store is open nothing here raises for I/O trouble: problems become
  ``notice`` (for the UI to show) and the tutor keeps going without saving.

Where each part lives:

* records — the values handed out and taken in (Attempt, LessonState, Snapshot, …)
* locations — the data and cache folders
* schema — the tables and their migrations
* connection — opening a file: journal mode, integrity, migration, moving a damaged one aside
* store — ProgressStore, the one object the tutor writes through
* queries — the SQL behind the store's methods
* snapshots — a whole record taken from a database, and one merged into it (import)
* read_only — another user's database, read without writing anything (the report)
* limits — what the tutor stores and imports: the limits and text rules, in one place
* export — the export file: format and validation (an entry at a time)

Every public name is imported here, so ``from tutor.progress import X`` is the way in.
"""

from tutor.progress.connection import BUSY_TIMEOUT, JOURNAL_ENV, JOURNAL_MODES
from tutor.progress.connection import _move_aside as _move_aside  # for the tests
from tutor.progress.export import (
    EXPORT_FORMAT,
    EXPORT_MAX_BYTES,
    EXPORT_VERSION,
    ExportError,
    export_json,
    left_out,
    loads_export,
    max_answer_length,
    read_export,
    snapshot_from_json,
    write_export,
)
from tutor.progress.limits import (
    MAX_DIAGNOSIS_CODES,
    MAX_ELAPSED,
    MAX_HINTS,
    MAX_ID_LENGTH,
    MAX_IMPORT_ATTEMPTS,
    MAX_IMPORT_LESSONS,
    MAX_STEPS,
    MAX_STUDENT_LENGTH,
    MAX_TIME,
)
from tutor.progress.locations import (
    APP_NAME,
    CACHE_ENV,
    DATA_ENV,
    DB_NAME,
    default_cache_dir,
    default_data_dir,
)
from tutor.progress.read_only import read_database
from tutor.progress.records import (
    Attempt,
    LessonRecord,
    LessonState,
    MergeResult,
    ProgressError,
    SavedNetwork,
    Snapshot,
    StepRecord,
    StepState,
)
from tutor.progress.schema import APPLICATION_ID, SCHEMA_VERSION, LeftAlone
from tutor.progress.store import ProgressStore

__all__ = [
    "APPLICATION_ID",
    "APP_NAME",
    "BUSY_TIMEOUT",
    "CACHE_ENV",
    "DATA_ENV",
    "DB_NAME",
    "EXPORT_FORMAT",
    "EXPORT_MAX_BYTES",
    "EXPORT_VERSION",
    "JOURNAL_ENV",
    "JOURNAL_MODES",
    "MAX_DIAGNOSIS_CODES",
    "MAX_ELAPSED",
    "MAX_HINTS",
    "MAX_ID_LENGTH",
    "MAX_IMPORT_ATTEMPTS",
    "MAX_IMPORT_LESSONS",
    "MAX_STEPS",
    "MAX_STUDENT_LENGTH",
    "MAX_TIME",
    "SCHEMA_VERSION",
    "Attempt",
    "ExportError",
    "LessonRecord",
    "LeftAlone",
    "LessonState",
    "MergeResult",
    "ProgressError",
    "ProgressStore",
    "SavedNetwork",
    "Snapshot",
    "StepRecord",
    "StepState",
    "default_cache_dir",
    "default_data_dir",
    "export_json",
    "left_out",
    "loads_export",
    "max_answer_length",
    "read_database",
    "read_export",
    "snapshot_from_json",
    "write_export",
]
