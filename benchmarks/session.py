"""One headless session: peak memory and event-loop stalls while checks run.

`python benchmarks/session.py app` completes the flagship lesson the way a
student would (typing, a wrong answer, a hint), with a 10 ms timer recording
the longest gap of the event loop; `... bare` runs the bare baseline app.
Prints one JSON object.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

FLAGSHIP_ANSWERS = [
    ("df_dh2", ["W3.T", "W3"]),
    ("dh2_dz2", ["h2*(1-h2)", "diag(exp(-z2)/(1+exp(-z2))^2)"]),
    ("dz2_dh1", ["W2.T", "W2"]),
    ("dh1_dz1", ["diag(sigma(z1)*(1-sigma(z1)))"]),
    ("df_dz1", ["W3 @ diag(h2*(1-h2)) @ diag(h1*(1-h1))",
                "W3 @ diag(h2*(1-h2)) @ W2 @ diag(h1*(1-h1))"]),
    ("df_dW1", ["W3 * sigma(W2@h1)*(1-sigma(W2@h1)) * sigma(W1@x)*(1-sigma(W1@x))",
                "diag(h1*(1-h1)) @ W2.T @ diag(h2*(1-h2)) @ W3.T @ x.T"]),
]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pss_mb(pid: int | str) -> float:
    """Proportional set size: each page shared by n processes counts 1/n to each."""
    try:
        for line in open(f"/proc/{pid}/smaps_rollup"):
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def worker_pid() -> int | None:
    from tutor.engine import prover

    return prover._worker._pid


def worker_peak_rss_mb() -> float:
    """The proof worker's peak resident memory (VmHWM), counted on top of the tutor's:
    a session is both processes. Pages they share are counted twice, so this is an
    upper bound."""
    from tutor.engine import prover

    pid = prover._worker._pid
    if pid is None:
        return 0.0
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


class GapMeter:
    """A 10 ms timer: the longest time between two of its ticks is the worst stall."""

    def __init__(self) -> None:
        self.last: float | None = None
        self.worst = 0.0

    def tick(self) -> None:
        now = time.perf_counter()
        if self.last is not None:
            self.worst = max(self.worst, now - self.last)
        self.last = now


async def run_app() -> dict:
    if "--switch" in sys.argv:
        sys.setswitchinterval(0.0005)
    from textual.widgets import Input

    from tutor.app.app import ChainTutorApp
    from tutor.progress import ProgressStore

    with tempfile.TemporaryDirectory() as data:
        store = ProgressStore.open(Path(data))
        # As `chain-tutor two-layer-sigmoid` makes it (tutor.app.launch.run).
        app = ChainTutorApp(None, store, lesson_id="two-layer-sigmoid", seed=1,
                            cursor_blink=False, freeze_gc=True)
        meter = GapMeter()
        checks = 0
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("enter")  # past the intro
            # The lessons load in full and sympy warms up in the background; a student
            # reads the intro meanwhile. Starting to time before that ends would time it.
            deadline = time.perf_counter() + 60
            while not app.warmed_up or app.workers._workers:
                if time.perf_counter() > deadline:
                    raise RuntimeError("the lessons or sympy never finished loading")
                await asyncio.sleep(0.01)
            await pilot.pause()
            app.set_interval(0.01, meter.tick)
            await pilot.pause(0.05)
            for _step, answers in FLAGSHIP_ANSWERS:
                for answer in answers:
                    app.screen.query_one("#answer", Input).value = answer
                    before = meter.worst
                    meter.worst = 0.0
                    await pilot.press("enter")
                    checks += 1
                    while app.workers._workers:  # let the check finish while timing ticks
                        await asyncio.sleep(0.005)
                    await pilot.pause()
                    if "-v" in sys.argv:
                        print(f"{meter.worst * 1000:6.1f} ms  {answer}", file=sys.stderr)
                    meter.worst = max(before, meter.worst)
                if _step != FLAGSHIP_ANSWERS[-1][0]:
                    await pilot.press("pagedown")
            await pilot.pause(0.05)
            solved = sum(1 for s in store.lesson("two-layer-sigmoid").steps.values()
                         if s.status == "solved")
        store.close()
    # A session is three processes: the tutor and its proof worker (tutor.engine.prover),
    # whose template forks the server that runs the proofs. Their memory together, each
    # shared page once (PSS), at the end of the lesson; and the sum of the tutor's and
    # the template's peaks, which counts shared pages twice (an upper bound).
    from tutor.engine import prover

    worker, server = worker_pid(), prover._worker.server_pid
    together = pss_mb("self") + sum(pss_mb(pid) for pid in (worker, server) if pid)
    return {"peak_rss_mb": together, "tutor_peak_rss_mb": peak_rss_mb(),
            "worker_peak_rss_mb": worker_peak_rss_mb(),
            "sum_of_peaks_mb": peak_rss_mb() + worker_peak_rss_mb(),
            "max_gap_ms": meter.worst * 1000, "checks": checks, "solved": solved}


async def run_bare() -> dict:
    from bare_app import BareApp

    app = BareApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("a", "b", "c")
        await pilot.pause(0.1)
    return {"peak_rss_mb": peak_rss_mb()}


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "app"
    if which == "app":  # as `chain-tutor` does (tutor.cli.command.run_app): before the app
        from tutor.engine.early import fork_proof_template

        fork_proof_template()
    result = asyncio.run(run_app() if which == "app" else run_bare())
    print(json.dumps(result))
