"""Messages between the tutor and the processes it forks (tutor.engine.bounded): each a
length-prefixed run of bytes on a pipe, read with a deadline so that no side waits on a
child that is stuck or gone."""

from __future__ import annotations

import os
import select
import time

# Far past any proof request or answer (a lesson's definitions are tens of kilobytes): a
# length beyond it is no message of ours, and is not read into memory.
MAX_MESSAGE = 64 << 20


def send(fd: int, data: bytes) -> None:
    view = memoryview(len(data).to_bytes(8, "big") + data)
    while view:
        view = view[os.write(fd, view):]


def receive(fd: int, deadline: float | None) -> bytes | None:
    """One length-prefixed message; None past the deadline, at the end of the pipe, or
    for a length past MAX_MESSAGE."""
    header = exactly(fd, 8, deadline)
    if header is None or int.from_bytes(header, "big") > MAX_MESSAGE:
        return None
    return exactly(fd, int.from_bytes(header, "big"), deadline)


def exactly(fd: int, size: int, deadline: float | None) -> bytes | None:
    chunks: list[bytes] = []
    while size:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
        chunk = os.read(fd, min(size, 1 << 16))
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)
