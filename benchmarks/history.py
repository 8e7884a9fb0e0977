"""A lesson with a long history: opening it and giving a verdict must stay quick.

`python benchmarks/history.py [ATTEMPTS]` fills a progress database with ATTEMPTS
(default 100,000) attempts on the flagship lesson, then, in a headless TUI, opens
the lesson and answers a step, and prints one JSON object with the times in ms
(the best of a few runs): `open` (open_lesson until the lesson screen is drawn),
`verdict` (the screen handling a checked answer: save, re-read, redraw) and
`enter_to_verdict` (Enter until the verdict is shown, the check included).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

FLAGSHIP = "two-layer-sigmoid"
STEPS = ("df_dh2", "dh2_dz2", "dz2_dh1", "dh1_dz1", "df_dz1", "df_dW1")


def fill(data: Path, attempts: int) -> None:
    from tutor.progress import DB_NAME, ProgressStore

    ProgressStore.open(data).close()
    with sqlite3.connect(data / DB_NAME) as conn:
        conn.execute("INSERT INTO lessons (lesson_id, seed, started) VALUES (?, 1, 1.7e9)",
                     (FLAGSHIP,))
        conn.executemany(
            "INSERT INTO attempts (lesson_id, step_id, seed, answer, verdict, diagnosis,"
            " elapsed, at) VALUES (?, ?, 1, ?, ?, '[\"transpose\"]', 5.0, ?)",
            ((FLAGSHIP, STEPS[i % 5], f"W3.T + {i}", "incorrect", 1.7e9 + i)
             for i in range(attempts)),
        )


async def measure(data: Path) -> dict[str, float]:
    from textual.widgets import Input

    from tutor.app.app import ChainTutorApp
    from tutor.app.screens.lesson import LessonScreen
    from tutor.lessons.load import load_catalog
    from tutor.progress import ProgressStore

    catalog = load_catalog()
    store = ProgressStore.open(data)
    app = ChainTutorApp(catalog, store, cursor_blink=False, warm_up=False)
    times: dict[str, float] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        start = time.perf_counter()
        app.open_lesson(FLAGSHIP, intro=False)
        while not (isinstance(app.screen, LessonScreen) and app.screen.is_mounted):
            await asyncio.sleep(0)
        await pilot.pause()
        times["open"] = (time.perf_counter() - start) * 1000
        screen = app.screen
        handled: list[float] = []
        apply = screen.apply_check

        def timed(outcome):
            began = time.perf_counter()
            apply(outcome)
            handled.append((time.perf_counter() - began) * 1000)

        screen.apply_check = timed
        screen.query_one(Input).value = "W3"
        start = time.perf_counter()
        await pilot.press("enter")
        while not handled:
            await asyncio.sleep(0.001)
        times["enter_to_verdict"] = (time.perf_counter() - start) * 1000
        times["verdict"] = handled[0]
    store.close()
    return times


def main() -> None:
    attempts = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    best: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        for run in range(3):
            data = Path(folder) / f"data-{run}"
            fill(data, attempts)
            for name, value in asyncio.run(measure(data)).items():
                best[name] = min(best.get(name, value), value)
    print(json.dumps({"attempts": attempts, **{k: round(v, 1) for k, v in best.items()}}))


if __name__ == "__main__":
    main()
