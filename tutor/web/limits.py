"""What `chain-tutor serve` holds at most: sessions, connections per client, idle time, files.

Every browser tab is a tutor process (about 90 MB) and six open files on the server
(its socket and the tutor's pipes); every TCP connection, even one that never sends a
byte, is an open file. With the usual limit of 1,024 open files, 1,100 idle connections
took them all: asyncio could not accept, logged it through a handler that had to open
a file to format the traceback, failed again, and the server died, serving no one.

So the server plans its files before it listens (`plan`): the open-file limit raised
as far as the system allows, the sessions it can afford (`--max-sessions`, lowered with
a word when files are short), and the connections left for pages and idle sockets.
Each accepted connection then passes a gate (`ConnectionGate`): past the cap, or past
`--max-per-client` from one address, it gets a short 503 that a person can read and is
closed at once, so a flood holds no more files than the cap. A connection that sends
no request is closed after IDLE seconds (aiohttp's keep-alive timer, which also runs
before the first request). If the files run out all the same (another program's
share, a tutor's pipes), asyncio pauses accepting for a second and tries again; that
is said in one line (`quiet_exhaustion`), never as a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("chain-tutor")

DEFAULT_MAX_SESSIONS = 64  # tutors at once: about 6 GB, three students a core
DEFAULT_MAX_PER_CLIENT = 16  # connections from one address: a few tabs and their files
IDLE = 10.0  # seconds a connection may stay open without sending a request
FILES_PER_SESSION = 6  # the websocket and the tutor's stdin, stdout, stderr, with room
RESERVED_FILES = 64  # Python, the listening socket, logs, imports, a pipe or two
WANTED_FILES = 65536  # the soft limit asked for, if the hard limit allows it
BACKLOG = 128  # connections the kernel holds before the server accepts them
LINGER = 0.5  # seconds a refused connection stays open, so its request is read, not reset
MAX_LINGERING = 32  # refused connections lingering at once; past that they are cut
SAY_EVERY = 10.0  # seconds between two log lines of the same kind


@dataclass(frozen=True)
class Limits:
    max_sessions: int
    max_per_client: int  # 0: no cap (behind a proxy every client has its address)
    max_connections: int
    idle: float = IDLE


def raise_open_file_limit(wanted: int = WANTED_FILES) -> int:
    """The soft open-file limit, raised towards `wanted` as far as the hard limit allows."""
    try:
        import resource
    except ImportError:  # Windows: no such limit to plan with
        return wanted
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
    return wanted if soft == resource.RLIM_INFINITY else soft


def plan(max_sessions: int, max_per_client: int, open_files: int,
         idle: float = IDLE) -> tuple[Limits, str | None]:
    """The limits `open_files` allows, and a warning for a person when it lowers the
    sessions asked for. Sessions take at most half of the files; pages and idle
    connections the rest."""
    usable = max(open_files - RESERVED_FILES, 2 * FILES_PER_SESSION)
    affordable = max(1, usable // 2 // FILES_PER_SESSION)
    sessions = min(max_sessions, affordable)
    warning = None
    if sessions < max_sessions:
        warning = (f"chain-tutor: at most {sessions} sessions at once, not {max_sessions}: "
                   f"the open-file limit is {open_files} (raise it with `ulimit -n` or "
                   "LimitNOFILE= for more)")
    connections = usable - sessions * (FILES_PER_SESSION - 1)
    return Limits(sessions, max_per_client, connections, idle), warning


def lab_full(sessions: int) -> str:
    said = "1 session is" if sessions == 1 else f"{sessions} sessions are"
    return f"the lab is full: {said} open; try again in a minute"


def refusal_page(message: str) -> str:
    return ("<!doctype html><html><head><meta charset=\"utf-8\"><title>chain-tutor</title>"
            f"</head><body><h1>chain-tutor</h1><p>{message}</p></body></html>\n")


def http_503(message: str) -> bytes:
    body = refusal_page(message).encode()
    head = ("HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/html; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nRetry-After: 60\r\nConnection: close\r\n\r\n")
    return head.encode() + body


class Say:
    """One log line of a kind every SAY_EVERY seconds, with how many were not said."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last: dict[str, float] = {}
        self._held: Counter[str] = Counter()

    def __call__(self, kind: str, message: str) -> None:
        now = self._clock()
        if kind in self._last and now - self._last[kind] < SAY_EVERY:
            self._held[kind] += 1
            return
        held = self._held.pop(kind, 0)
        self._last[kind] = now
        more = f" ({held} more like it since the last such line)" if held else ""
        with contextlib.suppress(Exception):  # a log line must never end the server
            log.warning(f"chain-tutor: {message}{more}")


