"""Loopback ports for the servers tests start (serve, sshd), safe with tests in parallel.

A port found free (bound, then let go) is free only at that moment: another worker of
`pytest -n auto` can be given the same one and bind it before our server does. Then our
server fails to listen, and worse, a connection to the port reaches the other test's
server. So a server counts as started only once its own process holds the listening
socket (read from /proc, not by connecting); if it exits while another process holds the
port, it is started again on another port.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ATTEMPTS = 5


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _listeners(port: int) -> Iterator[int]:
    """The inodes of the sockets listening on TCP `port` (IPv4 and IPv6)."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            # local address "ADDR:PORT" in hex; state 0A is LISTEN; the inode is field 9
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":
                yield int(fields[9])


def _sockets_of(pid: int) -> set[int]:
    found = set()
    try:
        descriptors = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return found
    for fd in descriptors:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            found.add(int(target[len("socket:["):-1]))
    return found


def listens(pid: int, port: int) -> bool:
    """Whether process `pid` itself holds a socket listening on `port`."""
    return bool(set(_listeners(port)) & _sockets_of(pid))


def taken(port: int) -> bool:
    """Whether some socket holds `port` of 127.0.0.1 now (a listener, or one bound there)."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def start_listening(launch: Callable[[int], subprocess.Popen], timeout: float,
                    ports: Callable[[], int] = free_port) -> tuple[subprocess.Popen, int]:
    """`launch(port)` on a free port until its process listens there; (process, port).

    A process that exits while nothing else holds its port failed for its own reason:
    it is returned as it is, for the caller to report. Raises AssertionError if it
    neither listens nor exits within `timeout` seconds."""
    for _ in range(ATTEMPTS):
        port = ports()
        process = launch(port)
        deadline = time.monotonic() + timeout
        while not listens(process.pid, port):
            if process.poll() is not None:
                if taken(port):
                    break  # another process took the port first: try another one
                return process, port
            if time.monotonic() > deadline:
                process.kill()
                process.wait()
                raise AssertionError(f"{process.args!r} did not listen on port {port} "
                                     f"within {timeout:.0f} s")
            time.sleep(0.05)
        else:
            return process, port
        process.wait()
    raise AssertionError(f"{ATTEMPTS} ports in a row were taken by other processes")
