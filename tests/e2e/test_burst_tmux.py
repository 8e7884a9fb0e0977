"""A burst of keys into the answer box of the real tutor in a real terminal.

tmux's send-keys types without bracketed paste, as a terminal that lacks it sends a
paste: key by key. Before, 100,000 keys grew the tutor to 3.7 GB in six minutes with the
screen frozen, and a SIGTERM then waited behind the queued keys. Now the tutor's memory
stays about where it was, it answers the next key once it has worked through the burst,
and a SIGTERM in the middle of one ends it by itself (not by the forced exit).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from tmux_terminal import TMUX, Terminal, tutor_in_tmux

from tutor.app.signals import GRACE

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
BURST = 30_000  # characters, typed in chunks of CHUNK: before, minutes of work and 150+ MB
CHUNK = 1000


def tutor_pid(terminal: Terminal) -> int:
    """The tutor: the child of the pane's shell (`env` execs it)."""
    shell = terminal.tmux("display", "-p", "-t", terminal.session, "#{pane_pid}",
                          check=True).strip()
    children = Path(f"/proc/{shell}/task/{shell}/children").read_text().split()
    return int(children[0])


def rss_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    return next((int(line.split()[1]) / 1024 for line in status.splitlines()
                 if line.startswith("VmRSS:")), 0.0)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def burst(terminal: Terminal, pid: int, characters: int) -> float:
    """Type `characters` a's as fast as tmux sends them; the tutor's peak RSS meanwhile."""
    peak = 0.0
    for _ in range(characters // CHUNK):
        terminal.type("a" * CHUNK)
        peak = max(peak, rss_mb(pid))
    return peak


def test_a_key_burst_leaves_the_tutor_small_answering_and_stoppable(tmp_path):
    with tutor_in_tmux("two-layer-sigmoid", tmp_path / "data", name="chain-tutor-burst") as term:
        term.wait_for("Start the steps", timeout=60)
        term.keys("Enter")
        term.wait_for("the factor, e.g.", timeout=60)
        pid = tutor_pid(term)
        before = rss_mb(pid)
        peak = burst(term, pid, BURST)
        term.keys("C-u")
        term.type("W3")
        deadline = time.monotonic() + 180
        while "reads as W3" not in term.screen():  # the burst worked through, then W3
            peak = max(peak, rss_mb(pid))
            assert peak - before < 60, f"the tutor grew from {before:.0f} to {peak:.0f} MB"
            assert time.monotonic() < deadline, f"no answer to W3:\n{term.screen()}"
            time.sleep(0.2)
        assert peak - before < 60, f"the tutor grew from {before:.0f} to {peak:.0f} MB"

        burst(term, pid, 10 * CHUNK)  # and in the middle of another one, SIGTERM
        os.kill(pid, signal.SIGTERM)
        stopped = time.monotonic()
        while alive(pid):
            assert time.monotonic() - stopped < GRACE, "only the forced exit ended it"
            time.sleep(0.1)
