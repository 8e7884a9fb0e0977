"""Progress is private: what the tutor creates for it is its owner's alone, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tutor.cli.command import main
from tutor.files import make_private_folder
from tutor.progress import DB_NAME, ProgressStore


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=[0o022, 0o000, 0o077], ids=["umask-022", "umask-000", "umask-077"])
def umask(request) -> Iterator[int]:
    previous = os.umask(request.param)
    yield request.param
    os.umask(previous)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CHAIN_TUTOR_DATA", "CHAIN_TUTOR_CACHE", "CHAIN_TUTOR_JOURNAL"):
        monkeypatch.delenv(name, raising=False)


def use(store: ProgressStore) -> None:
    """A write, so SQLite makes its side files (-wal, -shm) too."""
    store.record_attempt("chain", "dz", 1, "W", "incorrect", [], 1.0)


def test_a_data_folder_the_tutor_creates_is_private_with_everything_in_it(tmp_path, umask):
    data = tmp_path / "srv" / "tutor" / "alice"  # none of it exists yet
    with ProgressStore.open(data) as store:
        assert store.enabled, store.notice
        use(store)
        files = [data / DB_NAME, data / f"{DB_NAME}-wal", data / f"{DB_NAME}-shm"]
        assert all(path.exists() for path in files)
        assert {path.name: mode(path) for path in files} == {path.name: 0o600 for path in files}
    for folder in (tmp_path / "srv", tmp_path / "srv" / "tutor", data):
        assert mode(folder) == 0o700, folder


def test_the_rollback_journal_is_private_too(tmp_path, umask, monkeypatch):
    monkeypatch.setenv("CHAIN_TUTOR_JOURNAL", "delete")
    data = tmp_path / "data"
    with ProgressStore.open(data) as store:
        assert store.journal == "delete"
        store._conn.execute("BEGIN IMMEDIATE")  # a write in progress keeps its journal
        store._conn.execute("INSERT INTO lessons (lesson_id) VALUES ('held')")
        journal = data / f"{DB_NAME}-journal"
        assert mode(journal) == 0o600
        store._conn.execute("ROLLBACK")
    assert mode(data / DB_NAME) == 0o600


def test_an_existing_folder_keeps_its_mode_and_the_new_database_is_private(tmp_path, umask):
    data = tmp_path / "shared"
    data.mkdir()
    data.chmod(0o750)  # the user's own choice, e.g. for a group of assistants
    with ProgressStore.open(data) as store:
        use(store)
    assert mode(data) == 0o750
    assert mode(data / DB_NAME) == 0o600


def test_an_existing_database_keeps_its_mode(tmp_path, umask):
    data = tmp_path / "data"
    data.mkdir()
    ProgressStore(data / DB_NAME).close()
    (data / DB_NAME).chmod(0o640)
    with ProgressStore.open(data) as store:
        use(store)
    assert mode(data / DB_NAME) == 0o640


def test_a_fresh_database_after_a_damaged_one_is_private(tmp_path, umask):
    data = tmp_path / "data"
    data.mkdir()
    (data / DB_NAME).write_bytes(b"not a database at all" * 100)
    (data / DB_NAME).chmod(0o644)
    with ProgressStore.open(data) as store:
        assert store.enabled and "moved" in (store.notice or "")
    assert mode(data / DB_NAME) == 0o600


def test_the_data_folder_from_the_environment_is_private(tmp_path, umask, monkeypatch, capsys):
    data = tmp_path / "from-env"
    monkeypatch.setenv("CHAIN_TUTOR_DATA", str(data))
    assert main(["progress"]) == 0
    assert mode(data) == 0o700
    assert mode(data / DB_NAME) == 0o600


def test_the_data_folder_from_the_flag_is_private(tmp_path, umask, capsys):
    data = tmp_path / "from-flag"
    assert main(["progress", "--data-dir", str(data)]) == 0
    assert mode(data) == 0o700
    assert mode(data / DB_NAME) == 0o600


def test_make_private_folder_leaves_an_existing_folder_alone(tmp_path, umask):
    existing = tmp_path / "mine"
    existing.mkdir()
    existing.chmod(0o755)
    assert make_private_folder(existing / "cache") == existing / "cache"
    assert mode(existing) == 0o755
    assert mode(existing / "cache") == 0o700
