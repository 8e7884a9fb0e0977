"""kill -9 in the middle of writing loses at most the attempt in flight."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tutor.progress import DB_NAME, ProgressStore

ROOT = Path(__file__).resolve().parents[2]

WRITER = """
import sys
from pathlib import Path
from tutor.progress import ProgressStore

if sys.argv[2] == "postgres":
    from tutor.progress.postgres.store import PostgresStore
    store = PostgresStore(sys.argv[1])
else:
    store = ProgressStore(Path(sys.argv[1]), journal=sys.argv[2])
assert store.enabled, store.notice
start = int(sys.argv[3])
for i in range(start, start + 100000):
    store.record_attempt("crash", f"s{i % 4}", 1, f"a{i}", "incorrect", ["sign"], 0.5)
    store.mark("crash", f"s{i % 4}", "revealed")
    print(i, flush=True)  # acknowledged: this attempt is committed
"""


def integrity(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def reopen(target: str, journal: str) -> ProgressStore:
    if journal == "postgres":
        from tutor.progress.postgres.store import PostgresStore

        return PostgresStore(target)
    return ProgressStore(Path(target), journal=journal)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
@pytest.mark.parametrize("journal", ["wal", "delete", "postgres"])
def test_kill_9_during_writes_keeps_every_acknowledged_attempt(tmp_path, journal, request):
    # The SQLite file, or (postgres) the student's rows on a real server: the server
    # survives, the tutor writing to it is killed.
    db = request.getfixturevalue("pg_student") if journal == "postgres" else tmp_path / DB_NAME
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("CHAIN_TUTOR_JOURNAL", None)
    rng = random.Random(7)
    acknowledged = -1
    for _ in range(12):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db), journal, str(acknowledged + 1)],
            # Unbuffered: communicate() with a timeout reads the pipe itself, so lines
            # a buffered readline had already taken would be lost (and counted unsaid).
            stdout=subprocess.PIPE, bufsize=0, env=env,
        )
        # Let it get going, then kill it at a random moment mid-stream.
        assert writer.stdout is not None
        first = writer.stdout.readline().decode()
        assert first.strip(), "the writer never wrote"
        time.sleep(rng.uniform(0.0, 0.15))
        writer.send_signal(signal.SIGKILL)
        out, _ = writer.communicate(timeout=30)
        lines = [first, *out.decode().splitlines()]
        acknowledged = max(int(line) for line in lines if line.strip())

        if journal != "postgres":
            assert integrity(db) == "ok"
        with reopen(str(db), journal) as store:
            saved = [a.answer for a in store.attempts("crash")]
            assert store.notice is None
        # Every acknowledged attempt is there, in order; at most one more (in flight).
        assert saved[: acknowledged + 1] == [f"a{i}" for i in range(acknowledged + 1)]
        assert len(saved) - (acknowledged + 1) in (0, 1)
        acknowledged = len(saved) - 1
    assert acknowledged > 12
