"""The tutor starts whatever it finds at progress.db, and says what it did with it.

A header whose schema version no tutor writes is damage: moved aside, a new file
started, the student told where the old one went. Another program's database is left
untouched: the tutor runs with progress off and says why. (The store's side of both:
tests/unit/test_progress_identity.py.)
"""

from __future__ import annotations

import sqlite3
from argparse import Namespace
from pathlib import Path

import pytest
from textual.widgets import OptionList

import tutor.app.app as app_module
import tutor.app.launch as launch_module
from tutor.progress import DB_NAME, ProgressStore


def write(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for statement in statements:
            conn.execute(statement)
    finally:
        conn.close()


def damaged_header(data: Path) -> bytes:
    data.mkdir()
    with ProgressStore(data / DB_NAME) as store:
        store.record_attempt("chain", "dz", 1, "W", "correct", [], 1.0)
    write(data / DB_NAME, "PRAGMA user_version = -5", "PRAGMA journal_mode = DELETE")
    return (data / DB_NAME).read_bytes()


def foreign(data: Path) -> bytes:
    data.mkdir()
    write(data / DB_NAME, "PRAGMA journal_mode = WAL", "CREATE TABLE notes (text TEXT)",
          "INSERT INTO notes VALUES ('not the tutor''s')")
    return (data / DB_NAME).read_bytes()


CASES = {
    "damaged header": (damaged_header, "was moved to"),
    "another program's database": (foreign, "not a chain-tutor progress database"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_tutor_starts_on_a_progress_file_it_cannot_use(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    """`chain-tutor` itself (app.run), up to the point where the screen would start."""
    make, said = CASES[case]
    data = tmp_path / "student"
    make(data)
    started: list[str | None] = []
    monkeypatch.setattr(app_module.ChainTutorApp, "run",
                        lambda self, **kwargs: started.append(self.store.notice))

    assert launch_module.run(Namespace(lesson=None, seed=None, lessons=[], data_dir=data)) == 0

    assert len(started) == 1 and started[0] is not None and said in started[0]


@pytest.mark.parametrize("case", list(CASES))
async def test_the_student_is_told_on_screen_and_the_picker_works(
        make_app, tmp_path: Path, case: str) -> None:
    make, said = CASES[case]
    data = tmp_path / "student"
    before = make(data)
    store = ProgressStore.open(data)
    app = make_app(store=store)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any(said in message for message in messages), messages
        assert app.screen.query_one(OptionList).option_count > 0
    store.close()
    if case == "another program's database":
        assert (data / DB_NAME).read_bytes() == before
        assert sorted(p.name for p in data.iterdir()) == [DB_NAME]
    else:
        [moved] = [p for p in data.iterdir() if ".corrupt-" in p.name]
        assert moved.read_bytes() == before
