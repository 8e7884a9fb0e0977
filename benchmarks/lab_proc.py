"""The lab's processes, from /proc: which are the lab's, their CPU time and their memory.

A process is the lab's when its environment carries the run's token: every process a
tutor starts inherits it, whoever its parent is (a worker forked by the tutor, or one a
shared template process would start), and another lab on the same machine has another.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from lab_terminal import TOKEN_VARIABLE


class Processes:
    """Every process whose environment carries the token: the tutors and all they start."""

    def __init__(self, token: str) -> None:
        self.needle = f"{TOKEN_VARIABLE}={token}".encode()
        self._verdicts: dict[int, bool] = {}
        self.seen: dict[tuple[int, str], float] = {}  # (pid, start time): first seen

    def scan(self) -> list[int]:
        found = []
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            pid = int(name)
            mine = self._verdicts.get(pid)
            if mine is None:
                mine = self._verdicts[pid] = self.carries_token(pid)
            if mine:
                fields = _stat_fields(pid)
                if fields and fields[0] not in "ZX":  # a zombie has nothing left to measure
                    self.seen.setdefault((pid, fields[19]), time.monotonic())
                    found.append(pid)
        return found

    def sample(self) -> None:
        """Only the processes started since the last look, into ``seen``: cheap enough
        (one listing of /proc) to run every 50 ms while the tutors are being timed."""
        for name in os.listdir("/proc"):
            if name.isdigit() and int(name) not in self._verdicts:
                pid = int(name)
                self._verdicts[pid] = self.carries_token(pid)
                fields = _stat_fields(pid) if self._verdicts[pid] else []
                if fields:
                    self.seen.setdefault((pid, fields[19]), time.monotonic())

    def carries_token(self, pid: int) -> bool:
        try:
            return self.needle in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            return False  # gone

    def signal_all(self, sig: int) -> int:
        """``sig`` to each of the lab's processes, each looked at again just before: a pid
        the kernel has given to another process since it was seen is left alone."""
        sent = 0
        for pid in self.scan():
            if self.carries_token(pid):
                try:
                    os.kill(pid, sig)
                    sent += 1
                except ProcessLookupError:
                    pass
        return sent


def _stat_fields(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def cpu_ns(pid: int) -> int:
    """CPU time of all the process's threads, from the scheduler (ns; the clock ticks of
    /proc/PID/stat are 10 ms, coarser than an idle session's whole use)."""
    total = 0
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                total += int(Path(f"/proc/{pid}/task/{task}/schedstat").read_text().split()[0])
            except (OSError, ValueError, IndexError):
                continue
    except OSError:
        return 0
    return total


def children_cpu_ns(pid: int) -> int:
    """CPU time of the process's children that have ended and been reaped (ns; clock
    ticks of /proc/PID/stat, the only record left of a process once it is gone)."""
    fields = _stat_fields(pid)
    try:
        ticks = int(fields[13]) + int(fields[14])  # cutime, cstime
    except (IndexError, ValueError):
        return 0
    return ticks * 1_000_000_000 // os.sysconf("SC_CLK_TCK")


def pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def mem_available_mb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024
    return 0.0


def load_average() -> float:
    return os.getloadavg()[0]
