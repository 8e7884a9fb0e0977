"""A hostile student with psql and their own password, against a real server set up by
`chain-tutor db init`'s code: they can neither read, change, delete nor forge another
student's records, nor rewrite their own history, nor loosen the rules; an instructor
reads everyone's. Every statement goes through the real psql client, as at a shell."""

from __future__ import annotations

import pytest

from tutor.progress.postgres.schema import TABLES
from tutor.progress.postgres.store import PostgresStore

HISTORY = ("attempts", "reveals")  # append-only


@pytest.fixture
def class_of_two(postgres, class_database):
    """Ann has a record of every kind, written by her tutor; Bob is the hostile one."""
    ann, ann_password = postgres.new_role("ann", "chain_tutor_student")
    bob, bob_password = postgres.new_role("bob", "chain_tutor_student")
    with PostgresStore(postgres.conninfo(ann, ann_password, class_database)) as store:
        store.set_seed("chain", 7)
        store.record_attempt("chain", "dz", 7, "W", "correct", [], 1.0, solves=True)
        store.record_hint("chain", "dh")
        store.mark("chain", "dh", "revealed")
        store.save_network("net", "x -> y", "Mine", [("dz", "dz")])
        store.save_draft("ann's draft")
        assert store.notice is None

    def bob_runs(sql: str):
        return postgres.psql(bob, bob_password, class_database,
                             f"SET search_path TO chain_tutor; {sql}")

    return ann, bob, bob_runs


def ann_rows(postgres, class_database, ann: str) -> dict[str, list[tuple]]:
    return {table: postgres.admin(f"SELECT * FROM chain_tutor.{table} WHERE student = '{ann}'"
                                  " ORDER BY 1, 2", class_database) for table in TABLES}


def test_another_students_rows_are_not_seen(postgres, class_database, class_of_two) -> None:
    ann, _bob, bob_runs = class_of_two
    for table in TABLES:
        seen = bob_runs(f"SELECT count(*) FROM {table}")
        assert seen.returncode == 0, seen.stderr
        assert seen.stdout.strip() == "0", table
        named = bob_runs(f"SELECT count(*) FROM {table} WHERE student = '{ann}'")
        assert named.stdout.strip() == "0", table
    # Naming Ann in the instructor's narrowing setting shows a student nothing more.
    narrowed = bob_runs(f"SET chain_tutor.student = '{ann}'; SELECT count(*) FROM attempts")
    assert narrowed.stdout.strip() == "0"


def test_another_students_rows_cannot_be_changed_or_deleted(postgres, class_database,
                                                            class_of_two) -> None:
    ann, _bob, bob_runs = class_of_two
    before = ann_rows(postgres, class_database, ann)
    assert all(before[table] for table in TABLES)  # Ann has a row in every table
    for statement in ("UPDATE lessons SET seed = 1", "UPDATE steps SET status = NULL",
                      "UPDATE networks SET title = 'gone'", "UPDATE network_draft SET text = ''",
                      "DELETE FROM steps", "DELETE FROM networks"):
        done = bob_runs(f"{statement} WHERE student = '{ann}'")
        assert done.returncode == 0, done.stderr  # allowed on his own rows: none of hers
    for table in HISTORY:
        for statement in (f"UPDATE {table} SET at = 0", f"DELETE FROM {table}"):
            refused = bob_runs(statement)
            assert refused.returncode != 0
            assert f"permission denied for table {table}" in refused.stderr
    for table in ("lessons", "network_draft"):
        refused = bob_runs(f"DELETE FROM {table}")
        assert f"permission denied for table {table}" in refused.stderr
    for table in TABLES:
        assert "permission denied" in bob_runs(f"TRUNCATE {table}").stderr
    assert ann_rows(postgres, class_database, ann) == before


def test_a_student_cannot_number_a_history_row_to_block_another_students_next_one(
        postgres, class_database, class_of_two) -> None:
    """The ids of attempts and reveals are the server's: an id given by hand (OVERRIDING
    SYSTEM VALUE) would be one the sequence hands Ann next, and her attempt would fail."""
    _ann, _bob, bob_runs = class_of_two
    for table, columns, values in (
            ("attempts", "lesson_id, step_id, seed, answer, verdict, elapsed, at",
             "'chain', 'dz', 7, 'W', 'correct', 1, 1"),
            ("reveals", "lesson_id, step_id, seed, at", "'chain', 'dz', 7, 1")):
        (next_id,) = postgres.admin(
            f"SELECT COALESCE(max(id), 0) + 1 FROM chain_tutor.{table}", class_database)[0]
        for ahead in range(next_id, next_id + 3):
            refused = bob_runs(f"INSERT INTO {table} (id, {columns}) OVERRIDING SYSTEM VALUE"
                               f" VALUES ({ahead}, {values})")
            assert refused.returncode != 0
            assert "permission denied" in refused.stderr, refused.stderr
        added = bob_runs(f"INSERT INTO {table} ({columns}) VALUES ({values})")
        assert added.returncode == 0, added.stderr  # his own, numbered by the server
    cat, cat_password = postgres.new_role("cat", "chain_tutor_student")
    with PostgresStore(postgres.conninfo(cat, cat_password, class_database)) as store:
        for number in range(3):  # the next ids: nothing of Bob's is in the way
            store.record_attempt("chain", "dz", 7, f"W{number}", "incorrect", [], 1.0)
            store.mark("chain", "dz", "revealed")
        assert store.notice is None
        assert len(store.attempts("chain")) == 3


