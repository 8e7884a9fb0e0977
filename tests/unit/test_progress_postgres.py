"""What only the PostgreSQL store does: who the student is (their role), a database no
administrator has set up, a server that is away or refuses, and coming back when it is
back; every case against a real server (tests/postgres_server.py), never a traceback.
The store's behaviour shared with SQLite is in test_progress.py, run on both."""

from __future__ import annotations

import sys

from tutor.progress.postgres.connection import PgConnection
from tutor.progress.postgres.schema import SCHEMA_VERSION, VERSION_TABLE
from tutor.progress.postgres.store import RECONNECT_EVERY, PostgresStore


class Monotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rows_are_the_connected_roles_own(postgres, class_database, pg_student) -> None:
    with PostgresStore(pg_student) as store:
        store.record_attempt("chain", "dz", 1, "W", "correct", [], 1.0, solves=True)
        assert store.notice is None
        role = store.owner()
    assert role is not None and role.startswith("student_")
    rows = postgres.admin("SELECT student, lesson_id FROM chain_tutor.attempts"
                          f" WHERE student = '{role}'", class_database)
    assert rows == [(role, "chain")]
    assert postgres.admin(f"SELECT student, status FROM chain_tutor.steps WHERE student = "
                          f"'{role}'", class_database) == [(role, "solved")]


def test_an_attempt_is_committed_before_record_attempt_returns(pg_student) -> None:
    """The verdict is drawn after record_attempt: by then another login sees it."""
    with PostgresStore(pg_student) as tutor, PostgresStore(pg_student) as other_login:
        for number in range(5):
            tutor.record_attempt("chain", "dz", 1, f"a{number}", "incorrect", ["x"], 1.0)
            assert [a.answer for a in other_login.attempts()] == [
                f"a{n}" for n in range(number + 1)]


def test_two_students_see_only_their_own_progress(postgres, class_database) -> None:
    ann = postgres.conninfo(*postgres.new_role("ann", "chain_tutor_student"), class_database)
    bob = postgres.conninfo(*postgres.new_role("bob", "chain_tutor_student"), class_database)
    with PostgresStore(ann) as first, PostgresStore(bob) as second:
        first.set_seed("chain", 7)
        first.record_attempt("chain", "dz", 7, "ann's", "correct", [], 1.0, solves=True)
        first.save_draft("ann's draft")
        second.set_seed("chain", 9)  # the same lesson, another variant: no conflict
        assert second.lesson("chain").seed == 9
        assert second.attempts() == []
        assert second.draft() is None
        assert first.lesson("chain").steps["dz"].status == "solved"
        assert first.notice is None and second.notice is None


def test_a_database_not_set_up_says_to_run_db_init(postgres) -> None:
    bare = postgres.new_database("bare")
    role, password = postgres.new_role("student")
    store = PostgresStore.open(postgres.conninfo(role, password, bare))
    assert not store.enabled
    assert store.notice is not None and "chain-tutor db init" in store.notice
    store.record_attempt("chain", "dz", 1, "W", "correct", [], 1.0)  # harmless
    assert store.attempts() == []
    assert postgres.admin("SELECT count(*) FROM pg_tables WHERE schemaname = 'chain_tutor'",
                          bare) == [(0,)]


def test_a_database_from_a_newer_tutor_is_left_alone(postgres) -> None:
    from tutor.progress.postgres.schema import init_database

    name = postgres.new_database("newer")
    conn = PgConnection.connect(postgres.conninfo(dbname=name))
    init_database(conn)
    conn.close()
    postgres.admin(f"UPDATE chain_tutor.{VERSION_TABLE} SET version = {SCHEMA_VERSION + 1}",
                   name)
    role, password = postgres.new_role("student", "chain_tutor_student")
    store = PostgresStore.open(postgres.conninfo(role, password, name))
    assert not store.enabled and store.left_alone
    assert "newer chain-tutor" in (store.notice or "")


def test_an_unreachable_server_turns_progress_off_with_the_reason(postgres) -> None:
    from postgres_server import _free_port

    store = PostgresStore.open(f"host=127.0.0.1 port={_free_port()} dbname=x user=y "
                               "password=z connect_timeout=2")
    assert not store.enabled
    assert store.notice is not None and store.notice.startswith("progress is off: cannot "
                                                                "connect to the database")
    assert "\n" not in store.notice
    assert store.lesson("chain").steps == {} and store.summary() == []


def test_a_wrong_password_turns_progress_off(postgres, class_database, pg_student) -> None:
    store = PostgresStore.open(pg_student.replace("password=", "password=wrong"))
    assert not store.enabled
    assert "password authentication failed" in (store.notice or "")


def test_a_connection_string_libpq_cannot_read_is_said(postgres) -> None:
    store = PostgresStore.open("host=")  # no port, no database: libpq's own complaint
    store2 = PostgresStore.open("this is = not = a conninfo")
    for each in (store, store2):
        assert not each.enabled
        assert each.notice is not None and each.notice.startswith("progress is off: ")


