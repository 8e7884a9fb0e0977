"""PostgresStore: one student's progress in a class's PostgreSQL database.

The same object as tutor.progress.store.ProgressStore (the screens cannot tell them
apart): every method's SQL and rules are that class's, run here through the adapter of
tutor.progress.postgres.connection. What differs is only the plumbing: who the student
is (the database role, current_user), that the tutor never makes the tables (an
administrator does, with ``chain-tutor db init``), and that a server can go away and come
back: a failure turns progress off with the reason in ``notice``, and the next read or
write, at most once every RECONNECT_EVERY seconds, tries a fresh connection.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from tutor.progress.postgres.connection import PgConnection, first_line, transaction
from tutor.progress.postgres.schema import check_version
from tutor.progress.records import ProgressError
from tutor.progress.schema import LeftAlone
from tutor.progress.store import ProgressStore

RECONNECT_EVERY = 3.0  # seconds between tries while the server is away


class PostgresStore(ProgressStore):
    """Progress for the connected database role. ``PostgresStore(conninfo)`` raises
    ProgressError if it cannot be used; ``PostgresStore.open(conninfo)`` never raises."""

    def __init__(self, conninfo: str, *, clock: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._setup(conninfo, clock, monotonic)
        self._conn = self._connect()
        self.enabled = True

    def _setup(self, conninfo: str | None, clock: Callable[[], float],
               monotonic: Callable[[], float]) -> None:
        self.path = None
        self.notice = None
        self.enabled = False
        self.journal = None
        self._pending = None
        self.conninfo = conninfo
        self.student: str | None = None
        self._clock = clock
        self._monotonic = monotonic
        self._lock = threading.RLock()
        self._conn: PgConnection | None = None  # type: ignore[assignment]
        self._lost_at: float | None = None  # when the connection was lost, if it was

    def _connect(self) -> PgConnection:
        assert self.conninfo is not None
        conn = PgConnection.connect(self.conninfo)
        try:
            import psycopg

            with transaction(conn, write=False):
                check_version(conn)
                self.student = conn.execute("SELECT current_user").fetchone()[0]
        except psycopg.Error as error:
            conn.close()
            raise ProgressError(f"the database cannot be read: {first_line(error)}") from None
        except BaseException:
            conn.close()
            raise
        return conn

    @classmethod
    def open(cls, conninfo: str, *, create_later: bool = False,  # type: ignore[override]
             clock: Callable[[], float] = time.time,
             monotonic: Callable[[], float] = time.monotonic) -> PostgresStore:
        """Never raises. ``create_later``: connect at create() or the first read or
        write, not now (the tutor's first screen does not wait for the server)."""
        if create_later:
            store = cls.__new__(cls)
            store._setup(conninfo, clock, monotonic)
            store.enabled = True
            store._lost_at = monotonic() - RECONNECT_EVERY  # the first use connects
            return store
        try:
            return cls(conninfo, clock=clock, monotonic=monotonic)
        except LeftAlone as exc:
            store = cls.disabled(str(exc))
            store.left_alone = True
            return store
        except ProgressError as exc:
            # Off for now; a later read or write tries again (the server may be starting).
            store = cls.disabled(str(exc))
            store._reconnecting(conninfo, clock, monotonic)
            return store

    @classmethod
    def disabled(cls, reason: str) -> PostgresStore:  # type: ignore[override]
        store = cls.__new__(cls)
        store._setup(None, time.time, time.monotonic)
        store.notice = f"progress is off: {reason}"
        return store

    def _reconnecting(self, conninfo: str, clock: Callable[[], float],
                      monotonic: Callable[[], float]) -> None:
        self.conninfo, self._clock, self._monotonic = conninfo, clock, monotonic
        self._lost_at = monotonic()

    @property
    def where(self) -> str:
        return f"the PostgreSQL database (as {self.student or 'the connected role'})"

    def create(self) -> None:
        """Connect now if not yet connected (the tables are the administrator's to make:
        chain-tutor db init); a failure is told, as a failed write would be."""
        with self._lock:
            if self._conn is not None or self._lost_at is None:
                return
            self._usable()
            message = self.notice if self._conn is None else None
        if message:
            self._tell(message)

    def close(self) -> None:
        with self._lock:
            self._lost_at = None
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            self.enabled = False

    # -- plumbing --------------------------------------------------------------

    def _usable(self) -> PgConnection | None:
        """The connection, or a fresh one if it was lost long enough ago; call with the
        lock held. A failed try leaves the reason in ``notice``; a reconnection clears it."""
        if self._conn is not None and not self._conn.closed:
            return self._conn
        if self._conn is not None:
            self._lose()
        if self._lost_at is None or self._monotonic() - self._lost_at < RECONNECT_EVERY:
            return None
        try:
            self._conn = self._connect()
        except ProgressError as exc:
            self._lost_at = None if isinstance(exc, LeftAlone) else self._monotonic()
            self.enabled = False
            self.notice = f"progress is off: {exc}"
            return None
        self._lost_at = None
        self.enabled = True
        self.notice = None
        return self._conn

    def _lose(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # noqa: BLE001 - already broken: nothing more to lose
                pass
        self._conn = None
        self._lost_at = self._monotonic() - RECONNECT_EVERY  # the next use tries at once

    def _run(self, work: Callable[[PgConnection], Any], *, write: bool) -> Any:
        """Run in one transaction on a usable connection; psycopg.Error if it failed
        (the connection dropped if it is broken). Call with the lock held."""
        conn = self._usable()
        if conn is None:
            raise _Away(self.notice or "progress is off")
        import psycopg

        try:
            with transaction(conn, write=write):
                return work(conn)
        except psycopg.Error:
            if conn.closed:
                self._lose()
            raise

    def _write(self, what: str, work: Callable[[Any, float], None]) -> None:
        with self._lock:
            was = self.notice
            try:
                self._run(lambda conn: work(conn, self._clock()), write=True)
                message = self.notice if self.notice != was else None
            except _Away:
                return
            except Exception as exc:  # psycopg.Error: imported only with a database
                if not _is_database_error(exc):
                    raise
                message = self.notice = f"progress could not be saved ({what}): " \
                                        f"{first_line(exc)}"
        if message:
            self._tell(message)

    def _read(self, what: str, work: Callable[[Any], Any], empty: Any) -> Any:
        with self._lock:
            was = self.notice
            try:
                result = self._run(work, write=False)
                message = self.notice if self.notice != was else None
            except _Away:
                return empty
            except Exception as exc:
                if not _is_database_error(exc):
                    raise
                message = self.notice = f"progress could not be read ({what}): " \
                                        f"{first_line(exc)}"
                result = empty
        if message:
            self._tell(message)
        return result

    def _strict(self, what: str, work: Callable[[Any], Any], *, write: bool) -> Any:
        with self._lock:
            try:
                return self._run(work, write=write)
            except _Away as away:
                raise ProgressError(str(away)) from None
            except Exception as exc:
                if not _is_database_error(exc):
                    raise
                raise ProgressError(f"progress could not be {what}: {first_line(exc)}") from exc

    def snapshot(self, student: str | None = None) -> Any:
        """As ProgressStore.snapshot; whose record it is is the connected role."""
        from tutor.progress.snapshots import _snapshot

        return self._strict("read", lambda conn: _snapshot(conn, student, self.student),
                            write=False)

    def owner(self) -> str | None:
        """The connected role: every row it writes is recorded as its own."""
        return self.student


class _Away(Exception):
    """No connection now (the server is away, and it is too soon to try again)."""


def _is_database_error(exc: BaseException) -> bool:
    import psycopg

    return isinstance(exc, psycopg.Error)
