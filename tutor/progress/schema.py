"""The tables of a progress database, the migrations that build them, and how the tutor
knows a database for its own.

Kept apart so that a new schema version is one change in one place: append a tuple
to _MIGRATIONS; the connection applies them (tutor.progress.connection._migrate).
A file that is not the tutor's own is never migrated (_check_identity): a progress.db
that is, or links to, another program's database must come out of it as it went in.
"""

from __future__ import annotations

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

_MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2, _V3)
SCHEMA_VERSION = len(_MIGRATIONS)


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
