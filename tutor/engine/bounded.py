"""Run a computation that may not end (a sympy proof) where it can be stopped for good.

sympy can spend minutes, or hours, inside one big-integer operation on a short answer
such as ``diag(h2^1e-20 * h2 * (1-h2))``. A thread cannot be interrupted there, and it
holds the GIL, so the waiting thread, the screen and even the signal handlers stall
with it. So the work runs in a forked child process: forking is a few milliseconds,
the child starts with everything the parent has computed (sympy imported, the
problem's symbols), and the parent kills it when the budget is spent. Nothing
outlives the budget:

- the parent waits at most ``seconds`` and then sends SIGKILL;
- in case the parent itself is killed before it can act, the kernel ends the child:
  an alarm (SIGALRM, default action) one second past the budget, its CPU time capped
  (RLIMIT_CPU) and its memory growth (RLIMIT_AS).

The child runs only the given Python function and then ``os._exit``: it never execs,
so the tutor still starts no other program (tests/unit/test_no_shell.py).

Where there is no fork (Windows) the work runs in a daemon thread instead and the
caller stops waiting for it after ``seconds``, as before.
"""

from __future__ import annotations

import contextlib
import gc
import math
import os
import pickle
import signal
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tutor.engine.pipes import receive, send

_running: set[int] = set()  # children still at work, for stop_all
_running_lock = threading.Lock()
_workers: set = set()  # long-lived children (tutor.engine.worker.Worker), for stop_all
_epoch = 0  # how many times stop_all has run: a request from before it must not fork again
_closing = False  # stop_all(closing=True) ran: every computation is refused until resume()
EXTRA_MEMORY = 1 << 30  # a child may grow by 1 GiB beyond the parent's address space
_CHILD_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGTSTP", "SIGWINCH", "SIGCONT")


@dataclass(frozen=True)
class Outcome:
    finished: bool  # False: the budget ran out (or the child died) and it was stopped
    value: Any = None
    error: str | None = None  # the work raised: its type and message


def run_bounded(work: Callable[[], Any], seconds: float) -> Outcome:
    """``work()``'s result if it returns within ``seconds``; never waits longer."""
    if seconds <= 0 or _closing:
        return Outcome(False)
    if not hasattr(os, "fork"):
        return _in_thread(work, seconds)
    return _in_child(work, seconds)


def _in_child(work: Callable[[], Any], seconds: float) -> Outcome:
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns that fork in a threaded process may deadlock the child; a
        # deadlocked child is killed at the deadline like a slow one.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _child(work, write_end, seconds)
    os.close(write_end)
    with _running_lock:
        _running.add(pid)
    try:
        data = receive(read_end, time.monotonic() + seconds)
    finally:
        os.close(read_end)
        _end(pid)
        with _running_lock:
            _running.discard(pid)
    return _outcome(data)


def _outcome(data: bytes | None) -> Outcome:
    """A child's message (a result, or the error its work raised); None: it never came."""
    if data is None:
        return Outcome(False)
    return _finished(*pickle.loads(data))


def _finished(status: str, value: Any) -> Outcome:
    if status == "cut":  # the template stopped it at its deadline
        return Outcome(False)
    return Outcome(True, value) if status == "ok" else Outcome(True, None, value)


def _result(work: Callable[[], Any]) -> tuple[str, Any]:
    """In a child: what ``work`` returned, or the error it raised, to send to the parent."""
    try:
        return ("ok", work())
    except Exception as error:  # noqa: BLE001 - reported to the parent, not raised
        return ("error", f"{type(error).__name__}: {error}")


def stop_all(*, closing: bool = False) -> None:
    """End every computation still running: their callers get ``finished=False`` at once.

    For an app that is closing: no thread of it may wait out a proof's budget. With
    ``closing``, the computations asked for later are refused too (a check goes on to a
    second proof once its first is stopped), until ``resume``.
    """
    global _epoch, _closing
    with _running_lock:
        _epoch += 1
        _closing = _closing or closing
        pids = list(_running)
        workers = list(_workers)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    for worker in workers:
        worker.stop()


def resume() -> None:
    """Allow computations again after ``stop_all(closing=True)`` (a new app starts)."""
    global _closing
    with _running_lock:
        _closing = False


def _allow_cpu(seconds: float) -> None:
    """CPU time for ``seconds`` more of work, on top of what the process has used."""
    with contextlib.suppress(ImportError, OSError, ValueError):
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
        cpu = _cpu_limit(resource, seconds)
        if hard == resource.RLIM_INFINITY or cpu <= hard:
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, hard))


def _end(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def _child(work: Callable[[], Any], write_end: int, seconds: float) -> None:
    # A collection would walk, and so copy, every page the child shares with its parent;
    # the child lives for one proof, and its memory goes with it.
    gc.disable()
    code = 0
    try:
        _limit_child(seconds)
        send(write_end, pickle.dumps(_result(work)))
    except BaseException:  # noqa: BLE001 - the child must reach os._exit whatever happens
        code = 1
    finally:
        # os._exit: no atexit handlers, no buffered output of the parent's, no cleanup of
        # a terminal the child does not own.
        os._exit(code)


def _limit_child(seconds: float) -> None:
    for name in _CHILD_SIGNALS:
        number = getattr(signal, name, None)
        if number is not None:
            with contextlib.suppress(OSError, ValueError):
                signal.signal(number, signal.SIG_DFL)
    # Kernel-enforced, so they hold while sympy keeps the interpreter busy, and if the
    # parent is gone: an alarm for wall time, a CPU limit for a busy child.
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.alarm(math.ceil(seconds) + 1)
    with contextlib.suppress(ImportError, OSError, ValueError):
        import resource  # a built-in module: nothing to load

        _lower_limit(resource, resource.RLIMIT_CPU, _cpu_limit(resource, seconds))
        size = _address_space()
        if size:
            _lower_limit(resource, resource.RLIMIT_AS, size + EXTRA_MEMORY)


def _cpu_limit(resource, seconds: float) -> int:
    """The CPU time (whole seconds, one spare) that allows ``seconds`` more of work."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    return math.ceil(used.ru_utime + used.ru_stime + seconds) + 1


def _lower_limit(resource, which: int, value: int) -> None:
    soft, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    if soft == resource.RLIM_INFINITY or value < soft:
        resource.setrlimit(which, (value, hard))


def _address_space() -> int:
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


def _in_thread(work: Callable[[], Any], seconds: float) -> Outcome:
    box: list[tuple[str, Any]] = []
    thread = threading.Thread(target=lambda: box.append(_result(work)),
                              name="chain-tutor-bounded", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive() or not box:
        return Outcome(False)
    return _finished(*box[0])
