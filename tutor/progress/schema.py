"""The tables of a progress database, the migrations that build them, and how the tutor
knows a database for its own.

Kept apart so that a new schema version is one change in one place: append a tuple
to _MIGRATIONS; the connection applies them (tutor.progress.connection._migrate).
A file that is not the tutor's own is never migrated (_check_identity): a progress.db
that is, or links to, another program's database must come out of it as it went in.
"""

from __future__ import annotations

import os
import sqlite3

from tutor.progress.records import ProgressError

# Schema. _MIGRATIONS[i] takes the database from version i to version i + 1, so a
# later version appends one tuple and never edits the earlier ones.

_V1 = (
    """CREATE TABLE IF NOT EXISTS lessons (
        lesson_id   TEXT PRIMARY KEY,
        seed        INTEGER,
        started     REAL,
        finished    REAL,
        reset_after INTEGER NOT NULL DEFAULT 0
    )""",
    """CREATE TABLE IF NOT EXISTS steps (
        lesson_id   TEXT NOT NULL,
        step_id     TEXT NOT NULL,
        status      TEXT CHECK (status IN ('solved', 'revealed')),
        hints       INTEGER NOT NULL DEFAULT 0,
        reset_after INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (lesson_id, step_id)
    )""",
    # AUTOINCREMENT so ids are never reused: the reset_after columns above mark
    # "attempts after this id count", which needs ids that only grow.
    """CREATE TABLE IF NOT EXISTS attempts (
        id        INTEGER PRIMARY KEY AUTOINCREMENT,
        lesson_id TEXT NOT NULL,
        step_id   TEXT NOT NULL,
        seed      INTEGER NOT NULL,
        answer    TEXT NOT NULL,
        verdict   TEXT NOT NULL CHECK (verdict IN ('correct', 'incorrect', 'invalid')),
        diagnosis TEXT NOT NULL DEFAULT '[]',
        elapsed   REAL NOT NULL,
        at        REAL NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS attempts_by_step ON attempts (lesson_id, step_id, id)",
)

# Reading a lesson counts each step's attempts by verdict and finds its latest correct
# one; with the verdict in the index both are index range reads, so a lesson with a
# history of 100,000 attempts opens as fast as a new one.
_V2 = (
    "CREATE INDEX IF NOT EXISTS attempts_by_verdict ON attempts (lesson_id, step_id, verdict, id)",
)

# A student's own networks (tutor.networks.reader), kept with their progress: the lesson made
# from a network is not a file, so the network's text is what resumes it. Its lesson id
# is made from the text (tutor.networks.reader.network_lesson_id), so the same network typed
# again is the same lesson. ``steps`` (JSON [[id, label], …]) lists its steps, so the
# picker can show its progress without making the lesson. ``checked_by`` is the
# chain-tutor version that validated the lesson made from it: another version generates
# and validates it again.
_V3 = (
    """CREATE TABLE IF NOT EXISTS networks (
        lesson_id  TEXT PRIMARY KEY,
        text       TEXT NOT NULL,
        title      TEXT NOT NULL,
        steps      TEXT NOT NULL DEFAULT '[]',
        checked_by TEXT,
        added      REAL NOT NULL,
        used       REAL NOT NULL
    )""",
    # What is in the network editor, kept as it is typed: quitting loses none of it.
    """CREATE TABLE IF NOT EXISTS network_draft (
        id    INTEGER PRIMARY KEY CHECK (id = 1),
        text  TEXT NOT NULL,
        saved REAL NOT NULL
    )""",
)

# Whose record this is: the login of the account that made the database, recorded once
# when it is made (tutor.seeds.current_login), so that the instructor's report can tell
# one student's database and exports from another's whatever their paths. A database
# from before this version gets the login of the file's owner when it is upgraded
# (_record_owner, run by the migration after this SQL). NULL: no name could be found.
_V4 = (
    """CREATE TABLE IF NOT EXISTS owner (
        id    INTEGER PRIMARY KEY CHECK (id = 1),
        login TEXT
    )""",
)

# When a step's solution was shown (Reveal, F3), each time: a status alone said only that a
# step is revealed now, and a reset cleared it, so a step revealed, reset and typed in
# counted as solved in a course's grade. With the time, the grade leaves out every step
# shown before it was first solved (tutor.report.grades). A database upgraded to this
# version has no times for the reveals before it; their statuses still count.
_V5 = (
    """CREATE TABLE IF NOT EXISTS reveals (
        id        INTEGER PRIMARY KEY AUTOINCREMENT,
        lesson_id TEXT NOT NULL,
        step_id   TEXT NOT NULL,
        seed      INTEGER,
        at        REAL NOT NULL
    )""",
)

# A step opened as a worked example (tutor.standing.worked_steps) is shown, solution and
# derivation, before the student answers: a reveal for the grade, but studied, not a slip,
# for the tracing of skills (tutor.progress.tracing), which marks it here.
_V6 = ("ALTER TABLE reveals ADD COLUMN studied INTEGER NOT NULL DEFAULT 0",)

_MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2, _V3, _V4, _V5, _V6)
SCHEMA_VERSION = len(_MIGRATIONS)
OWNER_VERSION = 4  # the first version with the owner table


def file_owner(path: str | os.PathLike) -> str | None:
    """The login name of the account that owns the file; None if it has none (a uid
    with no entry in the password database, a system without one)."""
    try:
        import pwd

        return pwd.getpwuid(os.stat(path).st_uid).pw_name or None
    except (ImportError, KeyError, OSError):
        return None


def _record_owner(conn: sqlite3.Connection, created: bool) -> None:
    """Record whose database this is, in the migration's transaction: a database made now
    is the current login's; an older one, upgraded, is its file owner's (the student whose
    tutor made it, whoever runs the upgrade)."""
    path = conn.execute("PRAGMA database_list").fetchone()[2]
    login = None
    if created:
        from tutor.seeds import LoginError, current_login

        try:
            login = current_login()
        except LoginError:
            login = None
    if login is None and path:
        login = file_owner(path)
    conn.execute("INSERT OR IGNORE INTO owner (id, login) VALUES (1, ?)", (login,))


def has_column(conn: sqlite3.Connection, table: str, column: str) -> bool:
    """Whether ``table`` has ``column`` (one of an older schema, read by the report, may
    lack it). Another engine's tables (tutor.progress.postgres) are made whole, at the
    schema its store requires, so they have it."""
    if getattr(conn, "has_table", None) is not None:
        return bool(conn.has_table(table))
    return any(row[1] == column for row in conn.execute(f"PRAGMA table_info({table})"))


def has_table(conn: sqlite3.Connection, name: str) -> bool:
    """Whether the database has this table: one of an older schema, read by the report
    and never migrated, lacks the tables of the versions after it. A connection to
    another engine (tutor.progress.postgres) answers for itself."""
    own = getattr(conn, "has_table", None)
    if own is not None:
        return bool(own(name))
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                        (name,)).fetchone() is not None


def read_owner(conn: sqlite3.Connection) -> str | None:
    """The login recorded in the database; None if it has no owner table (an older one,
    read without being upgraded) or no login recorded, or a damaged value."""
    if not has_table(conn, "owner"):
        return None
    try:
        row = conn.execute("SELECT login FROM owner WHERE id = 1").fetchone()
    except sqlite3.OperationalError:  # a table of that name made by hand: no owner said
        return None
    return row[0] if row and isinstance(row[0], str) and row[0] else None


# Stamped in every database the tutor creates (PRAGMA application_id, bytes 68-71 of the
# file), so that it opens only its own: "CTut" in ASCII; `file progress.db` shows it as
# 1129608564. Never change it: every database made so far carries it.
APPLICATION_ID = 0x43547574

# The tables every chain-tutor database has had since schema 1. With them and a schema
# version, a file from before the application_id (schema 1 to 3, application_id 0) is
# recognised as the tutor's own, and stamped when it is next migrated.
_OWN_TABLES = frozenset({"lessons", "steps", "attempts"})

# No chain-tutor will have this many schema versions: a header claiming more, or fewer
# than none, is damaged, not written by a newer tutor.
_MAX_VERSION = 1000


class _Corrupt(Exception):
    """The file itself is damaged: it is moved aside and a new one started."""


class LeftAlone(ProgressError):
    """A file the tutor must not open: another program's, or a newer chain-tutor's.
    Nothing in it is changed, not even its journal mode; progress is off."""


def _user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _application_id(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA application_id").fetchone()[0])


def _refuse_newer(version: int) -> None:
    if version > SCHEMA_VERSION:
        raise LeftAlone(
            f"written by a newer chain-tutor "
            f"(schema {version}; this version knows {SCHEMA_VERSION})"
        )


def _check_identity(conn: sqlite3.Connection) -> None:
    """Return if this is a chain-tutor database this version may open, or an empty one.

    Raises LeftAlone for another program's file or a newer tutor's, and _Corrupt for
    one of ours whose header gives a schema version no tutor writes. Reads only: call it
    inside one read transaction, so that another login creating the file at this moment
    cannot be seen half done.
    """
    application_id = _application_id(conn)
    version = _user_version(conn)
    entries, tables = conn.execute(
        "SELECT count(*), count(CASE WHEN type = 'table' THEN 1 END) FROM sqlite_master"
    ).fetchone()
    own = {row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (?, ?, ?)",
        sorted(_OWN_TABLES))}
    ours = application_id == APPLICATION_ID or (
        application_id == 0 and version != 0 and own == _OWN_TABLES)
    if ours:
        if not 0 <= version <= _MAX_VERSION:
            raise _Corrupt(f"its header gives schema version {version}, "
                           "which no chain-tutor writes")
        _refuse_newer(version)
        return
    if application_id == 0 and version == 0 and not entries:
        return  # a new file, or one another login is creating at this moment
    raise LeftAlone(
        f"not a chain-tutor progress database (application_id {application_id & 0xFFFFFFFF:#010x}"
        f", schema version {version}, {tables} table(s))"
    )
