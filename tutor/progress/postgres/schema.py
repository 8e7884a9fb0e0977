"""The tables of a class's progress in PostgreSQL, their row-level security, and the
roles and grants that decide who may do what; made and migrated by ``chain-tutor db``.

The tables are tutor.progress.schema's, with one more column, ``student`` (the database
role that wrote the row, ``current_user`` by default), first in every key. Row-level
security, forced even on the tables' owner, shows and lets a member of
``chain_tutor_student`` touch only rows of their own; the store's SQL, which names no
student, so runs unchanged for each. Attempts and reveals are the history: a student
may add to it, never change or delete it. ``chain_tutor_instructor`` reads every row.

_MIGRATIONS works as the SQLite one does: [i] takes version i to i + 1, a later version
appends. Roles, policies and grants are not versioned: ``db init`` states them all again
each time it runs (every statement may run twice), so re-running it repairs them.
"""

from __future__ import annotations

from tutor.progress.postgres.connection import SCHEMA, PgConnection, rollback
from tutor.progress.records import ProgressError
from tutor.progress.schema import LeftAlone

STUDENT_ROLE = "chain_tutor_student"
INSTRUCTOR_ROLE = "chain_tutor_instructor"
VERSION_TABLE = "chain_tutor_schema"
# The instructor's report reads one student at a time by naming them here (read_class):
# a narrowing of what the instructor may read anyway, not a permission.
STUDENT_SETTING = "chain_tutor.student"

_OWN = "student TEXT NOT NULL DEFAULT current_user"

_V1 = (
    f"""CREATE TABLE lessons (
        {_OWN},
        lesson_id   TEXT NOT NULL,
        seed        BIGINT,
        started     DOUBLE PRECISION,
        finished    DOUBLE PRECISION,
        reset_after BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (student, lesson_id)
    )""",
    f"""CREATE TABLE steps (
        {_OWN},
        lesson_id   TEXT NOT NULL,
        step_id     TEXT NOT NULL,
        status      TEXT CHECK (status IN ('solved', 'revealed')),
        hints       BIGINT NOT NULL DEFAULT 0,
        reset_after BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (student, lesson_id, step_id)
    )""",
    # One identity for the whole class: ids only grow, which reset_after needs.
    f"""CREATE TABLE attempts (
        id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        {_OWN},
        lesson_id TEXT NOT NULL,
        step_id   TEXT NOT NULL,
        seed      BIGINT NOT NULL,
        answer    TEXT NOT NULL,
        verdict   TEXT NOT NULL CHECK (verdict IN ('correct', 'incorrect', 'invalid')),
        diagnosis TEXT NOT NULL DEFAULT '[]',
        elapsed   DOUBLE PRECISION NOT NULL,
        at        DOUBLE PRECISION NOT NULL
    )""",
    "CREATE INDEX attempts_by_verdict ON attempts (student, lesson_id, step_id, verdict, id)",
    "CREATE INDEX attempts_by_step ON attempts (student, lesson_id, step_id, id)",
    f"""CREATE TABLE networks (
        {_OWN},
        lesson_id  TEXT NOT NULL,
        text       TEXT NOT NULL,
        title      TEXT NOT NULL,
        steps      TEXT NOT NULL DEFAULT '[]',
        checked_by TEXT,
        added      DOUBLE PRECISION NOT NULL,
        used       DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (student, lesson_id)
    )""",
    f"""CREATE TABLE network_draft (
        {_OWN},
        id    INTEGER NOT NULL CHECK (id = 1),
        text  TEXT NOT NULL,
        saved DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (student, id)
    )""",
    f"""CREATE TABLE reveals (
        id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        {_OWN},
        lesson_id TEXT NOT NULL,
        step_id   TEXT NOT NULL,
        seed      BIGINT,
        at        DOUBLE PRECISION NOT NULL,
        studied   INTEGER NOT NULL DEFAULT 0 CHECK (studied IN (0, 1))
    )""",
    "CREATE INDEX reveals_by_student ON reveals (student, id)",
)

_MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1,)
SCHEMA_VERSION = len(_MIGRATIONS)

# What a student may do to each table beyond SELECT and INSERT: UPDATE (only the
# columns that hold state, never ``student``) and DELETE where the store needs them.
# attempts and reveals are in neither: the history only grows.
_UPDATES = {
    "lessons": ("seed", "started", "finished", "reset_after"),
    "steps": ("status", "hints", "reset_after"),
    "networks": ("text", "title", "steps", "checked_by", "added", "used"),
    "network_draft": ("text", "saved"),
}
_DELETES = ("steps", "networks")  # a reset clears steps; a network taken off the list
TABLES = ("lessons", "steps", "attempts", "networks", "network_draft", "reveals")
_MINE = "student = current_user"


def _quote(conn: PgConnection, name: str) -> str:
    from psycopg import sql

    return sql.Identifier(name).as_string(conn.raw)


def schema_version(conn: PgConnection) -> int | None:
    """The version made so far; None if ``db init`` never ran on this database."""
    if not conn.has_table(VERSION_TABLE):
        return None
    row = conn.execute(f"SELECT version FROM {VERSION_TABLE}").fetchone()
    return int(row[0]) if row else 0


def check_version(conn: PgConnection) -> None:
    """Return if a student's tutor may use this database as it is; else ProgressError
    saying what the administrator must run (a student cannot make or migrate it)."""
    version = schema_version(conn)
    if version is None:
        raise ProgressError("the database has no chain-tutor tables yet: an administrator "
                            "must run chain-tutor db init")
    if version > SCHEMA_VERSION:
        raise LeftAlone(f"the database was made by a newer chain-tutor (schema {version}; "
                        f"this version knows {SCHEMA_VERSION})")
    if version < SCHEMA_VERSION:
        raise ProgressError(f"the database has schema {version}, this chain-tutor needs "
                            f"{SCHEMA_VERSION}: an administrator must run chain-tutor db upgrade")


def upgrade(conn: PgConnection) -> tuple[int, int]:
    """Bring the tables to SCHEMA_VERSION in one transaction; (from, to) versions.
    Run by the administrator (it creates tables); twice at once, one waits."""
    conn.raw.execute("BEGIN")
    try:
        conn.raw.execute("SELECT pg_advisory_xact_lock(8311, 0)")
        conn.raw.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        conn.raw.execute(f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version INTEGER NOT NULL)")
        row = conn.raw.execute(f"SELECT version FROM {VERSION_TABLE}").fetchone()
        if row is None:
            conn.raw.execute(f"INSERT INTO {VERSION_TABLE} (version) VALUES (0)")
        start = int(row[0]) if row else 0
        if start > SCHEMA_VERSION:
            raise LeftAlone(f"the database was made by a newer chain-tutor (schema {start}; "
                            f"this version knows {SCHEMA_VERSION}); nothing was changed")
        for target in range(start + 1, SCHEMA_VERSION + 1):
            for statement in _MIGRATIONS[target - 1]:
                conn.raw.execute(statement)
            conn.raw.execute(f"UPDATE {VERSION_TABLE} SET version = %s", (target,))
        conn.raw.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise
    return start, SCHEMA_VERSION


def _ensure_role(conn: PgConnection, role: str) -> None:
    exists = conn.raw.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
    if not exists:
        conn.raw.execute(f"CREATE ROLE {_quote(conn, role)} NOLOGIN")