def test_without_psycopg_the_notice_says_how_to_install_it(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg raises ImportError
    store = PostgresStore.open("dbname=class")
    assert not store.enabled
    assert store.notice == ("progress is off: CHAIN_TUTOR_DATABASE is set but psycopg is not "
                            "installed: pip install 'chain-tutor[postgres]'")


def test_a_refused_write_is_told_and_the_store_keeps_going(postgres, class_database,
                                                           pg_student) -> None:
    heard: list[str] = []
    with PostgresStore(pg_student) as store:
        store.listener = heard.append
        store.record_attempt("chain", "dz", 1, "first", "incorrect", [], 1.0)
        role = store.owner()
        postgres.admin(f"REVOKE chain_tutor_student FROM {role}", class_database)
        try:
            store.record_attempt("chain", "dz", 1, "lost", "incorrect", [], 1.0)
        finally:
            postgres.admin(f"GRANT chain_tutor_student TO {role}", class_database)
        assert store.notice is not None and store.notice.startswith(
            "progress could not be saved (attempt): permission denied")
        assert heard == [store.notice]
        store.record_attempt("chain", "dz", 1, "second", "incorrect", [], 1.0)
        assert [a.answer for a in store.attempts()] == ["first", "second"]


def test_the_store_reconnects_when_the_server_is_back(postgres, class_database,
                                                      pg_student) -> None:
    clock = Monotonic()
    heard: list[str] = []
    store = PostgresStore(pg_student, monotonic=clock)
    store.listener = heard.append
    store.record_attempt("chain", "dz", 1, "before", "incorrect", [], 1.0)
    postgres.stop()
    try:
        store.record_attempt("chain", "dz", 1, "while away", "incorrect", [], 1.0)
        assert store.notice is not None and "could not be saved (attempt)" in store.notice
        store.record_attempt("chain", "dz", 1, "still away", "incorrect", [], 1.0)
        assert "cannot connect to the database" in (store.notice or "")
        assert heard and all("\n" not in message for message in heard)
        # Not tried again at every call: at most once every RECONNECT_EVERY seconds.
        postgres.start()
        assert store.attempts() == []
        clock.now += RECONNECT_EVERY
        assert [a.answer for a in store.attempts()] == ["before"]
        assert store.notice is None and store.enabled
        store.record_attempt("chain", "dz", 1, "after", "incorrect", [], 1.0)
        assert [a.answer for a in store.attempts()] == ["before", "after"]
    finally:
        store.close()
        postgres.start_if_stopped()


def test_a_tutor_started_while_the_server_is_down_connects_later(postgres, class_database,
                                                                 pg_student) -> None:
    clock = Monotonic()
    postgres.stop()
    try:
        store = PostgresStore.open(pg_student, monotonic=clock)
        assert not store.enabled and "cannot connect" in (store.notice or "")
    finally:
        postgres.start_if_stopped()
    clock.now += RECONNECT_EVERY
    store.record_attempt("chain", "dz", 1, "later", "incorrect", [], 1.0)
    assert store.enabled and store.notice is None
    assert [a.answer for a in store.attempts()] == ["later"]
    store.close()


def test_a_new_schema_version_migrates_in_place_and_keeps_every_row(postgres, monkeypatch,
                                                                    capsys) -> None:
    """A tutor that knows schema 2 finds a database at 1: its students are told to ask for
    `db upgrade` (they cannot migrate it), which adds the new version's SQL in place."""
    from tutor.cli.command import main
    from tutor.progress.postgres import schema

    name = postgres.new_database("migrate")
    admin = postgres.conninfo(dbname=name)
    role, password = postgres.new_role("student")
    assert main(["db", "init", "--database", admin, "--student", role]) == 0
    student = postgres.conninfo(role, password, name)
    with PostgresStore(student) as store:
        store.record_attempt("chain", "dz", 1, "kept", "correct", [], 1.0, solves=True)

    later = (*schema._MIGRATIONS, ("CREATE INDEX lessons_by_start ON lessons (started)",))
    monkeypatch.setattr(schema, "_MIGRATIONS", later)
    monkeypatch.setattr(schema, "SCHEMA_VERSION", len(later))
    store = PostgresStore.open(student)
    assert not store.enabled and not store.left_alone
    assert store.notice == ("progress is off: the database has schema 1, this chain-tutor "
                            "needs 2: an administrator must run chain-tutor db upgrade")
    capsys.readouterr()
    assert main(["db", "upgrade", "--database", admin]) == 0
    assert capsys.readouterr().out == f"{name}: migrated the tables from schema 1 to 2.\n"
    assert postgres.admin("SELECT indexname FROM pg_indexes WHERE indexname = "
                          "'lessons_by_start'", name) == [("lessons_by_start",)]
    with PostgresStore(student) as store:
        assert store.notice is None
        assert [a.answer for a in store.attempts()] == ["kept"]
        assert store.lesson("chain").status_of("dz") == "solved"


def test_a_postgresql_uri_names_the_database_too(postgres, class_database) -> None:
    from urllib.parse import quote

    role, password = postgres.new_role("student", "chain_tutor_student")
    uri = (f"postgresql://{role}:{password}@127.0.0.1:{postgres.port}/{class_database}"
           f"?application_name={quote('a tutor')}")
    with PostgresStore(uri) as store:
        store.record_attempt("chain", "dz", 1, "W", "correct", [], 1.0)
        assert store.owner() == role and store.notice is None
        assert store.attempts()[0].answer == "W"
