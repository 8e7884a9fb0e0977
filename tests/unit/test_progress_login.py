"""The login in every record: a progress database says whose it is, an export carries it,
and the report counts one student once across databases and exports.

A database records the login of whoever made it (schema 4); one made by an older tutor
gets its file owner's login when it is upgraded, and the report, which never upgrades,
takes the file owner too. Exports of version 3 carry it as "login"; older ones have
none, and the report tells them apart as before (by path, or --by-student).
"""

from __future__ import annotations

import getpass
import json
import os
import pwd
import sqlite3
from pathlib import Path

import pytest

from tutor.cli.command import main
from tutor.progress import (
    DB_NAME,
    SCHEMA_VERSION,
    ProgressStore,
    export_json,
    read_database,
    write_export,
)
from tutor.progress.export import loads_export
from tutor.progress.schema import _MIGRATIONS
from tutor.report.build import build_report
from tutor.report.sources import load_sources

LESSON = "two-layer-sigmoid"
FILE_OWNER = pwd.getpwuid(os.getuid()).pw_name


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHAIN_TUTOR_JOURNAL", raising=False)
    monkeypatch.delenv("CHAIN_TUTOR_DATA", raising=False)


def as_user(monkeypatch: pytest.MonkeyPatch, login: str) -> None:
    monkeypatch.setattr(getpass, "getuser", lambda: login)


def database(monkeypatch, folder: Path, login: str) -> Path:
    """A database made by `login`'s tutor: two wrong answers then a right one."""
    as_user(monkeypatch, login)
    folder.mkdir(parents=True, exist_ok=True)
    with ProgressStore(folder / DB_NAME) as store:
        store.record_attempt(LESSON, "df_dh2", 1, "W3.T", "incorrect", ["transpose"], 5)
        store.record_attempt(LESSON, "df_dh2", 1, "-W3", "incorrect", ["sign"], 5)
        store.record_attempt(LESSON, "df_dh2", 1, "W3", "correct", [], 5, solves=True)
    return folder / DB_NAME


def schema_3_database(path: Path) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for statement in (s for migration in _MIGRATIONS[:3] for s in migration):
            conn.execute(statement)
        conn.execute("PRAGMA user_version = 3")
        conn.execute("INSERT INTO attempts (lesson_id, step_id, seed, answer, verdict, elapsed,"
                     " at) VALUES (?, 'df_dh2', 1, 'W3', 'correct', 1, 1700000000)", (LESSON,))
    finally:
        conn.close()


def test_a_new_database_records_the_login_that_made_it(monkeypatch, tmp_path):
    db = database(monkeypatch, tmp_path / "home", "alice")
    as_user(monkeypatch, "somebody-else")  # who reads it later does not matter
    with ProgressStore(db) as store:
        assert store.owner() == "alice"
        assert store.snapshot().login == "alice"
    assert read_database(db).login == "alice"


def test_an_older_database_gets_its_file_owners_login_on_upgrade(monkeypatch, tmp_path):
    db = tmp_path / DB_NAME
    schema_3_database(db)
    as_user(monkeypatch, "somebody-else")  # an instructor upgrading it, say
    before = db.read_bytes()
    assert read_database(db).login == FILE_OWNER  # the report: the owner, file untouched
    assert db.read_bytes() == before
    with ProgressStore(db) as store:
        assert store.owner() == FILE_OWNER
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("SELECT login FROM owner").fetchall() == [(FILE_OWNER,)]
    conn.close()


