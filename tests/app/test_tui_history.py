"""A lesson with 100,000 attempts behind it opens and answers about as fast as a new one.

Before, the screen read the whole history on opening and after every verdict: 1.7 s
to open and 0.7 s per verdict; now 0.2 s and 11 ms (benchmarks/history.py). The bounds
here are loose, for slow machines; the unit test counts the database's work exactly.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time

from textual.widgets import Input
from tui_helpers import FLAGSHIP, settle, text_of

from tutor.app.screens.lesson import LessonScreen
from tutor.progress import DB_NAME, ProgressStore

HISTORY = 100_000
STEPS = ("df_dh2", "dh2_dz2", "dz2_dh1", "dh1_dz1", "df_dz1")


async def test_opening_and_answering_with_a_long_history_stay_quick(make_app, tmp_path):
    data = tmp_path / "data"
    ProgressStore.open(data).close()
    with sqlite3.connect(data / DB_NAME) as conn:
        conn.execute("INSERT INTO lessons (lesson_id, seed, started) VALUES (?, 1, 1.7e9)",
                     (FLAGSHIP,))
        conn.executemany(
            "INSERT INTO attempts (lesson_id, step_id, seed, answer, verdict, diagnosis,"
            " elapsed, at) VALUES (?, ?, 1, ?, 'incorrect', '[\"transpose\"]', 5.0, ?)",
            ((FLAGSHIP, STEPS[i % 5], f"W3.T + {i}", 1.7e9 + i) for i in range(HISTORY)),
        )
    store = ProgressStore.open(data)
    app = make_app(store=store, warm_up=False)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            start = time.perf_counter()
            app.open_lesson(FLAGSHIP, intro=False)
            while not (isinstance(app.screen, LessonScreen) and app.screen.is_mounted):
                await asyncio.sleep(0)
            opened = time.perf_counter() - start
            assert "attempts 20000" in text_of(pilot, "#prompt")

            screen = app.screen
            spent: list[float] = []
            apply = screen.apply_check

            def timed(outcome):
                began = time.perf_counter()
                apply(outcome)
                spent.append(time.perf_counter() - began)

            screen.apply_check = timed
            screen.query_one(Input).value = "W3"
            await pilot.press("enter")
            await settle(pilot)
            assert "✓ Correct" in text_of(pilot, "#feedback")
    finally:
        store.close()
    assert opened < 1.0, f"opening took {opened:.2f} s"
    assert spent and spent[0] < 0.3, f"a verdict took {spent[0]:.2f} s"
