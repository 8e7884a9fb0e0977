"""The progress store against real SQLite files: state, resets, damage, and two logins."""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import platformdirs
import pytest

from tutor.progress import (
    APPLICATION_ID,
    DB_NAME,
    SCHEMA_VERSION,
    Attempt,
    LessonState,
    ProgressError,
    ProgressStore,
    StepState,
    _move_aside,
    default_data_dir,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


class Clock:
    """A clock the test advances by hand, so timestamps can be asserted exactly."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def tick(self, seconds: float = 1.0) -> float:
        self.now += seconds
        return self.now


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHAIN_TUTOR_JOURNAL", raising=False)
    monkeypatch.delenv("CHAIN_TUTOR_DATA", raising=False)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / DB_NAME


@pytest.fixture(params=["sqlite", "postgres"])
def store_factory(request: pytest.FixtureRequest, db: Path,
                  clock: Clock) -> Iterator[Callable[[], ProgressStore]]:
    """Opens one student's record again at each call, as a new login would: their SQLite
    file, or their rows of a class's PostgreSQL database (a real server, their own role)."""
    opened: list[ProgressStore] = []
    if request.param == "postgres":
        from tutor.progress.postgres.store import PostgresStore

        conninfo = request.getfixturevalue("pg_student")

        def login() -> ProgressStore:
            return PostgresStore(conninfo, clock=clock)
    else:
        def login() -> ProgressStore:
            return ProgressStore(db, clock=clock)

    def factory() -> ProgressStore:
        opened.append(login())
        return opened[-1]

    yield factory
    for each in opened:
        each.close()


@pytest.fixture
def store(store_factory: Callable[[], ProgressStore]) -> ProgressStore:
    """The store's behaviour, the same in both engines: every test taking it runs twice."""
    return store_factory()


@pytest.fixture
def sqlite_store(db: Path, clock: Clock) -> Iterator[ProgressStore]:
    """What only the SQLite file has: its journal, its header, a PRAGMA's refusal."""
    with ProgressStore(db, clock=clock) as opened:
        yield opened


@contextmanager
def raw(path: Path) -> Iterator[sqlite3.Connection]:
    """A plain connection, to look at the file without going through the store."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()  # an open connection would stop the store switching journal mode


def journal_mode(path: Path) -> str:
    with raw(path) as conn:
        return conn.execute("PRAGMA journal_mode").fetchone()[0]


# -- round trip ------------------------------------------------------------------


def test_attempts_round_trip_with_every_field(store: ProgressStore, clock: Clock) -> None:
    store.set_seed("chain", 42)
    first = clock.tick()
    store.record_attempt("chain", "dz", 42, "W.T @ g", "incorrect", ["transpose", "shape"], 12.5)
    second = clock.tick()
    store.record_attempt("chain", "dz", 42, "W @", "invalid", [], 0.7)
    third = clock.tick()
    store.record_attempt("chain", "dz", 42, "W @ g", "correct", (), 3.25)

    assert store.attempts() == [
        Attempt("chain", "dz", 42, "W.T @ g", "incorrect", ("transpose", "shape"), 12.5, first),
        Attempt("chain", "dz", 42, "W @", "invalid", (), 0.7, second),
        Attempt("chain", "dz", 42, "W @ g", "correct", (), 3.25, third),
    ]
    assert store.notice is None


def test_attempts_filter_by_lesson(store: ProgressStore) -> None:
    store.record_attempt("one", "a", 1, "x", "correct", [], 1.0)
    store.record_attempt("two", "a", 2, "y", "incorrect", [], 1.0)
    store.record_attempt("one", "b", 1, "z", "incorrect", [], 1.0)

    assert [a.answer for a in store.attempts("one")] == ["x", "z"]
    assert [a.answer for a in store.attempts("two")] == ["y"]
    assert store.attempts("nothing") == []


def test_step_state_counts_only_attempts_that_count(store: ProgressStore) -> None:
    store.set_seed("chain", 1)
    store.record_attempt("chain", "dz", 1, "W @", "invalid", ["parse"], 1.0)
    store.record_attempt("chain", "dz", 1, "W.T", "incorrect", ["transpose"], 1.0)
    store.record_attempt("chain", "dz", 1, "W", "correct", [], 1.0)
    store.mark("chain", "dz", "solved")
    store.record_hint("chain", "dh")
    store.record_hint("chain", "dh")
    store.mark("chain", "dh", "revealed")

    state = store.lesson("chain")
    assert state.steps == {
        "dz": StepState(status="solved", attempts=2, hints=0, last_answer="W"),
        "dh": StepState(status="revealed", attempts=0, hints=2, last_answer=None),
    }
    assert state.status_of("dz") == "solved"
    assert state.status_of("dh") == "revealed"
    assert state.status_of("never-seen") is None
    assert state.done_count() == 2


def test_answers_after_the_first_correct_one_are_not_attempts(store: ProgressStore) -> None:
    store.set_seed("chain", 1)
    for text, verdict in [("W.T", "incorrect"), ("W", "correct"), ("2*W", "incorrect"),
                          ("W", "correct")]:
        store.record_attempt("chain", "dz", 1, text, verdict, [], 1.0, solves=True)
    assert store.lesson("chain").steps["dz"].attempts == 2  # W.T and W; retyping is free
    store.reset_step("chain", "dz")
    store.record_attempt("chain", "dz", 1, "W.T", "incorrect", [], 1.0)
    assert store.lesson("chain").steps["dz"].attempts == 1  # counted again from the reset


def test_unknown_lesson_is_empty(store: ProgressStore) -> None:
    assert store.lesson("nope") == LessonState("nope", None, {}, None, None)


def test_started_and_finished_times(store: ProgressStore, clock: Clock) -> None:
    started = clock.tick()
    store.set_seed("chain", 3)
    clock.tick(60)
    store.record_attempt("chain", "dz", 3, "W", "correct", [], 1.0)
    finished = clock.tick(5)
    store.finish("chain")

    state = store.lesson("chain")
    assert (state.started, state.finished) == (started, finished)


def test_first_attempt_starts_the_lesson_with_its_seed(store: ProgressStore) -> None:
    store.record_attempt("chain", "dz", 99, "W", "incorrect", [], 1.0)
    assert store.lesson("chain").seed == 99


def test_numpy_seed_is_stored_as_an_integer(store: ProgressStore) -> None:
    store.set_seed("chain", np.int64(5))  # type: ignore[arg-type]
    store.record_attempt("chain", "dz", np.int64(5), "W", "correct", [], 1.0)  # type: ignore[arg-type]

    assert store.notice is None
    assert store.lesson("chain").seed == 5
    assert store.attempts()[0].seed == 5


def test_bad_verdict_or_status_is_a_programming_error(store: ProgressStore) -> None:
    with pytest.raises(ValueError, match="verdict"):
        store.record_attempt("chain", "dz", 1, "W", "maybe", [], 1.0)
    with pytest.raises(ValueError, match="status"):
        store.mark("chain", "dz", "skipped")
    assert store.attempts() == []


# -- resume ------------------------------------------------------------------------


def test_reopening_resumes_same_variant_at_first_unsolved_step(
        store_factory: Callable[[], ProgressStore]) -> None:
    steps = ["dz", "dh", "dW", "db"]
    with store_factory() as first_login:
        first_login.set_seed("chain", 1234)
        first_login.record_attempt("chain", "dz", 1234, "W", "correct", [], 2.0)
        first_login.mark("chain", "dz", "solved")
        first_login.mark("chain", "dh", "revealed")
        first_login.record_attempt("chain", "dW", 1234, "x.T", "incorrect", ["transpose"], 4.0)
        first_login.record_hint("chain", "dW")

    with store_factory() as reopened:
        # What the lesson screen does on open: keep the stored seed.
        reopened.set_seed("chain", 1234)
        state = reopened.lesson("chain")

    assert state.seed == 1234
    assert state.first_open(steps) == "dW"
    assert state.steps["dW"] == StepState(None, 1, 1, "x.T")
    assert state.done_count() == 2


def test_first_open_is_none_when_every_step_is_done(store: ProgressStore) -> None:
    for step in ("a", "b"):
        store.mark("chain", step, "solved")
    assert store.lesson("chain").first_open(["a", "b"]) is None
    assert store.lesson("chain").first_open(["a", "b", "c"]) == "c"


# -- marks and resets ----------------------------------------------------------------


def test_solved_is_not_downgraded_to_revealed(store: ProgressStore) -> None:
    store.mark("chain", "dz", "solved")
    store.mark("chain", "dz", "revealed")
    assert store.lesson("chain").status_of("dz") == "solved"


def test_revealed_can_later_be_solved(store: ProgressStore) -> None:
    store.mark("chain", "dz", "revealed")
    store.mark("chain", "dz", "solved")
    assert store.lesson("chain").status_of("dz") == "solved"


def test_reset_step_clears_status_hints_and_count_but_keeps_history(
        store: ProgressStore) -> None:
    store.set_seed("chain", 1)
    store.record_attempt("chain", "dz", 1, "W.T", "incorrect", [], 1.0)
    store.record_attempt("chain", "dz", 1, "W", "correct", [], 1.0)
    store.record_hint("chain", "dz")
    store.mark("chain", "dz", "solved")
    store.mark("chain", "dh", "solved")

    store.reset_step("chain", "dz")

    state = store.lesson("chain")
    assert "dz" not in state.steps
    assert state.status_of("dz") is None
    assert state.status_of("dh") == "solved"  # other steps untouched
    assert [a.answer for a in store.attempts("chain")] == ["W.T", "W"]

    store.record_attempt("chain", "dz", 1, "2*W", "incorrect", ["scale"], 1.0)
    assert store.lesson("chain").steps["dz"] == StepState(None, 1, 0, "2*W")


def test_reset_lesson_keeps_seed_started_finished_and_history(store: ProgressStore,
                                                              clock: Clock) -> None:
    started = clock.tick()
    store.set_seed("chain", 7)
    store.record_attempt("chain", "dz", 7, "W", "correct", [], 1.0)
    store.mark("chain", "dz", "solved")
    store.record_hint("chain", "dh")
    store.mark("chain", "dh", "revealed")
    finished = clock.tick()
    store.finish("chain")

    store.reset_lesson("chain")

    state = store.lesson("chain")
    assert state == LessonState("chain", 7, {}, started, finished)  # it stays finished
    assert len(store.attempts("chain")) == 1


def test_reset_of_unknown_lesson_creates_no_record(store: ProgressStore) -> None:
    store.reset_step("ghost", "dz")
    store.reset_lesson("ghost")
    assert store.summary() == []


def test_same_seed_again_keeps_progress(store: ProgressStore) -> None:
    store.set_seed("chain", 5)
    store.mark("chain", "dz", "solved")
    store.finish("chain")

    store.set_seed("chain", 5)

    state = store.lesson("chain")
    assert state.status_of("dz") == "solved"
    assert state.finished is not None


def test_new_seed_resets_statuses_but_keeps_history_and_finished(store: ProgressStore,
                                                                 clock: Clock) -> None:
    started = clock.tick()
    store.set_seed("chain", 5)
    store.record_attempt("chain", "dz", 5, "W", "correct", [], 1.0)
    store.mark("chain", "dz", "solved")
    store.record_hint("chain", "dh")
    finished = clock.tick()
    store.finish("chain")

    clock.tick()
    store.set_seed("chain", 6)

    assert store.lesson("chain") == LessonState("chain", 6, {}, started, finished)
    assert [(a.seed, a.answer) for a in store.attempts("chain")] == [(5, "W")]
    store.record_attempt("chain", "dz", 6, "V", "incorrect", [], 1.0)
    assert store.lesson("chain").steps["dz"] == StepState(None, 1, 0, "V")


def test_summary(store: ProgressStore, clock: Clock) -> None:
    first = clock.tick()
    store.set_seed("alpha", 1)
    store.record_attempt("alpha", "a", 1, "x", "incorrect", [], 1.0)
    store.record_attempt("alpha", "a", 1, "x,", "invalid", [], 1.0)
    store.record_attempt("alpha", "a", 1, "y", "correct", [], 1.0)
    store.mark("alpha", "a", "solved")
    store.record_hint("alpha", "b")
    store.mark("alpha", "b", "revealed")
    done = clock.tick()
    store.finish("alpha")
    second = clock.tick()
    store.record_hint("beta", "a")

    assert store.summary() == [
        {"lesson_id": "alpha", "seed": 1, "solved": 1, "revealed": 1, "attempts": 2,
         "hints": 1, "started": first, "finished": done, "all_attempts": 3},
        {"lesson_id": "beta", "seed": None, "solved": 0, "revealed": 0, "attempts": 0,
         "hints": 1, "started": second, "finished": None, "all_attempts": 0},
    ]


# -- schema ------------------------------------------------------------------------------


def test_schema_version_is_recorded(sqlite_store: ProgressStore, db: Path) -> None:
    with raw(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 6
        tables = {row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"lessons", "steps", "attempts", "networks", "network_draft"} <= tables


# A file from another program at schema version 0 is left alone, and one from before the
# application_id is migrated: tests/unit/test_progress_identity.py.


def test_database_from_a_newer_version_is_left_alone(tmp_path: Path, db: Path) -> None:
    with raw(db) as conn:
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute("CREATE TABLE future (x)")
        conn.execute("PRAGMA user_version = 99")
    before = db.read_bytes()

    # Not just "newer": the test's own folder is named after it.
    with pytest.raises(ProgressError, match="written by a newer chain-tutor"):
        ProgressStore(db)
    store = ProgressStore.open(tmp_path)

    assert not store.enabled
    assert store.notice is not None and store.notice.startswith("progress is off:")
    assert "written by a newer chain-tutor" in store.notice
    assert db.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [DB_NAME]


# -- journal -----------------------------------------------------------------------------


def test_wal_by_default(sqlite_store: ProgressStore, db: Path) -> None:
    assert sqlite_store.journal == "wal"
    assert journal_mode(db) == "wal"


def test_rollback_journal_on_request(db: Path) -> None:
    with ProgressStore(db, journal="delete") as store:
        assert store.journal == "delete"
        store.record_attempt("chain", "dz", 1, "W", "correct", [], 1.0)
    assert journal_mode(db) == "delete"


def test_environment_asks_for_rollback_journal(
        tmp_path: Path, db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ProgressStore(db).close()
    assert journal_mode(db) == "wal"

    monkeypatch.setenv("CHAIN_TUTOR_JOURNAL", "delete")
    with ProgressStore.open(tmp_path) as store:
        assert store.journal == "delete"
    assert journal_mode(db) == "delete"


def test_unknown_journal_argument_is_rejected(db: Path) -> None:
    with pytest.raises(ValueError, match="journal"):
        ProgressStore(db, journal="memory")


# -- damaged files ---------------------------------------------------------------------


def test_non_sqlite_file_is_moved_aside_and_a_fresh_store_started(
        tmp_path: Path, db: Path) -> None:
    garbage = random.Random(0).randbytes(4096)
    db.write_bytes(garbage)

    store = ProgressStore.open(tmp_path)

    assert store.enabled
    moved = [p for p in tmp_path.iterdir() if p.name.startswith(f"{DB_NAME}.corrupt-")]
    assert len(moved) == 1
    assert moved[0].read_bytes() == garbage
    assert store.notice is not None and str(moved[0]) in store.notice
    store.record_attempt("chain", "dz", 1, "W", "correct", [], 1.0)
    assert len(store.attempts()) == 1
    store.close()


def test_damaged_pages_are_detected_by_quick_check(tmp_path: Path, db: Path) -> None:
    with ProgressStore(db, journal="delete") as store:
        for i in range(300):
            store.record_attempt("chain", "dz", 1, "x" * 200 + str(i), "incorrect", [], 1.0)
    data = bytearray(db.read_bytes())
    page = 4096
    assert len(data) > 4 * page
    data[3 * page:4 * page] = random.Random(1).randbytes(page)  # header intact, a page not
    db.write_bytes(bytes(data))

    with ProgressStore(db) as store:
        assert store.enabled
        assert store.attempts() == []
        notice = store.notice

    moved = next(p for p in tmp_path.iterdir() if p.name.startswith(f"{DB_NAME}.corrupt-"))
    assert notice is not None and str(moved) in notice
    assert moved.read_bytes() == bytes(data)


def test_sidecar_files_travel_with_the_damaged_database(tmp_path: Path, db: Path) -> None:
    # SQLite removes a closed database's stale sidecars itself, but one that another
    # login still holds open stays, and replayed into the fresh file would damage it.
    # So the helper that moves the file aside is checked on its own here.
    db.write_bytes(b"not a database")
    (tmp_path / f"{DB_NAME}-wal").write_bytes(b"old wal")
    (tmp_path / f"{DB_NAME}-shm").write_bytes(b"old shm")

    moved = _move_aside(db, db.stat())

    assert moved is not None and moved.name.startswith(f"{DB_NAME}.corrupt-")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [moved.name, moved.name + "-wal", moved.name + "-shm"])
    assert moved.read_bytes() == b"not a database"
    assert moved.with_name(moved.name + "-wal").read_bytes() == b"old wal"


def test_file_replaced_since_it_was_found_damaged_is_not_moved(tmp_path: Path, db: Path) -> None:
    db.write_bytes(b"damaged")
    seen = db.stat()
    replacement = tmp_path / "fresh"
    replacement.write_bytes(b"another login's fresh database")
    replacement.replace(db)

    assert _move_aside(db, seen) is None
    assert db.read_bytes() == b"another login's fresh database"


def test_two_damaged_files_in_the_same_second_both_survive(tmp_path: Path, db: Path) -> None:
    db.write_bytes(b"first garbage " * 100)
    ProgressStore(db).close()
    db.write_bytes(b"second garbage " * 100)
    ProgressStore(db).close()

    kept = sorted(p.read_bytes() for p in tmp_path.iterdir() if ".corrupt-" in p.name)
    assert kept == sorted([b"first garbage " * 100, b"second garbage " * 100])


# -- unusable locations and failing writes --------------------------------------------------


def assert_disabled_and_harmless(store: ProgressStore) -> None:
    assert not store.enabled
    assert store.path is None
    assert store.notice is not None and store.notice.startswith("progress is off: ")
    store.set_seed("chain", 1)
    store.record_attempt("chain", "dz", 1, "W", "correct", ["x"], 1.0)
    store.mark("chain", "dz", "solved")
    store.record_hint("chain", "dz")
    store.reset_step("chain", "dz")
    store.reset_lesson("chain")
    store.finish("chain")
    assert store.lesson("chain") == LessonState("chain", None, {}, None, None)
    assert store.attempts() == []
    assert store.summary() == []
    store.close()


def test_data_dir_that_cannot_be_created_disables_progress(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the data folder should be")

    store = ProgressStore.open(blocker / "chain-tutor")

    assert_disabled_and_harmless(store)
    assert "not-a-dir" in (store.notice or "")
    assert blocker.read_text() == "a file where the data folder should be"


def test_database_path_that_is_a_directory_disables_progress(tmp_path: Path) -> None:
    (tmp_path / DB_NAME).mkdir()
    assert_disabled_and_harmless(ProgressStore.open(tmp_path))


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root ignores directory permissions, so chmod cannot make it read-only")
def test_read_only_data_dir_disables_progress(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o500)
    try:
        assert_disabled_and_harmless(ProgressStore.open(data))
    finally:
        data.chmod(0o700)


def test_failing_write_sets_notice_and_the_store_keeps_going(sqlite_store: ProgressStore) -> None:
    sqlite_store.record_attempt("chain", "dz", 1, "first", "incorrect", [], 1.0)
    sqlite_store._conn.execute("PRAGMA query_only = ON")  # a real refusal from SQLite itself

    sqlite_store.record_attempt("chain", "dz", 1, "lost", "incorrect", [], 1.0)
    sqlite_store.mark("chain", "dz", "solved")

    assert sqlite_store.notice is not None and "could not be saved" in sqlite_store.notice
    assert [a.answer for a in sqlite_store.attempts()] == ["first"]
    assert sqlite_store.enabled

    sqlite_store._conn.execute("PRAGMA query_only = OFF")
    sqlite_store.record_attempt("chain", "dz", 1, "second", "correct", [], 1.0)
    assert [a.answer for a in sqlite_store.attempts()] == ["first", "second"]


def test_closed_store_is_a_no_op(store: ProgressStore) -> None:
    store.mark("chain", "dz", "solved")
    store.close()
    store.close()
    store.mark("chain", "dh", "solved")
    assert not store.enabled
    assert store.lesson("chain").steps == {}


def test_store_can_be_used_from_another_thread(store: ProgressStore) -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            store.record_attempt("chain", "dz", 1, "from a worker", "correct", [], 1.0)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()

    assert errors == []
    assert store.notice is None
    assert [a.answer for a in store.attempts()] == ["from a worker"]


# -- location --------------------------------------------------------------------------


def test_default_data_dir_honours_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAIN_TUTOR_DATA", str(tmp_path / "mine"))
    assert default_data_dir() == tmp_path / "mine"

    with ProgressStore.open() as store:
        assert store.path == tmp_path / "mine" / DB_NAME
        assert store.path.exists()


def test_default_data_dir_is_the_platform_user_data_folder() -> None:
    assert default_data_dir() == platformdirs.user_data_path("chain-tutor")


# -- two logins at once -------------------------------------------------------------------

WRITER = """
import sys, time
from pathlib import Path
from tutor.progress import ProgressStore

path, journal, who, go, count = sys.argv[1:6]
deadline = time.monotonic() + 60
while not Path(go).exists():
    if time.monotonic() > deadline:
        sys.exit("never got the go signal")
    time.sleep(0.002)
if journal == "postgres":
    from tutor.progress.postgres.store import PostgresStore
    store = PostgresStore(path)
    store.journal = "postgres"
else:
    store = ProgressStore(Path(path), journal=journal)
for i in range(int(count)):
    store.record_attempt("race", f"step-{i % 3}", 1, f"{who}-{i}", "incorrect", ["x"], 0.1)
    if i % 50 == 0:
        store.lesson("race")  # readers interleave with the other login's writes
if store.notice:
    sys.exit(store.notice)
print(store.journal)
store.close()
"""


@pytest.mark.parametrize("journal", ["wal", "delete", "postgres"])
def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path, journal: str,
                                                     request: pytest.FixtureRequest) -> None:
    # Two logins of one student: one SQLite file, or one role's rows on a real server.
    db = request.getfixturevalue("pg_student") if journal == "postgres" else tmp_path / DB_NAME
    go = tmp_path / "go"
    count = 200
    env = {key: value for key, value in os.environ.items() if key != "CHAIN_TUTOR_JOURNAL"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db), journal, who, str(go), str(count)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for who in ("left", "right")
    ]
    time.sleep(0.2)  # let both interpreters start, so they really open the file together
    go.touch()
    results = [writer.communicate(timeout=120) for writer in writers]

    for writer, (out, err) in zip(writers, results, strict=True):
        assert writer.returncode == 0, err
        assert out.strip() == journal
    if journal == "postgres":
        from tutor.progress.postgres.store import PostgresStore

        reopened = PostgresStore(str(db))
    else:
        reopened = ProgressStore(db, journal=journal)
    with reopened as store:
        answers = [a.answer for a in store.attempts("race")]
        assert store.lesson("race").steps["step-0"].attempts == 2 * len(range(0, count, 3))
    assert len(answers) == 2 * count
    for who in ("left", "right"):
        assert [a for a in answers if a.startswith(who)] == [f"{who}-{i}" for i in range(count)]