def _security(conn: PgConnection) -> list[str]:
    """Every grant and policy, stated from scratch (each table's old policies dropped)."""
    statements = [
        f"REVOKE ALL ON SCHEMA {SCHEMA} FROM PUBLIC",
        f"GRANT USAGE ON SCHEMA {SCHEMA} TO {STUDENT_ROLE}, {INSTRUCTOR_ROLE}",
        f"REVOKE ALL ON {VERSION_TABLE} FROM PUBLIC",
        f"GRANT SELECT ON {VERSION_TABLE} TO {STUDENT_ROLE}, {INSTRUCTOR_ROLE}",
    ]
    narrowed = (f"COALESCE(NULLIF(current_setting('{STUDENT_SETTING}', true), ''), student)"
                " = student")
    for table in TABLES:
        policies = conn.raw.execute(
            "SELECT policyname FROM pg_policies WHERE schemaname = %s AND tablename = %s",
            (SCHEMA, table)).fetchall()
        statements += [f"DROP POLICY {_quote(conn, name)} ON {table}" for (name,) in policies]
        statements += [
            f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
            f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
            f"REVOKE ALL ON {table} FROM PUBLIC, {STUDENT_ROLE}, {INSTRUCTOR_ROLE}",
            f"GRANT SELECT ON {table} TO {STUDENT_ROLE}",
            f"GRANT INSERT ({_given(conn, table)}) ON {table} TO {STUDENT_ROLE}",
            f"GRANT SELECT ON {table} TO {INSTRUCTOR_ROLE}",
            f"CREATE POLICY own_rows ON {table} FOR SELECT TO {STUDENT_ROLE} USING ({_MINE})",
            f"CREATE POLICY add_own ON {table} FOR INSERT TO {STUDENT_ROLE}"
            f" WITH CHECK ({_MINE})",
            f"CREATE POLICY whole_class ON {table} FOR SELECT TO {INSTRUCTOR_ROLE} USING (true)",
            f"CREATE POLICY one_student ON {table} AS RESTRICTIVE FOR SELECT"
            f" TO {INSTRUCTOR_ROLE} USING ({narrowed})",
        ]
        if table in _UPDATES:
            statements += [
                f"GRANT UPDATE ({', '.join(_UPDATES[table])}) ON {table} TO {STUDENT_ROLE}",
                f"CREATE POLICY change_own ON {table} FOR UPDATE TO {STUDENT_ROLE}"
                f" USING ({_MINE}) WITH CHECK ({_MINE})",
            ]
        if table in _DELETES:
            statements += [
                f"GRANT DELETE ON {table} TO {STUDENT_ROLE}",
                f"CREATE POLICY remove_own ON {table} FOR DELETE TO {STUDENT_ROLE}"
                f" USING ({_MINE})",
            ]
    return statements


def _given(conn: PgConnection, table: str) -> str:
    """The columns a student's INSERT may give values to: all but the class's identity
    ids, which the server numbers (one given by hand, OVERRIDING SYSTEM VALUE, would take
    a number the sequence hands another student later: their attempt could not be saved)."""
    rows = conn.raw.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = %s"
        " AND table_name = %s AND is_identity = 'NO' ORDER BY ordinal_position",
        (SCHEMA, table)).fetchall()
    return ", ".join(_quote(conn, name) for (name,) in rows)


def init_database(conn: PgConnection, students: tuple[str, ...] = (),
                  instructors: tuple[str, ...] = ()) -> tuple[int, int]:
    """Make or repair everything: the tables (upgrade), the two group roles, their
    grants and policies, and membership for the roles named; (from, to) versions."""
    for role in (*students, *instructors):
        if not conn.raw.execute("SELECT 1 FROM pg_roles WHERE rolname = %s",
                                (role,)).fetchone():
            raise ProgressError(f"there is no role {role!r} in this PostgreSQL server "
                                "(create it first: CREATE ROLE … LOGIN); nothing was changed")
    versions = upgrade(conn)
    conn.raw.execute("BEGIN")
    try:
        conn.raw.execute("SELECT pg_advisory_xact_lock(8311, 0)")
        _ensure_role(conn, STUDENT_ROLE)
        _ensure_role(conn, INSTRUCTOR_ROLE)
        for statement in _security(conn):
            conn.raw.execute(statement)
        for role in students:
            conn.raw.execute(f"GRANT {STUDENT_ROLE} TO {_quote(conn, role)}")
        for role in instructors:
            conn.raw.execute(f"GRANT {INSTRUCTOR_ROLE} TO {_quote(conn, role)}")
        conn.raw.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise
    return versions
