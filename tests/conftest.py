"""Settings for every test folder.

Each test has a home folder of its own (HOME and the XDG folders), so that tests run in
parallel (pytest -n auto, one process per core) share no progress file or cache.

Property tests explore new examples on every local run; under CI (CI=true) they draw
the same examples each time (derandomize), so that a run that lands is one that can be
repeated, and what a local run finds is fixed and pinned by its own test first.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from postgres_server import PostgresServer, unavailable

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
    settings.load_profile("ci")


# What the tutor (and anything else a test starts) would write under the user's home: the
# progress database, the lesson index's cache, settings. Each test gets its own, so tests
# running at once (pytest -n auto) never share a file, and none touches the real ones.
PRIVATE_HOME = ("HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME")
TUTOR_ENV = ("CHAIN_TUTOR_DATA", "CHAIN_TUTOR_CACHE", "CHAIN_TUTOR_JOURNAL",
             "CHAIN_TUTOR_LESSONS", "CHAIN_TUTOR_PROOFS", "CHAIN_TUTOR_DATABASE",
             "CHAIN_TUTOR_SKILL_PARAMS",
             # the login, before getpass's (tutor.seeds), in a JupyterLab terminal
             "JUPYTERHUB_USER")


@pytest.fixture(scope="session")
def homes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("homes")  # one per worker process


@pytest.fixture(autouse=True)
def private_home(homes: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home folder of this test's own (not its tmp_path, which a test may list), with the
    XDG folders inside it, and none of the tutor's variables from the shell that ran pytest."""
    home = Path(tempfile.mkdtemp(dir=homes))  # not mktemp: that lists every earlier one
    for name in PRIVATE_HOME:
        monkeypatch.setenv(name, str(home if name == "HOME" else home / name.lower()))
    for name in TUTOR_ENV:
        monkeypatch.delenv(name, raising=False)
    return home


# A PostgreSQL server for the tests of the PostgreSQL store (tests/postgres_server.py):
# started by the first test that asks, one per pytest process, removed at the end.
@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    reason = unavailable()
    if reason is None and importlib.util.find_spec("psycopg") is None:
        reason = "psycopg is not installed (pip install 'chain-tutor[postgres]')"
    if reason is not None:
        pytest.skip(reason)
    server = PostgresServer()
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture(scope="session")
def class_database(postgres: PostgresServer) -> str:
    """A database made by `chain-tutor db init`'s code, shared by the session's tests:
    each test's student is a role of its own, so row-level security keeps them apart."""
    from tutor.progress.postgres.connection import PgConnection
    from tutor.progress.postgres.schema import init_database

    name = postgres.new_database()
    conn = PgConnection.connect(postgres.conninfo(dbname=name))
    try:
        init_database(conn)
    finally:
        conn.close()
    return name


@pytest.fixture
def pg_student(postgres: PostgresServer, class_database: str) -> str:
    """The connection string of a new student (a login role in chain_tutor_student)."""
    role, password = postgres.new_role("student", "chain_tutor_student")
    return postgres.conninfo(role, password, class_database)