def test_an_export_carries_the_databases_login_and_reads_back(monkeypatch, tmp_path, capsys):
    database(monkeypatch, tmp_path / "home", "alice")
    as_user(monkeypatch, "root-for-alice")  # the instructor exports it for her
    assert main(["progress", "--data-dir", str(tmp_path / "home"), "--export", "-"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["version"], data["login"], data["student"]) == (5, "alice", "root-for-alice")
    assert loads_export(json.dumps(data).encode()).login == "alice"


def test_an_export_without_a_login_still_reads(tmp_path):
    old = {"format": "chain-tutor-progress", "version": 2, "student": "bob",
           "lessons": [], "attempts": [], "networks": []}
    snapshot = loads_export(json.dumps(old).encode())
    assert (snapshot.login, snapshot.student, snapshot.skipped) == (None, "bob", ())


def test_a_login_that_is_no_name_is_left_out_with_a_note():
    bad = {"format": "chain-tutor-progress", "version": 3, "login": "al\x1bice",
           "lessons": [], "attempts": []}
    snapshot = loads_export(json.dumps(bad).encode())
    assert snapshot.login is None
    assert snapshot.skipped == ("the login holds a control character (U+001B), so it was "
                                "left out",)


def test_importing_another_students_record_says_so(monkeypatch, tmp_path, capsys):
    alice = database(monkeypatch, tmp_path / "alice", "alice")
    with ProgressStore(alice) as store:
        write_export(tmp_path / "alice.json", export_json(store.snapshot("alice"), 0.0))
    database(monkeypatch, tmp_path / "bob", "bob")
    assert main(["progress", "--data-dir", str(tmp_path / "bob"), "--import",
                 str(tmp_path / "alice.json")]) == 0
    assert "is the record of alice; this progress database is bob's" in capsys.readouterr().err


def test_report_counts_a_student_once_across_a_database_and_its_export(monkeypatch, tmp_path):
    """Alice's database and her export of it (the same attempts), Bob's database, and an
    old export of Carol's without a login: three students, Alice's attempts not doubled."""
    alice = database(monkeypatch, tmp_path / "lab" / "alice", "alice")
    database(monkeypatch, tmp_path / "lab" / "bob", "bob")
    handed_in = tmp_path / "handed-in"
    handed_in.mkdir()
    with ProgressStore(alice) as store:
        write_export(handed_in / "alice-week3.json", export_json(store.snapshot("x"), 0.0))
    old = json.loads((handed_in / "alice-week3.json").read_text())
    old.update(version=2, student="carol")
    del old["login"]
    (handed_in / "carol.json").write_text(json.dumps(old))

    sources, skipped = load_sources([tmp_path / "lab", handed_in])
    assert skipped == []
    report = build_report(sources)
    assert sorted(report.students) == sorted(["alice", "bob", str(handed_in / "carol.json")])
    step = next(s for s in report.lessons[0].steps if s.step_id == "df_dh2")
    assert (step.students, step.solved, step.median_attempts) == (3, 3, 3)
    assert step.common_wrong[0].count == 3  # W3.T once each, Alice's not twice
    by_student = build_report(load_sources([tmp_path / "lab", handed_in], by_student=True)[0])
    assert sorted(by_student.students) == ["alice", "bob", "carol"]


def test_two_databases_of_one_login_are_one_student(monkeypatch, tmp_path):
    database(monkeypatch, tmp_path / "laptop", "alice")
    database(monkeypatch, tmp_path / "server", "alice")
    report = build_report(load_sources([tmp_path])[0])
    assert report.students == ("alice",)


@pytest.mark.parametrize("owner", [
    "CREATE TABLE owner (id INTEGER PRIMARY KEY, who TEXT)",
    "INSERT INTO owner (id, login) VALUES (1, x'00ff')",
], ids=["no login column", "a blob"])
def test_a_damaged_owner_costs_only_the_login(monkeypatch, tmp_path, owner):
    db = tmp_path / DB_NAME
    schema_3_database(db)
    conn = sqlite3.connect(db, isolation_level=None)
    if owner.startswith("INSERT"):
        conn.execute(_MIGRATIONS[3][0])
    conn.execute(owner)
    conn.execute("PRAGMA user_version = 4")
    conn.close()
    snapshot = read_database(db)
    assert snapshot.login == FILE_OWNER and len(snapshot.attempts) == 1