class ConnectionGate:
    """Counts the open connections, in all and per client address, and turns away those
    past the limits. `protocol` is the listening socket's protocol factory; an admitted
    connection is handed to `inner()` (aiohttp's request handler)."""

    def __init__(self, limits: Limits, inner: Callable[[], asyncio.Protocol],
                 say: Say | None = None) -> None:
        self.limits = limits
        self.inner = inner
        self.open = 0
        self.per_client: Counter[str] = Counter()
        self.lingering = 0
        self.say = say or Say()

    def protocol(self) -> asyncio.Protocol:
        return GatedConnection(self)

    def admit(self, client: str) -> str | None:
        """None after counting the connection in; otherwise why it is turned away."""
        cap = self.limits.max_per_client
        if cap and self.per_client[client] >= cap:
            self.say(f"client {client}", f"refused connections from {client}: it has "
                                         f"{cap} open, the --max-per-client")
            return (f"too many connections from your address ({cap} are open); close a "
                    "tab, or try again in a minute")
        if self.open >= self.limits.max_connections:
            self.say("full", f"refused connections: {self.open} are open, all the open "
                             "files allow (see --max-sessions)")
            return f"the lab is full: {self.open} connections are open; try again in a minute"
        self.open += 1
        self.per_client[client] += 1
        return None

    def release(self, client: str) -> None:
        self.open -= 1
        self.per_client[client] -= 1
        if self.per_client[client] <= 0:
            del self.per_client[client]


class GatedConnection(asyncio.Protocol):
    """One accepted connection: refused with a 503, or passed whole to aiohttp."""

    def __init__(self, gate: ConnectionGate) -> None:
        self.gate = gate
        self.client = ""
        self.inner: asyncio.Protocol | None = None
        self.closing: asyncio.TimerHandle | None = None

    def connection_made(self, transport: Any) -> None:
        peer = transport.get_extra_info("peername")
        self.client = str(peer[0]) if isinstance(peer, tuple) and peer else "?"
        refusal = self.gate.admit(self.client)
        if refusal is None:
            self.inner = self.gate.inner()
            self.inner.connection_made(transport)
            return
        try:
            transport.write(http_503(refusal))
            if self.gate.lingering >= MAX_LINGERING or not transport.can_write_eof():
                transport.close()
                return
            # Closing with the request unread would reset the connection, and a browser
            # would show "connection reset" instead of the page: read it for a moment.
            transport.write_eof()
        except OSError:  # the client has gone already
            transport.abort()
            return
        self.gate.lingering += 1
        self.closing = asyncio.get_running_loop().call_later(LINGER, transport.close)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.inner is not None:
            self.gate.release(self.client)
            self.inner.connection_lost(exc)
        elif self.closing is not None:
            self.closing.cancel()
            self.gate.lingering -= 1

    def data_received(self, data: bytes) -> None:
        if self.inner is not None:
            self.inner.data_received(data)  # type: ignore[attr-defined]

    def eof_received(self) -> bool | None:
        if self.inner is None:
            return None
        return self.inner.eof_received()  # type: ignore[attr-defined]

    def pause_writing(self) -> None:
        if self.inner is not None:
            self.inner.pause_writing()

    def resume_writing(self) -> None:
        if self.inner is not None:
            self.inner.resume_writing()


OUT_OF_FILES = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}


def quiet_exhaustion(say: Say) -> Callable[[asyncio.AbstractEventLoop, dict[str, Any]], None]:
    """An event loop's exception handler that says running out of files (or memory for
    sockets) on accept in one line; asyncio itself retries a second later. Anything
    else goes to the default handler."""

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        if isinstance(error, OSError) and error.errno in OUT_OF_FILES:
            say("accept", f"cannot accept a connection: {error.strerror}; new connections "
                          "wait a second (see --max-sessions and `ulimit -n`)")
            return
        loop.default_exception_handler(context)

    return handle


def run_gated(make_app: Any, host: str, port: int, limits: Limits,
              loop: asyncio.AbstractEventLoop, say: Say) -> None:
    """aiohttp's `web.run_app`, with the listening socket's connections through a
    ConnectionGate; returns on a GracefulExit (SIGINT, SIGTERM) or Ctrl+C."""
    from aiohttp import web
    from aiohttp.web_runner import GracefulExit

    class GatedSite(web.BaseSite):
        @property
        def name(self) -> str:
            return f"http://{host}:{port}"

        async def start(self) -> None:
            await super().start()
            server = self._runner.server
            assert server is not None
            gate = ConnectionGate(limits, server, say)
            self._server = await asyncio.get_running_loop().create_server(
                gate.protocol, host, port, backlog=BACKLOG, reuse_address=True)

    async def main() -> None:
        runner = web.AppRunner(await make_app, handle_signals=False,
                               keepalive_timeout=limits.idle)
        await runner.setup()
        try:
            await GatedSite(runner, backlog=BACKLOG).start()
            await asyncio.Event().wait()  # until cancelled, below
        finally:
            await runner.cleanup()

    loop.set_exception_handler(quiet_exhaustion(say))
    asyncio.set_event_loop(loop)
    task = loop.create_task(main())
    try:
        loop.run_until_complete(task)
    except (GracefulExit, KeyboardInterrupt):
        pass
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                loop.run_until_complete(task)
        rest = asyncio.all_tasks(loop)
        for other in rest:
            other.cancel()
        loop.run_until_complete(asyncio.gather(*rest, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