def test_rows_cannot_be_forged_in_another_students_name(postgres, class_database,
                                                        class_of_two) -> None:
    ann, _bob, bob_runs = class_of_two
    before = ann_rows(postgres, class_database, ann)
    forged = {
        "attempts": "(student, lesson_id, step_id, seed, answer, verdict, elapsed, at) VALUES"
                    f" ('{ann}', 'chain', 'dW', 7, 'x', 'incorrect', 1, 1)",
        "lessons": f"(student, lesson_id, seed) VALUES ('{ann}', 'other', 1)",
        "steps": f"(student, lesson_id, step_id, status) VALUES ('{ann}', 'chain', 'dW', "
                 "'solved')",
        "reveals": f"(student, lesson_id, step_id, seed, at) VALUES ('{ann}', 'c', 's', 1, 1)",
        "networks": "(student, lesson_id, text, title, added, used) VALUES"
                    f" ('{ann}', 'n2', 't', 't', 1, 1)",
        "network_draft": f"(student, id, text, saved) VALUES ('{ann}', 1, 'x', 1)",
    }
    for table, values in forged.items():
        refused = bob_runs(f"INSERT INTO {table} {values}")
        assert refused.returncode != 0
        assert "new row violates row-level security policy" in refused.stderr, table
    upsert = bob_runs(f"INSERT INTO steps (student, lesson_id, step_id) VALUES ('{ann}', "
                      "'chain', 'dz') ON CONFLICT (student, lesson_id, step_id) DO UPDATE SET"
                      " status = NULL")
    assert "row-level security" in upsert.stderr
    # His own row, renamed hers afterwards: the student column is not his to update.
    assert bob_runs("INSERT INTO lessons (lesson_id) VALUES ('mine')").returncode == 0
    renamed = bob_runs(f"UPDATE lessons SET student = '{ann}'")
    assert "permission denied for table lessons" in renamed.stderr
    assert ann_rows(postgres, class_database, ann) == before


def test_a_student_cannot_rewrite_their_own_history(postgres, class_database) -> None:
    ann, password = postgres.new_role("ann", "chain_tutor_student")
    conninfo = postgres.conninfo(ann, password, class_database)
    with PostgresStore(conninfo) as store:
        store.record_attempt("chain", "dz", 1, "wrong", "incorrect", ["x"], 1.0)
        store.mark("chain", "dz", "revealed")
    for table in HISTORY:
        for statement in (f"DELETE FROM chain_tutor.{table}",
                          f"UPDATE chain_tutor.{table} SET at = 0"):
            refused = postgres.psql(ann, password, class_database, statement)
            assert f"permission denied for table {table}" in refused.stderr
    # What her tutor may do to her state still works (a reset keeps the history).
    with PostgresStore(conninfo) as store:
        store.reset_lesson("chain")
        assert store.notice is None
        assert [a.answer for a in store.attempts()] == ["wrong"]
        assert store.snapshot().reveals and store.lesson("chain").steps == {}


def test_the_rules_cannot_be_loosened_or_another_role_claimed(postgres, class_database,
                                                              class_of_two) -> None:
    ann, bob, bob_runs = class_of_two
    for statement in ("ALTER TABLE attempts DISABLE ROW LEVEL SECURITY",
                      "ALTER TABLE attempts NO FORCE ROW LEVEL SECURITY",
                      "DROP POLICY own_rows ON attempts",
                      "CREATE POLICY everything ON attempts USING (true)",
                      "ALTER TABLE attempts ADD COLUMN x int",
                      "DROP TABLE attempts"):
        refused = bob_runs(statement)
        assert refused.returncode != 0
        assert "must be owner" in refused.stderr, statement
    assert "permission denied to set role" in bob_runs(f"SET ROLE {ann}").stderr
    assert "permission denied" in bob_runs("SET ROLE chain_tutor_instructor").stderr
    assert "must have admin option" in bob_runs(
        f"GRANT chain_tutor_instructor TO {bob}").stderr
    assert "permission denied" in bob_runs(
        "UPDATE chain_tutor_schema SET version = 0").stderr
    assert "permission denied" in bob_runs("CREATE TABLE chain_tutor.mine (x int)").stderr
    # Ann's name with Bob's password: the server asks for Ann's own.
    claimed = postgres.psql(ann, "not-her-password", class_database, "SELECT 1")
    assert claimed.returncode != 0
    assert "password authentication failed" in claimed.stderr


def test_an_instructor_reads_everyone_and_writes_nothing(postgres, class_database,
                                                         class_of_two) -> None:
    ann, bob, bob_runs = class_of_two
    assert bob_runs("INSERT INTO lessons (lesson_id) VALUES ('bobs')").returncode == 0
    teacher, password = postgres.new_role("teacher", "chain_tutor_instructor")

    def teacher_runs(sql: str):
        return postgres.psql(teacher, password, class_database,
                             f"SET search_path TO chain_tutor; {sql}")

    seen = teacher_runs(f"SELECT DISTINCT student FROM lessons WHERE student IN ('{ann}', "
                        f"'{bob}') ORDER BY 1")
    assert seen.stdout.split() == sorted([ann, bob])
    assert teacher_runs(f"SELECT count(*) FROM attempts WHERE student = '{ann}'"
                        ).stdout.strip() == "1"
    for statement in ("INSERT INTO lessons (lesson_id) VALUES ('t')",
                      "UPDATE lessons SET seed = 1", "DELETE FROM attempts"):
        assert "permission denied" in teacher_runs(statement).stderr
