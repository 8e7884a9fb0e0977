"""A first launch makes its progress database after the first paint, and loses nothing.

`ProgressStore.open(create_later=True)` with no database yet: reads find nothing (as the
new file would) and make nothing; the first write, or `create()`, makes the file, and the
write is committed in the same call, before anything is shown for it.
"""

from __future__ import annotations

from pathlib import Path

from tutor.progress import ProgressStore


def test_reads_before_the_database_is_made_find_nothing_and_make_nothing(tmp_path: Path):
    store = ProgressStore.open(tmp_path / "data", create_later=True)
    assert store.enabled and store.notice is None
    assert store.summary() == [] and store.networks() == [] and store.draft() is None
    assert store.lesson("a").steps == {}
    assert not (tmp_path / "data").exists()
    store.close()


def test_the_first_write_makes_the_database_and_is_committed(tmp_path: Path):
    store = ProgressStore.open(tmp_path / "data", create_later=True)
    store.record_attempt("a", "s", 1, "W3", "correct", (), 2.0, solves=True)
    with ProgressStore.open(tmp_path / "data") as other:  # another process's view
        assert [attempt.answer for attempt in other.attempts("a")] == ["W3"]
    store.create()  # made already: nothing more
    assert len(store.attempts("a")) == 1
    store.close()


def test_an_existing_database_is_opened_at_once(tmp_path: Path):
    with ProgressStore.open(tmp_path) as first:
        first.record_hint("a", "s")
    store = ProgressStore.open(tmp_path, create_later=True)
    assert store.journal is not None and store.lesson("a").steps["s"].hints == 1
    store.close()


def test_a_database_that_cannot_be_made_turns_progress_off_and_says_so(tmp_path: Path):
    told: list[str] = []
    folder = tmp_path / "data"
    store = ProgressStore.open(folder, create_later=True)
    store.listener = told.append
    folder.mkdir()
    (folder / "progress.db").mkdir()  # in the way: no file can be made there
    store.create()
    assert not store.enabled and store.notice and told == [store.notice]
    store.record_hint("a", "s")  # saves nothing, raises nothing
    store.close()
