"""The network editor under a large network: does the screen ever stall?

`python benchmarks/editor.py` opens the editor headless (as `chain-tutor` does, the
lessons loaded and sympy warmed up first), puts a depth-8 × width-8 network in it,
types into it while its checks run, then starts it (the lesson is made and validated
in a worker thread, sympy in the proof worker). A 10 ms timer records the longest gap
of the event loop throughout. Prints one JSON object.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from generate import DEPTH, WIDTH, deep_network  # noqa: E402 - after the path is set
from session import GapMeter  # noqa: E402


async def until(condition, limit: float = 120.0) -> float:
    started = time.perf_counter()
    while not condition():
        if time.perf_counter() - started > limit:
            raise RuntimeError("timed out")
        await asyncio.sleep(0.005)
    return time.perf_counter() - started


async def run() -> dict:
    from textual.widgets import OptionList, Static, TextArea

    from tutor.app.app import ChainTutorApp
    from tutor.app.screens.picker import NEW_NETWORK
    from tutor.progress import ProgressStore

    with tempfile.TemporaryDirectory() as data:
        store = ProgressStore.open(Path(data))
        app = ChainTutorApp(None, store, cursor_blink=False, freeze_gc=True)
        meter = GapMeter()
        async with app.run_test(size=(80, 24)) as pilot:
            await until(lambda: app.warmed_up and not app.workers._workers)
            options = app.screen.query_one(OptionList)
            options.highlighted = [o.id for o in options.options].index(NEW_NETWORK)
            await pilot.press("enter")
            await pilot.pause()
            app.set_interval(0.01, meter.tick)
            area = app.screen.query_one(TextArea)

            def status() -> str:
                return str(app.screen.query_one("#network-status", Static).content)

            text = deep_network()
            area.text = text
            check_s = await until(lambda: area.text == text and status().startswith("✓"))
            # Typing while checks of the large network run: a comment, key by key.
            area.move_cursor(area.document.end)
            typed_at = time.perf_counter()
            for char in "# typed while checking":
                await pilot.press("space" if char == " " else char)
            typing_s = time.perf_counter() - typed_at
            await until(lambda: status().startswith("✓"))
            typing_gap = meter.worst
            meter.worst = 0.0
            made_at: list[float] = []
            close = app.close_network_screens

            def closing() -> None:  # the lesson is made: the worst stall until now
                made_at.append(meter.worst)
                close()

            app.close_network_screens = closing  # type: ignore[method-assign]
            started = time.perf_counter()
            await pilot.press("f5")
            await until(lambda: type(app.screen).__name__ == "IntroScreen", limit=600)
            start_s = time.perf_counter() - started
            steps = len(app.screen.lesson.steps)
        store.close()
    return {"network": f"depth {DEPTH} × width {WIDTH}", "steps": steps,
            "check_s": check_s, "typing_22_keys_s": typing_s,
            "max_gap_typing_ms": typing_gap * 1000, "start_s": start_s,
            "max_gap_validating_ms": (made_at[0] if made_at else meter.worst) * 1000,
            "max_gap_opening_ms": meter.worst * 1000}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(run())))
