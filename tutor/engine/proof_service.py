"""The shared proof service: one warm process that every tutor of a lab forks its proof
worker from, so that sympy is loaded once per machine and not once per student.

A tutor's own proof worker imports sympy (0.6 s, and ~70 MB with its server, each
student's own). Where ``CHAIN_TUTOR_PROOFS`` names this service's socket, the tutor
asks the service instead: it forks the student's template from its own state (sympy
loaded, the shipped lessons' symbols built, its heap frozen so that collections do not
copy it), in milliseconds, and the pages stay shared by every template on the machine.
A tutor that finds no service, or one that refuses it, forks its own worker as before:
nothing depends on the service being up.

Safe to share between students: a template runs only tutor.engine.prover's proofs on
requests read as plain data (tutor.engine.wire; never pickle, never the student's text
as Python), within its request's budget and the kernel's limits (CPU time, address
space), and each account may hold ``per_account`` templates at once. The service itself
only accepts, counts and forks: no request runs in it.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import os
import select
import shutil
import signal
import socket
import stat
import struct
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from tutor.engine import prover
from tutor.engine.pipes import send
from tutor.engine.problem import Problem
from tutor.engine.worker import _pack, _template

PER_ACCOUNT = 8  # templates one account may hold at once (several logins of one student)
MOST = 512  # templates at once, whoever holds them
BACKLOG = 128
_held: dict[int, int] = {}  # a started service's pid: the pipe's end that keeps it


class ServiceError(Exception):
    """The service cannot start (its socket's place is taken or not writable)."""


def run_service(path: Path, *, per_account: int = PER_ACCOUNT, most: int = MOST,
                shared: bool = False, problems: Callable[[], Iterable[Problem]] = tuple,
                ready: Callable[[], None] | None = None, parent: int | None = None) -> None:
    """Prepare, listen on ``path`` (a Unix socket: this account only, or every account
    with ``shared``), and fork a template for each tutor that connects, until SIGTERM,
    SIGINT or SIGHUP (or, given ``parent``, the read end of a pipe whose write end its
    parent holds, until that pipe ends: the parent is gone). It sleeps until one of
    those or a connection comes: an idle service costs no CPU.
    ``problems``: the lessons' problems whose symbols every template starts with."""
    prover._prepare()
    for problem in problems():
        with contextlib.suppress(Exception):  # a lesson that fails here is built on demand
            prover._build(prover._spec(problem))
    gc.collect()
    gc.freeze()  # what is built now stays shared: no collection in a child walks it
    listener = _listen(path, shared)
    stopping: list[int] = []
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda number, _frame: stopping.append(number))
    # A signal wakes the wait below at once, by a byte on this pipe: a stop, or a
    # template's end (SIGCHLD), reaped then rather than left a zombie.
    signal.signal(signal.SIGCHLD, lambda _number, _frame: None)
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    children: dict[int, int] = {}  # template's pid -> the account it serves
    try:
        if ready is not None:
            ready()
        waits = [listener, wake_read] + ([parent] if parent is not None else [])
        while not stopping:
            _reap(children)
            with contextlib.suppress(InterruptedError):
                readable = select.select(waits, [], [])[0]
                if parent in readable:
                    break  # the end of the pipe: the parent is gone
                if wake_read in readable:
                    os.read(wake_read, 512)  # the signals' bytes: read, or it stays readable
                if listener not in readable:
                    continue
            try:
                connection, _address = listener.accept()
            except OSError as error:  # a client gone already: go on
                if error.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    time.sleep(0.1)  # out of files or memory: the socket stays readable
                continue
            with connection:
                _take(connection, listener, children, per_account, most)
    finally:
        signal.set_wakeup_fd(-1)
        for fd in (wake_read, wake_write):
            os.close(fd)
        listener.close()
        with contextlib.suppress(OSError):
            path.unlink()
        for pid in children:  # their tutors see the socket close and fork their own
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        _reap(children)


