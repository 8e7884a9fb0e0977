"""The student's progress: one SQLite file per user, safe to share between logins; or,
for a class on several machines, a PostgreSQL database (tutor.progress.postgres).

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

* records — the values a session hands out and takes in (Attempt, LessonState, …)
* snapshot_records — a whole record as values (Snapshot, LessonRecord, MergeResult, …)
* locations — the data and cache folders
* schema — the tables and their migrations
* connection — opening a file: journal mode, integrity, migration, moving a damaged one aside
* store — ProgressStore, the one object the tutor writes through
* opening — which store: the SQLite file, or PostgreSQL when $CHAIN_TUTOR_DATABASE is set
* postgres — the PostgreSQL store, its schema and row-level security, the class's reader
* queries — the SQL behind the store's methods
* snapshots — a whole record taken from a database, and one merged into it (import)
* read_only — another user's database, read without writing anything (the report)
* limits — what the tutor stores and imports: the limits and text rules, in one place
* export — the export file: format and validation (an entry at a time)
* tracing — what the tutor believes a student knows, per skill (knowledge tracing, pure)
* skill_params — the tracing's parameters a course chooses: the file, validated

Every public name is named here, so ``from tutor.progress import X`` is the way in; each
loads its module when first used (tutor.faces): the tutor's first screen opens the store,
and must not wait for the export format, the report's reader or the snapshot records.
"""

from tutor.faces import lazy_face

__getattr__, __dir__, __all__ = lazy_face(__name__, {
    "connection": ("BUSY_TIMEOUT", "JOURNAL_ENV", "JOURNAL_MODES", "_move_aside"),
    "export": ("EXPORT_FORMAT", "EXPORT_MAX_BYTES", "ExportError", "export_json", "left_out",
               "loads_export", "read_export", "snapshot_from_json", "write_export"),
    "limits": ("EXPORT_VERSION", "MAX_DIAGNOSIS_CODES", "MAX_ELAPSED", "MAX_HINTS",
               "MAX_ID_LENGTH", "MAX_IMPORT_ATTEMPTS", "MAX_IMPORT_LESSONS", "MAX_STEPS",
               "MAX_STUDENT_LENGTH", "MAX_TIME", "max_answer_length"),
    "opening": ("DATABASE_ENV", "open_store"),
    "locations": ("APP_NAME", "CACHE_ENV", "DATA_ENV", "DB_NAME", "default_cache_dir",
                  "default_data_dir"),
    "read_only": ("read_database",),
    "records": ("Attempt", "LessonState", "ProgressError", "Reveal", "SavedNetwork",
                "StepState"),
    "snapshot_records": ("LessonRecord", "MergeResult", "Snapshot", "StepRecord"),
    "schema": ("APPLICATION_ID", "SCHEMA_VERSION", "LeftAlone"),
    "store": ("ProgressStore",),
})
