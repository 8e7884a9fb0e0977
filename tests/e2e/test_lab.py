"""The lab benchmark (benchmarks/lab.py) with two real sessions: it gives every figure it
promises, well formed (not how fast: that is the benchmark's to say), and leaves no
process and no data folder behind.

Parallel-safe: the lab's processes are those carrying its own token, and its folders
are new temporary ones.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
SCRIPT = Path(sys.executable).with_name("chain-tutor")

pytestmark = [
    pytest.mark.skipif(sys.platform != "linux", reason="reads processes from /proc"),
    pytest.mark.skipif(not SCRIPT.exists(), reason="the chain-tutor script is not installed"),
]


def processes_with(token: str) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        try:
            environ = Path(f"/proc/{name}/environ").read_bytes()
        except OSError:
            continue
        if f"CHAIN_TUTOR_LAB={token}".encode() in environ.split(b"\0"):
            found.append(int(name))
    return found


def test_a_lab_of_two_gives_its_figures_and_leaves_nothing_behind(monkeypatch):
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "lab.py"), "--sessions", "2", "--lessons",
         "flagship", "--idle-wait", "0.5", "--idle", "1"],
        capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    lab = json.loads(done.stdout.strip().splitlines()[-1])
    lesson = lab["lessons"]["flagship"]
    assert lesson["lesson"] == "two-layer-sigmoid" and lesson["step"] == "dh2_dz2"
    (run,) = lesson["runs"]
    assert run["sessions"] == run["launched"] == run["ready"] == 2, run.get("failed_screen")
    latency = run["latency_ms"]
    assert latency["n"] == 2 and 0 < latency["median"] <= latency["p95"] <= latency["max"]
    verdicts = run["verdicts"]
    assert sum(verdicts.values()) == 2 and verdicts["no_verdict"] == 0
    assert verdicts["not_correct"] == verdicts["unread"] == 0  # each says how it was proved
    assert 0 < run["pss_answered_mb"] <= run["pss_total_mb"]  # after the verdicts
    assert 0 < run["pss_ready_mb"] <= run["pss_total_mb"]  # before Enter, workers warm
    assert math.isclose(run["pss_per_session_mb"] * 2, run["pss_total_mb"])
    assert run["processes"] >= 2  # the tutors, and their workers if they are alive
    assert math.isfinite(run["idle_cpu_ms_per_s"]) and run["idle_cpu_ms_per_s"] >= 0
    assert 0 < run["cpu_ms_per_verdict"] < 60_000  # some CPU, from Enter to the verdicts
    assert run["worker_starts"] >= 0 and run["worker_starts_answering"] >= 0
    assert run["quit_failed"] == 0  # Ctrl+Q ends every tutor
    assert run["left_behind"] == 0 and processes_with(run["token"]) == []
    assert run["data_removed"]

    # The same lab with README's proof service: the tutors' workers are its children,
    # counted in the lab's memory; stopped with the lab, nothing of it is left.
    (served,) = lab["lessons"]["flagship+service"]["runs"]
    assert served["verdicts"]["proved"] == 2 and served["ready"] == 2
    assert served["worker_starts"] >= 3  # the service, and a worker forked for each tutor
    assert served["left_behind"] == 0 and processes_with(served["token"]) == []

    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import lab as lab_module

    lines = lab_module.table_lines(lab)
    assert any("  2: verdict median" in line and "ms a verdict" in line for line in lines)
    targets = {"lab_p95_ms": 1000.0, "lab_timed_out": 0, "lab_pss_200_gb": 14.0,
               "lab_idle_cpu_ms_per_s": 0.2}
    # Without 50 sessions there is no p95 verdict; memory and idle are judged at 2.
    assert set(lab_module.targets_met(lab, targets)) == {"lab_pss_200_gb",
                                                          "lab_idle_cpu_ms_per_s"}


def test_the_screen_finds_a_marker_cut_inside_an_escape_sequence_or_a_character(
        monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    from lab_terminal import Screen

    drawn = "\x1b[1;31m✓ Cor\x1b[0m\x1b[12;4Hrect: proved equal".encode()
    screen = Screen()
    # Cut inside the colour, inside ✓ (three bytes), and inside the cursor move.
    for piece in (drawn[:3], drawn[3:8], drawn[8:21], drawn[21:]):
        screen.feed(piece)
    assert screen.shows("✓ Correct: proved")
    screen.mark = len(screen.text)
    assert not screen.shows("✓ Correct")  # only what came after the last key counts
