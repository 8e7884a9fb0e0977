"""`report`, `report --students` and `--gradebook` read a class straight from PostgreSQL
with an instructor's role, and say what they say of the same class in SQLite files.

The class, in a database of its own: ann solves two steps of two-layer-sigmoid before
the due time and one after; bob has one revealed, then typed in, and one solved. The same
work is also done in SQLite databases made by their logins, the report's other route.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from unittest import mock

import pytest

from tutor.cli.command import main
from tutor.progress import ProgressStore
from tutor.progress.postgres.connection import PgConnection
from tutor.progress.postgres.schema import init_database
from tutor.progress.postgres.store import PostgresStore

T0 = 1_800_000_000
SIGMOID = "two-layer-sigmoid"
DUE = datetime.fromtimestamp(T0 + 100, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
COURSE = f"""\
title = "Deep learning"

[[assignment]]
title = "Sigmoid"
lessons = ["{SIGMOID}"]
due = {DUE}
points = 10
"""


def _correct(step):
    return lambda s: s.record_attempt(SIGMOID, step, 1, "x", "correct", [], 5, solves=True)


WORK = {
    "ann": [(10, _correct("df_dh2")), (15, lambda s: s.record_attempt(
        SIGMOID, "dh2_dz2", 1, "h2", "incorrect", ["transpose"], 4)),
            (20, _correct("dh2_dz2")), (200, _correct("dz2_dh1"))],
    "bob": [(1, lambda s: s.mark(SIGMOID, "df_dh2", "revealed")), (5, _correct("df_dh2")),
            (50, _correct("dh2_dz2"))],
}


@pytest.fixture
def klass(postgres, tmp_path):
    """(the instructor's connection string, the folder of the same class's SQLite
    databases, the course file, the role names by student)."""
    name = postgres.new_database("report")
    conn = PgConnection.connect(postgres.conninfo(dbname=name))
    roles = {}
    logins = {}
    for student in WORK:
        role, password = postgres.new_role(student)
        roles[student] = postgres.conninfo(role, password, name)
        logins[student] = role
    teacher, teacher_password = postgres.new_role("teacher")
    init_database(conn, tuple(logins.values()), (teacher,))
    conn.close()
    now = [0.0]
    for student, work in WORK.items():
        folder = tmp_path / "lab" / student
        folder.mkdir(parents=True)
        with mock.patch("getpass.getuser", return_value=logins[student]), \
                PostgresStore(roles[student], clock=lambda: now[0]) as in_pg, \
                ProgressStore(folder / "progress.db", clock=lambda: now[0]) as in_file:
            for at, action in work:
                now[0] = T0 + at
                action(in_pg)
                action(in_file)
            assert in_pg.notice is None
    (tmp_path / "course.toml").write_text(COURSE, encoding="utf-8")
    return postgres.conninfo(teacher, teacher_password, name), tmp_path / "lab", \
        tmp_path / "course.toml", logins


def _report(capsys, *args) -> str:
    assert main(["report", *args]) == 0, capsys.readouterr().err
    return capsys.readouterr().out


@pytest.mark.parametrize("form", [["--json"], ["--students", "--json"], ["--csv"],
                                  ["--gradebook", "canvas"], ["--skills", "--json"],
                                  ["--bkt-log", "-"]])
def test_the_database_reports_what_the_files_report(klass, capsys, form) -> None:
    teacher, lab, course, _logins = klass
    extra = ["--course", str(course)] if "--gradebook" in form else []
    from_database = _report(capsys, *form, *extra, "--database", teacher)
    from_files = _report(capsys, *form, *extra, str(lab))
    assert from_database == from_files
    assert from_database.strip()


def test_the_students_are_their_roles_with_their_grades(klass, capsys, monkeypatch) -> None:
    teacher, _lab, course, logins = klass
    monkeypatch.setenv("CHAIN_TUTOR_DATABASE", teacher)  # no PATH: the environment's
    rows = json.loads(_report(capsys, "--students", "--json"))["students"]
    by_login = {row["login"]: row for row in rows}
    assert set(by_login) == set(logins.values())
    assert by_login[logins["ann"]]["steps_solved"] == 3
    assert by_login[logins["bob"]]["steps_revealed"] == 1
    grades = _report(capsys, "--gradebook", "moodle", "--course", str(course))
    lines = grades.splitlines()
    assert len(lines) == 3  # the header and one row per student
    # Ann: 2 of 6 steps by the due time; Bob: 1 (the other was revealed before solved).
    assert {line.split(",")[0]: line.split(",")[-1] for line in lines[1:]} == {
        logins["ann"]: "3.33", logins["bob"]: "1.67"}


def test_a_student_cannot_read_the_class(postgres, klass, capsys) -> None:
    _teacher, _lab, _course, logins = klass
    role, password = postgres.new_role("student", "chain_tutor_student")
    student = postgres.conninfo(role, password, _teacher.split("dbname=")[1].split()[0])
    assert main(["report", "--database", student]) == 2
    assert capsys.readouterr().err == (
        f"chain-tutor: {role} is not an instructor (a member of chain_tutor_instructor: "
        f"chain-tutor db init --instructor {role}), so it cannot read the class\n")


def test_report_needs_a_path_or_a_database(capsys) -> None:
    assert main(["report"]) == 2
    assert capsys.readouterr().err == ("chain-tutor: report needs a PATH (a progress.db, an "
                                       "export, a folder) or --database\n")


def test_an_unreachable_class_database_is_one_line(capsys) -> None:
    assert main(["report", "--database", "host=127.0.0.1 port=1 connect_timeout=2"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("chain-tutor: cannot connect to the database: ")
    assert err.count("\n") == 1


def test_fifty_students_writing_at_once_lose_and_repeat_nothing(postgres) -> None:
    """A lab of 50 answering at the same moment (threads, one connection each, loopback):
    the instructor then reads each student's 20 attempts, in order, each once."""
    import threading

    from tutor.progress.postgres.whole_class import read_class

    name = postgres.new_database("lab")
    students = [postgres.new_role("lab") for _ in range(50)]
    teacher, teacher_password = postgres.new_role("teacher")
    conn = PgConnection.connect(postgres.conninfo(dbname=name))
    init_database(conn, tuple(role for role, _ in students), (teacher,))
    conn.close()
    go = threading.Barrier(len(students))
    troubles: list[str] = []

    def student(role: str, password: str) -> None:
        with PostgresStore(postgres.conninfo(role, password, name, tcp=True)) as store:
            go.wait(timeout=60)
            for number in range(20):
                store.record_attempt(SIGMOID, f"s{number % 3}", 1, f"{role}-{number}",
                                     "incorrect", ["x"], 1.0)
            if store.notice:
                troubles.append(store.notice)

    threads = [threading.Thread(target=student, args=pair) for pair in students]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert troubles == []
    records = read_class(postgres.conninfo(teacher, teacher_password, name))
    assert sorted(record.login for record in records) == sorted(role for role, _ in students)
    for record in records:
        assert [a.answer for a in record.attempts] == [f"{record.login}-{n}" for n in range(20)]