def start_in_child(path: Path, problems: Callable[[], Iterable[Problem]] = tuple) -> int:
    """The service for this account's tutors, in a child of this process (``serve``'s
    tabs): it ends when this process does. Its pid; the socket appears once it is ready
    (a tutor that comes sooner forks its own worker)."""
    # This process keeps the write end open as long as it lives (not inherited by the
    # programs it starts: os.pipe's ends are not): the service sees the pipe end with it.
    parent_read, _parent_write = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the service: never returns
        code = 1
        try:
            os.close(_parent_write)
            with contextlib.suppress(OSError):
                os.setpgid(0, 0)  # Ctrl+C at the terminal is for serve, which ends it
            # Every tab is this account's: no cap per account, only the total.
            run_service(path, per_account=MOST, problems=problems, parent=parent_read)
            code = 0
        finally:
            os._exit(code)
    os.close(parent_read)
    _held[pid] = _parent_write
    return pid


@contextlib.contextmanager
def for_children(problems: Callable[[], Iterable[Problem]] = tuple) -> Iterator[Path]:
    """This account's service for the tutors this process starts (``serve``'s tabs): in a
    private folder, named in CHAIN_TUTOR_PROOFS for them, ended with the block."""
    folder = Path(tempfile.mkdtemp(prefix="chain-tutor-proofs-"))  # 0700: this account's
    path = folder / "proofs.sock"
    before = os.environ.get(prover.SERVICE_VARIABLE)
    pid = start_in_child(path, problems)
    os.environ[prover.SERVICE_VARIABLE] = str(path)
    try:
        yield path
    finally:
        if before is None:
            os.environ.pop(prover.SERVICE_VARIABLE, None)
        else:
            os.environ[prover.SERVICE_VARIABLE] = before
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)  # it ends its templates, and removes the socket
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        os.close(_held.pop(pid))
        shutil.rmtree(folder, ignore_errors=True)


def _take(connection: socket.socket, listener: socket.socket, children: dict[int, int],
          per_account: int, most: int) -> None:
    """Fork a template for this tutor, or tell it why not (it then forks its own)."""
    account = _peer_account(connection)
    refusal = None
    if len(children) >= most:
        refusal = f"the service holds {most} templates already"
    elif sum(1 for held in children.values() if held == account) >= per_account:
        refusal = f"this account holds {per_account} templates already"
    if refusal is not None:
        with contextlib.suppress(OSError):
            send(connection.fileno(), _pack(["busy", refusal]))
        return
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
    except OSError as error:  # out of processes or memory: this tutor forks its own
        with contextlib.suppress(OSError):
            send(connection.fileno(), _pack(["busy", f"cannot fork: {error.strerror}"]))
        return
    if pid == 0:  # the template: never returns
        code = 1
        try:
            signal.set_wakeup_fd(-1)
            # A session of its own: where the scheduler shares the CPU out by session
            # (Linux's autogroups), a student's proofs get a student's share, as a
            # worker forked by their tutor does, not a share of the service's one (fifty
            # students' proofs in one session starved and overran their budgets).
            with contextlib.suppress(OSError):
                os.setsid()
            listener.close()
            for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD):
                signal.signal(signum, signal.SIG_DFL)
            channel = connection.detach()
            _template(prover._handle, None, prover._build, channel, channel)
        finally:
            os._exit(code)
    children[pid] = account


def _peer_account(connection: socket.socket) -> int:
    """The connecting process's user id (SO_PEERCRED: the kernel's word, not the
    client's); -1 where the system does not say."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return -1
    with contextlib.suppress(OSError):
        _pid, uid, _gid = struct.unpack(
            "3i", connection.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i")))
        return uid
    return -1


def _reap(children: dict[int, int]) -> None:
    for pid in list(children):
        with contextlib.suppress(ChildProcessError):
            if os.waitpid(pid, os.WNOHANG)[0] == 0:
                continue
        del children[pid]


def _listen(path: Path, shared: bool) -> socket.socket:
    """A listening Unix socket at ``path``; a socket left there by a service that is gone
    is replaced, anything else (a live service, a file) is not."""
    if path.is_socket():
        if _answers(path):
            raise ServiceError(f"a proof service already listens on {path}")
        path.unlink()
    elif path.exists() or path.is_symlink():
        raise ServiceError(f"{path} exists and is not a socket")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(str(path))
        # Connecting to a Unix socket takes write permission on it: others may, or not.
        os.chmod(path, 0o666 if shared else stat.S_IRUSR | stat.S_IWUSR)
        listener.listen(BACKLOG)
    except OSError as error:
        listener.close()
        raise ServiceError(f"cannot listen on {path}: {error.strerror or error}") from None
    return listener


def _answers(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True
