"""What an idle session costs the machine: CPU per second of a tutor nobody types into.

A lab is many students who mostly read and think: 200 tutors that each spend a few
milliseconds a second doing nothing (a blinking cursor redrawn twice a second) take a
core between them. `python benchmarks/idle.py` starts the real `chain-tutor` on the
flagship lesson in tmux (a tmux server of its own), opens the first step, waits until
the screen has settled (SETTLE seconds, past the tutor's idle delay and its
warm-up after the first paint), then reads the process's CPU time over WINDOW seconds: the
scheduler's (/proc/PID/task/*/schedstat, ns) and utime + stime (/proc/PID/stat, whose
10 ms ticks are too coarse for the target alone). The bare app (a Textual App with an
Input, its cursor blinking, as Textual ships it) is measured the same way, for the ratio.
Prints one JSON object.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
SETTLE = 15.0  # seconds after the first step is drawn before the count starts
WINDOW = 30.0  # seconds counted
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of the process (all its threads), from /proc/PID/stat: counted in
    clock ticks (10 ms), too coarse for a fraction of a millisecond a second alone."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def run_seconds(pid: int) -> float:
    """The same time from the scheduler, in nanoseconds, summed over the threads."""
    return sum(int((task / "schedstat").read_text().split()[0])
               for task in Path(f"/proc/{pid}/task").iterdir()) / 1e9


def children(pid: int) -> list[int]:
    """The process's children (the tutor's proof worker): idle is theirs too."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text() if (task / "children").exists() else ""
        found += [int(child) for child in text.split()]
    return found


class Pane:
    """One command in a tmux server of its own (-L), so nothing else shares it."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.server = f"idle-{os.getpid()}-{time.monotonic_ns()}"
        self.tmux = ["tmux", "-L", self.server]
        folder = Path(env["CHAIN_TUTOR_DATA"])
        self.pid_file = folder / "pid"
        program = ["sh", "-c", 'echo $$ > "$0"; exec "$@"', str(self.pid_file), *command]
        subprocess.run([*self.tmux, "new-session", "-d", "-s", "idle", "-x", "80", "-y", "24",
                        *program], env=env, check=True)

    def screen(self) -> str:
        return subprocess.run([*self.tmux, "capture-pane", "-p", "-t", "idle"],
                              capture_output=True, text=True).stdout

    def wait_for(self, text: str, limit: float = 60.0) -> None:
        deadline = time.monotonic() + limit
        while text not in self.screen():
            if time.monotonic() > deadline:
                raise RuntimeError(f"{text!r} never showed:\n{self.screen()}")
            time.sleep(0.2)

    def keys(self, *keys: str) -> None:
        subprocess.run([*self.tmux, "send-keys", "-t", "idle", *keys], check=True)

    def pid(self) -> int:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            text = self.pid_file.read_text().strip() if self.pid_file.exists() else ""
            if text.isdigit():
                return int(text)
            time.sleep(0.05)
        raise RuntimeError("the program's pid never came")

    def close(self) -> None:
        subprocess.run([*self.tmux, "kill-server"], capture_output=True)
        folder = Path(os.environ.get("TMUX_TMPDIR", "/tmp")) / f"tmux-{os.getuid()}"
        (folder / self.server).unlink(missing_ok=True)  # kill-server leaves it


def idle_cpu(command: list[str], ready: str, *, enter: str | None = None,
             opened: str | None = None) -> dict:
    """ms of CPU per second while the program sits on its screen, nobody typing."""
    with tempfile.TemporaryDirectory() as data:
        env = dict(os.environ) | {"CHAIN_TUTOR_DATA": data, "TERM": "xterm-256color",
                                  "PYTHONPATH": str(ROOT)}
        env.pop("TMUX", None)
        pane = Pane(command, env)
        try:
            pane.wait_for(ready)
            if enter:
                pane.keys(enter)
                pane.wait_for(opened or ready)
            pid = pane.pid()
            time.sleep(SETTLE)
            processes = [pid, *children(pid)]
            before = {p: (cpu_seconds(p), run_seconds(p)) for p in processes}
            start = time.monotonic()
            time.sleep(WINDOW)
            elapsed = time.monotonic() - start
            ticks = cpu_seconds(pid) - before[pid][0]
            spent = {p: run_seconds(p) - before[p][1] for p in processes}
        finally:
            pane.close()
    return {
        "ms_per_s": spent[pid] * 1000 / elapsed,
        "stat_ms_per_s": ticks * 1000 / elapsed,
        "with_worker_ms_per_s": sum(spent.values()) * 1000 / elapsed,
        "window_s": round(elapsed, 1),
    }


BARE = '''
from textual.app import App
from textual.widgets import Input, Static

class Bare(App):
    def compose(self):
        yield Static("bare input ready")
        yield Input()

Bare().run()
'''


def table_lines(idle: dict) -> list[str]:
    return [f"idle: {idle['tutor_ms_per_s']:.2f} ms CPU a second on the flagship's first step "
            f"({idle['tutor_with_worker_ms_per_s']:.2f} with its proof worker), bare Textual "
            f"app with an Input {idle['bare_input_ms_per_s']:.2f} ms ({idle['window_s']:.0f} s "
            f"counted, {idle['settle_s']:.0f} s after the step is drawn)"]


def main() -> dict:
    tutor = idle_cpu([str(BIN / "chain-tutor"), "two-layer-sigmoid", "--seed", "1"],
                     "Start the steps", enter="Enter", opened="is 1×2")
    bare = idle_cpu([sys.executable, "-c", BARE], "bare input ready")
    return {
        "tutor_ms_per_s": tutor["ms_per_s"],
        "tutor_with_worker_ms_per_s": tutor["with_worker_ms_per_s"],
        "tutor_stat_ms_per_s": tutor["stat_ms_per_s"],
        "bare_input_ms_per_s": bare["ms_per_s"],
        "ratio": tutor["ms_per_s"] / bare["ms_per_s"] if bare["ms_per_s"] else None,
        "settle_s": SETTLE,
        "window_s": tutor["window_s"],
        "sessions_per_core": int(1000 / tutor["ms_per_s"]) if tutor["ms_per_s"] else None,
    }


if __name__ == "__main__":
    print(json.dumps(main()))
