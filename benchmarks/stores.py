"""Progress in a class's PostgreSQL database against the student's SQLite file, measured
on this machine in one run (`python benchmarks/stores.py`, prints one JSON object).

* verdicts: the flagship lesson answered through LessonSession.submit (the check and the
  attempt's write, committed before the verdict is drawn), wrong and right answers, with
  each store: median and p95 per verdict, and the write alone;
* first paint: the flagship lesson in tmux with CHAIN_TUTOR_DATABASE set and unset
  (the tutor connects after its first paint), as run.py times it;
* a class at once: STUDENTS processes, each its own database role, start together and
  write ATTEMPTS attempts each as fast as they can; afterwards every student's attempts
  are counted from the instructor's side: none lost, none duplicated; write latency
  under that load.

The server is the tests' (tests/postgres_server.py): Debian's binaries in a temporary
folder, loopback and a Unix socket only, durable (fsync on) as a site's would be.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE))

import postgres_server  # noqa: E402  (the tests' own server, started in a temporary folder)
from session import FLAGSHIP_ANSWERS  # noqa: E402

STUDENTS = 50
ATTEMPTS = 40
ROUNDS = 5  # the flagship's answers, this many times over, per store


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def summary(seconds: list[float]) -> dict:
    return {"median_ms": statistics.median(seconds) * 1000,
            "p95_ms": percentile(seconds, 0.95) * 1000, "n": len(seconds)}


def verdicts(store) -> dict:
    """Every flagship answer ROUNDS times through a LessonSession on ``store``: the whole
    verdict (check and write), and the write alone (record_attempt's share)."""
    from tutor.lessons.load import load_catalog
    from tutor.session import LessonSession

    lesson = load_catalog().get("two-layer-sigmoid")
    session = LessonSession(lesson, 1, store)
    whole, writes = [], []
    record = store.record_attempt

    def timed_record(*args, **kwargs):
        started = time.perf_counter()
        try:
            return record(*args, **kwargs)
        finally:
            writes.append(time.perf_counter() - started)

    store.record_attempt = timed_record
    for step, answers in FLAGSHIP_ANSWERS:
        session.submit(step, answers[0], 1.0)  # warm: the step's proofs and symbols
    for _ in range(ROUNDS):
        for step, answers in FLAGSHIP_ANSWERS:
            for answer in answers:
                started = time.perf_counter()
                session.submit(step, answer, 1.0)
                whole.append(time.perf_counter() - started)
    del store.record_attempt
    return {"verdict": summary(whole), "write": summary(writes)}


def one_student(conninfo: str, start_at: float, queue) -> None:
    """A student's tutor: waits for the common start, then writes ATTEMPTS attempts."""
    from tutor.progress.postgres.store import PostgresStore

    store = PostgresStore(conninfo)
    took = []
    while time.time() < start_at:
        time.sleep(0.001)
    for number in range(ATTEMPTS):
        started = time.perf_counter()
        store.record_attempt("two-layer-sigmoid", "df_dh2", 1, f"W3.T + {number}",
                             "incorrect", [], 1.0)
        took.append(time.perf_counter() - started)
    queue.put((store.notice, took))
    store.close()


def whole_class(server, database: str) -> dict:
    roles = [server.new_role("bench", "chain_tutor_student") for _ in range(STUDENTS)]
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    start_at = time.time() + 3.0  # every process connected and waiting by then
    processes = [context.Process(target=one_student,
                                 args=(server.conninfo(role, password, database), start_at,
                                       queue))
                 for role, password in roles]
    for process in processes:
        process.start()
    reports = [queue.get(timeout=300) for _ in processes]
    for process in processes:
        process.join(60)
    counts = dict(server.admin(
        "SELECT student, count(*) FROM chain_tutor.attempts GROUP BY student", database))
    distinct = dict(server.admin("SELECT student, count(DISTINCT answer) FROM "
                                 "chain_tutor.attempts GROUP BY student", database))
    lost = sum(max(0, ATTEMPTS - counts.get(role, 0)) for role, _ in roles)
    duplicated = sum(counts.get(role, 0) - distinct.get(role, 0) for role, _ in roles)
    took = [seconds for _notice, times in reports for seconds in times]
    return {"students": STUDENTS, "attempts_each": ATTEMPTS,
            "written": sum(counts.get(role, 0) for role, _ in roles),
            "lost": lost, "duplicated": duplicated,
            "notices": sum(1 for notice, _ in reports if notice),
            "write": summary(took)}


def first_paints(conninfo: str, runs: int) -> dict:
    import run as harness

    harness.compile_tutor()
    tutor = str(harness.BIN / "chain-tutor")
    lesson = [tutor, "two-layer-sigmoid"]
    sqlite, postgres = [], []
    for _ in range(runs):  # interleaved, so that drift in load hits both alike
        sqlite.append(harness.first_paint(lesson, "Two sigmoid layers", earlier=1).seconds)
        os.environ["CHAIN_TUTOR_DATABASE"] = conninfo
        try:
            postgres.append(harness.first_paint(lesson, "Two sigmoid layers",
                                                earlier=1).seconds)
        finally:
            del os.environ["CHAIN_TUTOR_DATABASE"]
    return {"sqlite_ms": statistics.median(sqlite) * 1000,
            "postgres_ms": statistics.median(postgres) * 1000, "runs": runs}


def main() -> dict:
    why = postgres_server.unavailable()
    if why:
        return {"skipped": why}
    from tutor.progress.postgres.connection import PgConnection
    from tutor.progress.postgres.schema import init_database
    from tutor.progress.store import ProgressStore

    server = postgres_server.PostgresServer(durable=True)
    try:
        database = server.new_database("bench")
        admin = PgConnection.connect(server.conninfo(dbname=database))
        init_database(admin)
        admin.close()
        role, password = server.new_role("student", "chain_tutor_student")
        conninfo = server.conninfo(role, password, database)
        from tutor.progress.postgres.store import PostgresStore

        with tempfile.TemporaryDirectory() as folder:
            sqlite_store = ProgressStore(Path(folder) / "progress.db")
            results = {"sqlite": verdicts(sqlite_store)}
            sqlite_store.close()
        postgres_store = PostgresStore(conninfo)
        results["postgres"] = verdicts(postgres_store)
        postgres_store.close()
        results["class"] = whole_class(server, database)
        runs = int(os.environ.get("STORES_PAINT_RUNS", "7"))
        results["first_paint"] = first_paints(conninfo, runs)
        return results
    finally:
        server.remove()


if __name__ == "__main__":
    print(json.dumps(main()))
