"""The tutor opens a lesson whose progress.db holds a damaged row (an answer and a
diagnosis stored as bytes, a seed 'abc') instead of stopping with a traceback."""

from __future__ import annotations

import sqlite3

import pytest

from tutor.app.screens.lesson import LessonScreen
from tutor.progress import DB_NAME, ProgressStore

LESSON = "scalar-chain-rule"


@pytest.mark.parametrize("damage", [
    "UPDATE attempts SET answer = X'ff00fe', diagnosis = X'ff00fe'",
    "UPDATE attempts SET diagnosis = '" + "[" * 100_000 + "'",
    f"UPDATE lessons SET seed = 'abc' WHERE lesson_id = '{LESSON}'",
], ids=["blob answer and diagnosis", "nested diagnosis", "text seed"])
async def test_a_lesson_with_a_damaged_row_opens(make_app, tmp_path, damage):
    data = tmp_path / "data"
    with ProgressStore.open(data) as store:
        store.set_seed(LESSON, 7)
        store.record_attempt(LESSON, "dy_du", 7, "cos(u)", "correct", ["ok"], 1.0)
    conn = sqlite3.connect(data / DB_NAME)
    with conn:
        conn.execute(damage)
    conn.close()
    store = ProgressStore.open(data)
    app = make_app(store=store, lesson_id=LESSON)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")  # past the intro, if shown
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen)
    store.close()
