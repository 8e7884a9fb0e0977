"""A PostgreSQL server of the tests' own, started from Debian's binaries in a temporary
folder (never a system cluster): one per pytest process, so ``-n auto`` workers share
nothing. It listens on a unix socket in its folder and on a free loopback port, and
every role, the superuser too, logs in with a password (scram-sha-256): a student's
connection cannot claim to be another role.

initdb refuses to run as root: as root, the server runs as the ``postgres`` account in a
folder given to it. Without binaries, or as root without that account, the tests that
need a server are skipped, saying why.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

SUPERUSER = "postgres"


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    return Path(found[-1]).parent if found else None


def unavailable() -> str | None:
    """Why no server can be started here, or None."""
    if _binaries() is None:
        return "PostgreSQL's server binaries are not installed (/usr/lib/postgresql/*/bin)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root with no postgres account to run the server as"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresServer:
    """A running server: ``conninfo(role, password, dbname)`` to reach it."""

    def __init__(self, *, durable: bool = False) -> None:
        """``durable``: fsync on, as a site's server (the benchmark); the tests' server
        skips it, for speed: a crash of the machine is not what they test."""
        bin_dir = _binaries()
        assert bin_dir is not None
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="chain-tutor-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.password = secrets.token_hex(12)
        self._as: list[str] = []
        self._names = itertools.count()
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(self.root, account.pw_uid, account.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        os.chmod(self.root, 0o755)  # the socket in it is reached by the tests' user
        secret = self.root / "pwfile"
        secret.write_text(self.password + "\n")
        if self._as:
            os.chown(secret, account.pw_uid, account.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, f"--pwfile={secret}",
                  "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync",
                  "--no-instructions")
        secret.unlink()
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
                       f"unix_socket_directories = '{self.root}'\n"
                       + ("" if durable else "fsync = off\nfull_page_writes = off\n")
                       + "max_connections = 200\n"
                       "shared_buffers = 16MB\nlog_min_messages = warning\n")
        self.start()

    def _run(self, *command: str) -> None:
        subprocess.run([*self._as, str(self.bin / command[0]), *command[1:]], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w",
                  "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def start_if_stopped(self) -> None:
        if not (self.data / "postmaster.pid").exists():
            self.start()

    def remove(self) -> None:
        try:
            self.stop("immediate")
        except subprocess.SubprocessError:
            pass
        shutil.rmtree(self.root, ignore_errors=True)

    def conninfo(self, role: str = SUPERUSER, password: str | None = None,
                 dbname: str = "postgres", *, tcp: bool = False) -> str:
        host = "127.0.0.1" if tcp else str(self.root)
        return (f"host={host} port={self.port} dbname={dbname} user={role} "
                f"password={password or self.password} connect_timeout=5")

    def admin(self, sql: str, dbname: str = "postgres") -> list[tuple]:
        import psycopg

        with psycopg.connect(self.conninfo(dbname=dbname), autocommit=True) as conn:
            cursor = conn.execute(sql)
            return cursor.fetchall() if cursor.description else []

    def new_database(self, prefix: str = "class") -> str:
        name = f"{prefix}_{os.getpid()}_{next(self._names)}"
        self.admin(f"CREATE DATABASE {name}")
        return name

    def new_role(self, prefix: str = "student", *groups: str) -> tuple[str, str]:
        """A login role with a password of its own; (name, password)."""
        name = f"{prefix}_{next(self._names)}"
        password = secrets.token_hex(8)
        self.admin(f"CREATE ROLE {name} LOGIN PASSWORD '{password}'"
                   + (f" IN ROLE {', '.join(groups)}" if groups else ""))
        return name, password

    def psql(self, role: str, password: str, dbname: str, sql: str) -> subprocess.CompletedProcess:
        """Run SQL as that role with the real psql client, as a student at a shell would."""
        if shutil.which("psql") is None:
            import pytest

            pytest.skip("the psql client is not installed (Debian: postgresql-client)")
        env = dict(os.environ, PGPASSWORD=password, PGHOST=str(self.root),
                   PGPORT=str(self.port), PGUSER=role, PGDATABASE=dbname)
        return subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-c", sql],
                              env=env, capture_output=True, text=True, timeout=60)


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {port}")
