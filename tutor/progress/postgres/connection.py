"""A connection to PostgreSQL that speaks the SQL of tutor.progress.queries.

The store's queries are written once, in the SQL both engines accept, with SQLite's
placeholders (``?`` and ``?1``). This adapter is what lets them run here unchanged:
placeholders become psycopg's ``%s`` (a numbered one repeated takes its value again),
and ``ON CONFLICT (key)`` gains the ``student`` column every key starts with here (each
row belongs to a database role; row-level security shows a student only their own).
psycopg is imported only when a connection is made, so SQLite users never need it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from tutor.progress.records import ProgressError

SCHEMA = "chain_tutor"  # the PostgreSQL schema (namespace) that holds the tables
INSTALL_HINT = "pip install 'chain-tutor[postgres]'"
# What a connection string does not say otherwise: an unreachable server turns progress
# off within CONNECT_TIMEOUT, and one that vanishes mid-write (a cable pulled, not a
# refusal) within about 15 s, not the kernel's hours; a statement that waits on a lock
# gives up as SQLite's busy timeout does.
CONNECT_TIMEOUT = 5
_DEFAULTS = {"connect_timeout": str(CONNECT_TIMEOUT), "keepalives": "1",
             "keepalives_idle": "5", "keepalives_interval": "2", "keepalives_count": "3",
             "tcp_user_timeout": "15000", "application_name": "chain-tutor"}
STATEMENT_TIMEOUT = "10s"

_PLACEHOLDER = re.compile(r"\?(\d*)")
_CONFLICT = re.compile(r"ON CONFLICT \(")


def translate(sql: str, params: Sequence[Any] = ()) -> tuple[str, list[Any]]:
    """SQLite's placeholders as psycopg's, with the values in the order they are used."""
    values: list[Any] = []
    position = 0

    def placeholder(match: re.Match[str]) -> str:
        nonlocal position
        if match.group(1):
            values.append(params[int(match.group(1)) - 1])
        else:
            values.append(params[position])
            position += 1
        return "%s"

    sql = _PLACEHOLDER.sub(placeholder, sql.replace("%", "%%"))
    return _CONFLICT.sub("ON CONFLICT (student, ", sql), values


def psycopg_module() -> Any:
    """psycopg, or ProgressError saying how to install it."""
    try:
        import psycopg
    except ImportError:
        raise ProgressError(f"CHAIN_TUTOR_DATABASE is set but psycopg is not installed: "
                            f"{INSTALL_HINT}") from None
    return psycopg


def first_line(error: BaseException) -> str:
    """What the server said, on one line (psycopg's messages run over several)."""
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


class PgConnection:
    """One psycopg connection, in autocommit mode: transactions are BEGIN and COMMIT
    issued by _transaction, exactly as short as with SQLite."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    @classmethod
    def connect(cls, conninfo: str) -> PgConnection:
        psycopg = psycopg_module()
        try:
            given = psycopg.conninfo.conninfo_to_dict(conninfo)
            raw = psycopg.connect(conninfo, autocommit=True,
                                  **{key: value for key, value in _DEFAULTS.items()
                                     if key not in given})
        except psycopg.Error as error:
            raise ProgressError(f"cannot connect to the database: {first_line(error)}") from None
        except Exception as error:  # a conninfo string libpq cannot parse, among others
            raise ProgressError(f"cannot connect to the database: {first_line(error)}") from None
        try:
            raw.execute(f"SET search_path TO {SCHEMA}")
            raw.execute(f"SET statement_timeout TO '{STATEMENT_TIMEOUT}'")
        except psycopg.Error as error:
            raw.close()
            raise ProgressError(f"cannot use the database: {first_line(error)}") from None
        return cls(raw)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        query, values = translate(sql, params)
        return self.raw.execute(query, values)

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return self.raw.info.transaction_status in (TransactionStatus.INTRANS,
                                                    TransactionStatus.INERROR)

    @property
    def closed(self) -> bool:
        return bool(self.raw.closed or self.raw.broken)

    def has_table(self, name: str) -> bool:
        row = self.raw.execute("SELECT to_regclass(%s) IS NOT NULL",
                               (f"{SCHEMA}.{name}",)).fetchone()
        return bool(row[0])

    def close(self) -> None:
        self.raw.close()


# Every write of one student's takes this lock (their role's name hashed), so that two
# logins of one student write one after the other, as BEGIN IMMEDIATE makes them with
# SQLite: a read-then-write (a new variant, a status) never interleaves with another.
_WRITE_LOCK = "SELECT pg_advisory_xact_lock(8311, hashtext(current_user))"


@contextmanager
def transaction(conn: PgConnection, *, write: bool) -> Iterator[PgConnection]:
    """One transaction: a write one serialised per student; a read one a consistent
    snapshot (REPEATABLE READ), so a multi-query answer sees one moment."""
    conn.raw.execute("BEGIN" if write else "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    try:
        if write:
            conn.raw.execute(_WRITE_LOCK)
        yield conn
        conn.raw.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise


def rollback(conn: PgConnection) -> None:
    """End a failed transaction if the connection still can; the failure that led here
    is what the caller reports, not one of ending it."""
    import psycopg

    try:
        if not conn.closed and conn.in_transaction:
            conn.raw.execute("ROLLBACK")
    except psycopg.Error:
        pass
