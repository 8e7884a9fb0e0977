"""A progress.db with a damaged row (a value of the wrong type, written by another program
or crafted) still exports, imports and opens in a lesson: the row is read leniently
where that is safe, else left out and counted, and nothing else is lost."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tutor.cli.command import main
from tutor.lessons.load import load_catalog
from tutor.progress import DB_NAME, ProgressStore
from tutor.session import LessonSession, open_variant, start_lesson

LESSON = "scalar-chain-rule"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHAIN_TUTOR_JOURNAL", raising=False)
    monkeypatch.delenv("CHAIN_TUTOR_DATA", raising=False)


def _real_store(folder: Path) -> Path:
    with ProgressStore.open(folder) as store:
        store.set_seed(LESSON, 7)
        store.record_attempt(LESSON, "dy_du", 7, "cos(u)", "correct", ["ok"], 1.0)
        store.record_attempt(LESSON, "dy_dv", 7, "v", "incorrect", [], 2.0)
    return folder / DB_NAME


def _damage(db: Path, *statements: str) -> None:
    conn = sqlite3.connect(db)
    with conn:
        for statement in statements:
            conn.execute(statement)
    conn.close()


DAMAGE = {
    "blob answer and diagnosis": [
        "UPDATE attempts SET answer = X'ff00fe', diagnosis = X'ff00fe' WHERE id = 1"],
    "deeply nested diagnosis": [
        "UPDATE attempts SET diagnosis = '" + "[" * 100_000 + "' WHERE id = 1"],
    "diagnosis no list of codes": ["UPDATE attempts SET diagnosis = '{\"a\": 1}' WHERE id = 1"],
    "text seed of a lesson": [f"UPDATE lessons SET seed = 'abc' WHERE lesson_id = '{LESSON}'"],
    "text seed of an attempt": ["UPDATE attempts SET seed = 'abc' WHERE id = 2"],
    "blob step status": ["UPDATE steps SET status = X'00', hints = 'x'"],
}


@pytest.fixture(params=sorted(DAMAGE))
def damaged(request, tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    _damage(_real_store(folder), *DAMAGE[request.param])
    return folder


def test_a_damaged_row_is_left_out_of_an_export_and_said(damaged: Path, tmp_path: Path,
                                                         capsys) -> None:
    out = tmp_path / "out.json"
    assert main(["progress", "--data-dir", str(damaged), "--export", str(out)]) == 0
    content = json.loads(out.read_text())
    assert content["attempts"]  # the rest is there
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if "left out" in err:
        assert "damaged row" in err


def test_a_blob_answer_is_read_with_replacement_not_lost(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    _damage(_real_store(folder), *DAMAGE["blob answer and diagnosis"])
    with ProgressStore.open(folder) as store:
        attempts = store.attempts()
    assert len(attempts) == 2
    assert attempts[0].answer == "\ufffd\x00\ufffd" and attempts[0].diagnosis == ()


def test_an_export_counts_the_damaged_rows_on_stderr(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "data"
    _damage(_real_store(folder), *DAMAGE["text seed of a lesson"],
            *DAMAGE["text seed of an attempt"])
    assert main(["progress", "--data-dir", str(folder), "--export", "-"]) == 0
    captured = capsys.readouterr()
    assert "2 damaged rows of" in captured.err and "left out of the export" in captured.err
    assert len(json.loads(captured.out)["attempts"]) == 1


def test_an_import_into_a_database_with_a_damaged_row_works(damaged: Path,
                                                            tmp_path: Path) -> None:
    source = tmp_path / "other"
    with ProgressStore.open(source) as store:
        store.record_attempt("chain", "dz", 1, "W", "correct", [], 1.0)
    exported = tmp_path / "export.json"
    assert main(["progress", "--export", str(exported), "--data-dir", str(source)]) == 0
    assert main(["progress", "--import", str(exported), "--data-dir", str(damaged)]) == 0
    with ProgressStore.open(damaged) as store:
        assert any(a.lesson_id == "chain" for a in store.attempts())


def test_a_lesson_with_a_damaged_row_opens_as_the_tutor_opens_it(damaged: Path) -> None:
    lesson = load_catalog().get(LESSON)
    with ProgressStore.open(damaged) as store:
        opening = open_variant(store, LESSON, None)
        start_lesson(store, LESSON, opening.seed)
        session = LessonSession(lesson, opening.seed, store)
        assert session.factors
        assert store.summary()
