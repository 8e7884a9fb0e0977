"""`chain-tutor db init` / `db upgrade`, and `progress` over a PostgreSQL database, run as
their users would (main(), a real server): an administrator sets the class up, a student
prints, exports and imports their own record."""

from __future__ import annotations

import json
import sys

import pytest

from tutor.cli.command import main
from tutor.progress.postgres.store import PostgresStore


@pytest.fixture
def fresh(postgres):
    """A new empty database: its name and the administrator's connection string."""
    name = postgres.new_database("fresh")
    return name, postgres.conninfo(dbname=name)


def test_db_init_makes_everything_and_again_changes_nothing(postgres, fresh, capsys) -> None:
    name, admin = fresh
    ann, ann_password = postgres.new_role("ann")
    teacher, _ = postgres.new_role("teacher")
    assert main(["db", "init", "--database", admin, "--student", ann,
                 "--instructor", teacher]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [
        f"{name}: made the tables (schema 1); roles chain_tutor_student and "
        "chain_tutor_instructor, row-level security on its 6 tables.",
        f"chain_tutor_student: granted to {ann}.",
        f"chain_tutor_instructor: granted to {teacher}.",
    ]
    with PostgresStore(postgres.conninfo(ann, ann_password, name)) as store:
        store.record_attempt("chain", "dz", 1, "W", "correct", [], 1.0)
    policies = postgres.admin("SELECT count(*) FROM pg_policies WHERE schemaname = "
                              "'chain_tutor'", name)
    assert main(["db", "init", "--database", admin]) == 0
    assert "the tables were at schema 1 already" in capsys.readouterr().out
    assert postgres.admin("SELECT count(*) FROM pg_policies WHERE schemaname = "
                          "'chain_tutor'", name) == policies
    assert postgres.admin("SELECT count(*) FROM chain_tutor.attempts", name) == [(1,)]
    assert main(["db", "upgrade", "--database", admin]) == 0
    assert capsys.readouterr().out == f"{name}: the tables were at schema 1 already.\n"


def test_db_init_reads_the_environment(postgres, fresh, monkeypatch, capsys) -> None:
    name, admin = fresh
    monkeypatch.setenv("CHAIN_TUTOR_DATABASE", admin)
    assert main(["db", "init"]) == 0
    assert capsys.readouterr().out.startswith(f"{name}: made the tables")


def test_db_init_with_an_unknown_role_changes_nothing(postgres, fresh, capsys) -> None:
    name, admin = fresh
    assert main(["db", "init", "--database", admin, "--student", "nobody_here"]) == 2
    err = capsys.readouterr().err
    assert err == ("chain-tutor: there is no role 'nobody_here' in this PostgreSQL server "
                   "(create it first: CREATE ROLE … LOGIN); nothing was changed\n")
    assert postgres.admin("SELECT count(*) FROM pg_namespace WHERE nspname = 'chain_tutor'",
                          name) == [(0,)]


def test_db_init_by_a_role_without_the_rights_says_so(postgres, fresh, capsys) -> None:
    name, _admin = fresh
    role, password = postgres.new_role("student")
    postgres.admin(f"REVOKE CREATE ON DATABASE {name} FROM PUBLIC")
    assert main(["db", "init", "--database", postgres.conninfo(role, password, name)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("chain-tutor: db init failed, nothing was changed: permission "
                          "denied")
    assert err.count("\n") == 1


def test_db_needs_a_database_and_a_reachable_one(postgres, fresh, capsys) -> None:
    name, _admin = fresh
    assert main(["db", "upgrade"]) == 2
    assert capsys.readouterr().err == ("chain-tutor: db upgrade needs a database: --database "
                                       "CONNINFO or CHAIN_TUTOR_DATABASE\n")
    assert main(["db", "upgrade", "--database", postgres.conninfo(dbname=name)]) == 2
    assert capsys.readouterr().err == (f"chain-tutor: {name} has no chain-tutor tables: run "
                                       "chain-tutor db init first\n")
    assert main(["db", "init", "--database", "port=1 host=127.0.0.1 connect_timeout=2"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("chain-tutor: cannot connect to the database: ")
    assert err.count("\n") == 1


def test_db_without_psycopg_says_how_to_install_it(monkeypatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    assert main(["db", "init", "--database", "dbname=class"]) == 2
    assert "pip install 'chain-tutor[postgres]'" in capsys.readouterr().err


def test_progress_prints_exports_and_imports_over_the_database(postgres, class_database,
                                                               tmp_path, capsys) -> None:
    role, password = postgres.new_role("ann", "chain_tutor_student")
    conninfo = postgres.conninfo(role, password, class_database)
    with PostgresStore(conninfo) as store:
        store.set_seed("01-scalar-chain", 3)
        store.record_attempt("01-scalar-chain", "dz", 3, "w", "correct", [], 2.0, solves=True)
    assert main(["progress", "--database", conninfo, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["database"] == f"the PostgreSQL database (as {role})"
    assert [row["solved"] for row in shown["lessons"]] == [1]

    export = tmp_path / "ann.json"
    assert main(["progress", "--database", conninfo, "--export", str(export)]) == 0
    assert "1 attempt(s)" in capsys.readouterr().out
    assert json.loads(export.read_text())["login"] == role

    # On another host, the same student: a second role's rows stand for a new record.
    other, other_password = postgres.new_role("ann_again", "chain_tutor_student")
    elsewhere = postgres.conninfo(other, other_password, class_database)
    assert main(["progress", "--database", elsewhere, "--import", str(export)]) == 0
    captured = capsys.readouterr()
    assert "Imported 1 attempt(s)" in captured.out
    assert f"is the record of {role}; this progress database is {other}'s" in captured.err
    assert main(["progress", "--database", elsewhere, "--import", str(export)]) == 0
    assert "Imported 0 attempt(s)" in capsys.readouterr().out
    with PostgresStore(elsewhere) as store:
        assert [a.answer for a in store.attempts()] == ["w"]
        assert store.lesson("01-scalar-chain").steps["dz"].status == "solved"


def test_progress_over_a_database_not_set_up_says_so(postgres, capsys, monkeypatch) -> None:
    bare = postgres.new_database("bare")
    role, password = postgres.new_role("student")
    monkeypatch.setenv("CHAIN_TUTOR_DATABASE", postgres.conninfo(role, password, bare))
    assert main(["progress", "--export", "-"]) == 1
    err = capsys.readouterr().err
    assert err == ("chain-tutor: progress is off: the database has no chain-tutor tables "
                   "yet: an administrator must run chain-tutor db init\n")


def test_progress_with_the_server_away_says_so_and_exits_1(capsys) -> None:
    code = main(["progress", "--database", "host=127.0.0.1 port=1 dbname=x connect_timeout=2"])
    captured = capsys.readouterr()
    assert code == 1
    assert captured.out == ""  # not "No progress yet": nothing could be read
    assert captured.err.startswith("chain-tutor: progress is off: cannot connect to the "
                                   "database: ")
