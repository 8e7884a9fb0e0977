"""`chain-tutor serve`: the tutor in a web browser, for a lab whose machines have no SSH client.

textual-serve runs a small web server; every browser tab that opens its page starts
one tutor process (`python -m tutor ...`) on the server, as the account that runs
`serve`, and relays the screen and the keys over a websocket. So all tabs share that
account's progress database and login name: one `serve` per student, or a
`--data-dir` per instance.

The tutor has no authentication: whoever reaches the port gets a tutor. So the server
listens on loopback unless told otherwise, and says so loudly when it is told;
students reach it through an SSH tunnel, or a reverse proxy that does the logging in
(JupyterHub's: jupyter.py, whose secret header serve then asks of every request).

A web page on another site can open a websocket to a loopback port too (browsers do
not stop it; they only say, in the Origin header, whose page asks). So a session is
opened only for the tutor's own page: `OriginGate` (origin.py). How many sessions and
connections the server holds, and how long an idle one, is limits.py's. And what a
session's client sends is bounded, since the tutor process it drives holds all of it
in memory: the terminal size (`clamp_size`), one message, the input per second
(`InputBudget`). When the socket
closes, for whatever reason, the tutor is asked to quit, then hung up on, then killed
(`end` below), so that no tutor outlives its page.

This module, unlike the rest of tutor/, makes another program run (textual-serve
starts the tutor through the shell). `serve` is a subcommand for whoever has a shell
already; a login whose only program is the tutor cannot reach it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import os
import shlex
import signal
import socket
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tutor.web import jupyter
from tutor.web.limits import (
    DEFAULT_MAX_PER_CLIENT,
    DEFAULT_MAX_SESSIONS,
    Limits,
    Say,
    lab_full,
    plan,
    raise_open_file_limit,
    refusal_page,
    run_gated,
)
from tutor.web.origin import OriginGate, is_loopback, origin_of  # noqa: F401 - also from here

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
TITLE = "chain-tutor"

# A 4K screen (3840×2160 pixels) filled with the page at a 12 px font is about 500×150
# cells. Far larger sizes make the tutor build and send screens of millions of cells:
# at 100000×100000 it grew by 100 MB a second and never drew one.
MAX_WIDTH, MAX_HEIGHT = 500, 200
# The page sends each key, mouse move and paste as one message. An answer is at most
# 2,000 characters (tutor.engine.parser.MAX_LENGTH); a paste of that is under 10 KiB.
MAX_MESSAGE_BYTES = 64 * 1024
# Typing is tens of bytes a second, mouse moves about 1.5 KiB/s. A burst of one large
# paste and then 8 KiB/s is far above both; each byte the tutor has not yet handled
# costs it about 100 bytes of queued events (3 MB of keys grew a tutor to 280 MB).
INPUT_BURST_BYTES = 64 * 1024
INPUT_BYTES_PER_SECOND = 8 * 1024
QUIT_GRACE = 2.0  # seconds for a tutor to quit when asked, then for one to be hung up on
CLOSE_GRACE = 2.0  # seconds for a client to answer our closing of its socket
HEARTBEAT = 15.0  # seconds between pings of a session's socket, to find a client gone
MAX_OWED_SECONDS = 60.0  # of input read late, at most, kept for the reading
INPUT_STALL = 10.0  # seconds a tutor may read none of its input before its session ends

log = logging.getLogger("chain-tutor")


class ServeError(Exception):
    """The server cannot start, said for a person."""


def tutor_command(lessons: Sequence[Path] = (), data_dir: Path | None = None,
                  seed_from_user: bool = False) -> str:
    """The shell command each browser session runs: this Python's tutor, with the options.

    textual-serve hands it to the shell, so every word is quoted; paths are made
    absolute, since a session's working folder is the server's.
    """
    words = [sys.executable, "-m", "tutor"]
    for folder in lessons:
        words += ["--lessons", str(Path(folder).absolute())]
    if data_dir is not None:
        words += ["--data-dir", str(Path(data_dir).absolute())]
    if seed_from_user:
        words.append("--seed-from-user")
    return shlex.join(words)


def exposure_warning(host: str, port: int) -> str:
    return (
        f"chain-tutor: WARNING: serving on {host}, not a loopback address: anyone who can "
        f"reach port {port} of this machine gets a tutor, with no password, running as "
        "this account and writing to its progress.\n"
        "chain-tutor: keep the default --host 127.0.0.1 and reach it through an SSH "
        f"tunnel (ssh -L {port}:127.0.0.1:{port} THIS-SERVER, then open "
        f"http://127.0.0.1:{port}/), or put a reverse proxy that asks for a login in "
        "front of it."
    )


def check_port_free(host: str, port: int) -> None:
    """ServeError with the reason if nothing can listen on host:port."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise ServeError(f"cannot listen on {host!r}: {error}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            raise ServeError(f"cannot listen on {host} port {port}: "
                             f"{error.strerror or error}") from None


def clamp_size(width: object, height: object) -> tuple[int, int]:
    """The terminal size to give a tutor, from a query string or a resize message:
    whole numbers of cells, at least 1 and at most MAX_WIDTH × MAX_HEIGHT; 80×24 for a
    value that is not a number."""
    return _cells(width, 80, MAX_WIDTH), _cells(height, 24, MAX_HEIGHT)


def _cells(value: object, default: int, most: int) -> int:
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 20:
        value = int(value)
    if isinstance(value, float) and math.isfinite(value):
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        return default
    return min(max(value, 1), most)


@dataclass
class InputBudget:
    """How much a session's client may send: `burst` bytes at once, refilled at `rate`
    bytes a second (a token bucket). `spend` is False once the client is over it.

    The bucket measures when the server reads, not when the client sent. While the
    server waits for a slow tutor to take its input, it reads nothing, and then reads at
    once what the client sent meanwhile: `waited` says so, and that time's allowance is
    kept whole (up to MAX_OWED) instead of being cut to one burst."""

    burst: int = INPUT_BURST_BYTES
    rate: float = INPUT_BYTES_PER_SECOND
    clock: Callable[[], float] = time.monotonic
    _left: float = field(init=False)
    _at: float = field(init=False)
    _owed: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        self._left, self._at = float(self.burst), self.clock()

    def spend(self, size: int) -> bool:
        now = self.clock()
        self._left = min(self.burst, self._left + (now - self._at) * self.rate)
        self._at = now
        owed = min(self._owed, size)
        self._owed -= owed
        self._left -= size - owed
        return self._left >= 0

    def waited(self, seconds: float) -> None:
        """The server waited `seconds` on the tutor: read late, not sent fast."""
        self._at += seconds  # that time refills the allowance owed, not the bucket
        self._owed = min(self._owed + seconds * self.rate, MAX_OWED_SECONDS * self.rate)


def read_envelope(text: str) -> tuple[str, Any] | None:
    """A message of textual-serve's page, `[kind, data]`, or None if `text` is none."""
    try:
        envelope = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(envelope, list) or not envelope or not isinstance(envelope[0], str):
        return None
    kind, data = envelope[0], (envelope[1] if len(envelope) > 1 else None)
    if (kind == "stdin" and not isinstance(data, str)) or (
            kind == "resize" and not isinstance(data, dict)):
        return None
    return kind, data


def serve(command: str, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
          public_url: str | None = None, max_sessions: int = DEFAULT_MAX_SESSIONS,
          max_per_client: int = DEFAULT_MAX_PER_CLIENT, proxy_token: str | None = None) -> None:
    """Serve `command` until Ctrl+C (SIGINT) or SIGTERM; ServeError if it cannot start.
    With `proxy_token`, only requests that carry it (jupyter.py's proxy adds it) are
    answered."""
    if not 0 < port < 65536:
        raise ServeError(f"port {port} is not between 1 and 65535")
    check_port_free(host, port)
    limits, warning = plan(max_sessions, max_per_client, raise_open_file_limit())
    if warning is not None:
        print(warning, file=sys.stderr)
    server = _server_class()(command, host=host, port=port, title=TITLE,
                             public_url=public_url, limits=limits, proxy_token=proxy_token)
    # textual-serve turns SIGINT and SIGTERM into aiohttp's graceful exit, which returns.
    try:
        server.serve()
    except OSError as error:  # the port was taken after check_port_free
        raise ServeError(f"cannot listen on {host} port {port}: "
                         f"{error.strerror or error}") from None




async def _exits_within(process: asyncio.subprocess.Process, seconds: float) -> bool:
    try:
        await asyncio.wait_for(process.wait(), seconds)
    except TimeoutError:
        return False
    return True


async def _unstoppable(work: Any) -> Any:
    """``work``'s result, waited for even when this task is cancelled: the server's
    shutdown cancels every session, and one cancelled while its tutor was ending (its
    page had just closed) left the tutor running and unreaped after the event loop had
    closed. The wait is bounded: a session's end kills its tutor after 2 × QUIT_GRACE."""
    running = asyncio.ensure_future(work)
    while True:
        try:
            return await asyncio.shield(running)
        except asyncio.CancelledError:
            if running.done():
                return running.result()


def _signal(process: asyncio.subprocess.Process, signum: int) -> None:
    if process.returncode is None:  # not yet reaped, so the pid is still the tutor's
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(process.pid, signum)


async def _sent(session: Any, data: bytes) -> bool:
    """Whether `data` reached the tutor's input, False once the tutor has read none of it
    for INPUT_STALL seconds. A tutor reads keys no faster than it handles them
    (tutor/app/input_flow.py), so keys sent fast wait here, the socket's reading with
    them; slow is not stuck: the wait goes on while the pipe drains at all."""
    sending = asyncio.ensure_future(session.send_bytes(data))
    transport = session.stdin.transport
    waiting = transport.get_write_buffer_size()
    while True:
        done, _ = await asyncio.wait({sending}, timeout=INPUT_STALL)
        if done:
            return True
        now = transport.get_write_buffer_size()
        if now >= waiting:
            sending.cancel()
            return False
        waiting = now


def _server_class() -> type:
    from aiohttp import WSCloseCode, WSMsgType, web  # imported for this subcommand only
    from textual_serve.app_service import AppService
    from textual_serve.server import Server

    class TutorSession(AppService):
        """One page's tutor, ended whatever it is doing when its page's socket closes.

        textual-serve starts the command through the shell; the session's command
        begins with `exec`, so that the process it watches is the tutor itself, with no
        shell left between to keep the tutor from being signalled (and ~2 MB a session).
        """

        async def run(self) -> None:
            await super().run()
            await self.remote_close()  # the tutor has ended, and with it the session

        async def end(self) -> None:
            """Ask the tutor to quit; hang up on it (SIGHUP, as a dropped SSH login
            does) if it has not after QUIT_GRACE; kill it after as long again. Every
            answer is saved as it is checked, so none of them loses one."""
            process = self._process
            if process is None:
                return
            await self._download_manager.cancel_app_downloads(
                app_service_id=self.app_service_id)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.send_meta({"type": "quit"}), QUIT_GRACE)
            for then in (signal.SIGHUP, signal.SIGKILL):
                if await _exits_within(process, QUIT_GRACE):
                    break
                _signal(process, then)
            await process.wait()
            if self._task is not None:  # reading the tutor's output, which has ended
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._task, QUIT_GRACE)

    class TutorServer(Server):
        """textual-serve's server, whose pages name the address they were asked for,
        which opens sessions only for its own page, bounds what a session's client may
        send, ends a session's tutor when its socket closes, lists no folder, and
        whose shutdown ends the open sessions at once. A --public-url that is a path
        (behind Jupyter) is on the host and scheme each browser used.

        aiohttp's graceful exit waits up to a minute for open connections, and a
        browser tab's websocket stays open; ending each session's handler ends its
        tutor (every answer is saved already).
        """

        def __init__(self, *args: Any, public_url: str | None = None, limits: Limits,
                     proxy_token: str | None = None, **kwargs: Any) -> None:
            # textual-serve's pages add /ws and /static/ to the public URL: no last slash.
            if public_url is not None:
                public_url = public_url.rstrip("/")
            super().__init__(*args, public_url=public_url, **kwargs)
            self.prefix = public_url if public_url is not None and "://" not in public_url \
                else None
            self.fixed_url = public_url is not None and self.prefix is None
            self.proxy_token = proxy_token
            # Behind Jupyter the proxy answers our pings itself, and counts each as the
            # user's activity: with them an open tab, idle, kept the hub from culling.
            self.heartbeat = None if proxy_token else HEARTBEAT
            self.gate = OriginGate.of(self.host, self.port, public_url)
            self.sessions: set[asyncio.Task] = set()
            self.limits = limits
            self.say = Say()

        def serve(self, debug: bool = False) -> None:
            # textual-serve's, but every connection passes the gate of limits.py first.
            self.debug = debug
            self.initialize_logging()
            loop = asyncio.new_event_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError):
                    loop.add_signal_handler(signum, self.request_exit)
            run_gated(self._make_app(), self.host, self.port, self.limits, loop, self.say)

        def full(self) -> Any:
            """The 503 page when --max-sessions tutors are running; None while there is room."""
            if len(self.sessions) < self.limits.max_sessions:
                return None
            message = lab_full(len(self.sessions))
            self.say("sessions", f"refused a session: {message} (--max-sessions)")
            return web.Response(status=503, text=refusal_page(message),
                                content_type="text/html", headers={"Retry-After": "60"})

        async def _make_app(self) -> web.Application:
            # textual-serve's routes, but the static folder (textual-serve's own files)
            # is not listed: the listing tells a student nothing and a stranger which
            # version is installed where.
            import aiohttp_jinja2
            import jinja2

            @web.middleware
            async def through_the_proxy(request: Any, handler: Any) -> Any:
                refusal = jupyter.proxy_refusal(self.proxy_token, request.headers)
                if refusal is not None:
                    return web.Response(status=403, text=refusal + "\n")
                return await handler(request)

            app = web.Application(middlewares=[through_the_proxy])
            aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path))
            app.add_routes([
                web.get("/", self.handle_index, name="index"),
                web.get("/ws", self.handle_websocket, name="websocket"),
                web.get("/download/{key}", self.handle_download, name="download"),
                web.static("/static", self.statics_path, show_index=False, name="static"),
            ])
            app.on_startup.append(self.on_startup)
            app.on_shutdown.append(self.on_shutdown)
            return app

        async def on_startup(self, app: Any) -> None:
            await super().on_startup(app)
            # The terminal that started serve closing: end the sessions, as on Ctrl+C.
            with contextlib.suppress(NotImplementedError, AttributeError):
                asyncio.get_running_loop().add_signal_handler(signal.SIGHUP,
                                                              self.request_exit)

        async def handle_index(self, request: Any) -> Any:
            # The page tells the browser where to open the websocket. Without --public-url,
            # point it back where the browser found the page: through a tunnel to another
            # local port, or at the machine's name when listening on 0.0.0.0. (The page is
            # built without an await in between, so requests cannot mix their addresses.)
            if self.prefix is not None:
                self.public_url = jupyter.page_url(self.prefix, request.headers,
                                                   request.scheme, request.host)
            elif not self.fixed_url:
                self.public_url = f"{request.scheme}://{request.host}"
            full = self.full()
            return full if full is not None else await super().handle_index(request)

        async def handle_websocket(self, request: Any) -> Any:
            origin = request.headers.get("Origin")
            refusal = jupyter.proxied_origin_refusal(origin, request.host) \
                if self.proxy_token else self.gate.refusal(origin, request.host, request.scheme)
            if refusal is not None:
                log.warning(refusal)
                return web.Response(status=403, text=refusal + "\n")
            full = self.full()
            if full is not None:
                return full
            websocket = web.WebSocketResponse(heartbeat=self.heartbeat, timeout=CLOSE_GRACE,
                                              max_msg_size=MAX_MESSAGE_BYTES)
            width, height = clamp_size(request.query.get("width"),
                                       request.query.get("height"))
            task = asyncio.current_task()
            if task is not None:
                self.sessions.add(task)
            session: TutorSession | None = None
            closing = (WSCloseCode.GOING_AWAY, "")
            try:
                await websocket.prepare(request)
                session = TutorSession(
                    f"exec {self.command}", write_bytes=websocket.send_bytes,
                    write_str=websocket.send_str, close=websocket.close,
                    download_manager=self.download_manager, debug=self.debug)
                try:
                    await session.start(width, height)
                except OSError as error:  # out of files or processes: one line, no traceback
                    self.say("start", f"cannot start a tutor for {request.remote}: "
                                      f"{error.strerror or error}")
                    closing = (WSCloseCode.TRY_AGAIN_LATER,
                               "chain-tutor: the server is busy; try again in a minute")
                    return websocket
                ended = await self.relay(websocket, session)
                if ended is not None:
                    log.warning(f"{ended[1]} (a client at {request.remote})")
                    closing = ended
            except asyncio.CancelledError:
                pass  # the server is stopping
            except Exception as error:  # the session ends; the server goes on
                log.exception(error)
            finally:
                # The tutor's end does not wait for the client's answer to the closing.
                code, reason = closing
                ending = [websocket.close(code=code, message=reason.encode())]
                if session is not None:
                    ending.append(session.end())
                for outcome in await _unstoppable(asyncio.gather(*ending,
                                                                 return_exceptions=True)):
                    if isinstance(outcome, Exception):
                        log.error("chain-tutor: ending a session: %r", outcome)
                self.sessions.discard(task)
            return websocket

        async def relay(self, websocket: Any, session: Any) -> tuple[int, str] | None:
            """The page's messages to the tutor, until the socket closes (None), or
            until the client sends what no page of ours would: then the close code and
            reason to end the session with."""
            budget = InputBudget()
            async for message in websocket:
                if message.type is WSMsgType.ERROR:  # aiohttp has closed it (too large)
                    return None
                if message.type is not WSMsgType.TEXT:
                    return WSCloseCode.UNSUPPORTED_DATA, "chain-tutor: not a text message"
                if not budget.spend(len(message.data)):
                    return (WSCloseCode.POLICY_VIOLATION,
                            f"chain-tutor: more input than {INPUT_BYTES_PER_SECOND // 1024} "
                            "KiB a second; the session has ended")
                envelope = read_envelope(message.data)
                if envelope is None:
                    return WSCloseCode.UNSUPPORTED_DATA, "chain-tutor: not a page message"
                kind, data = envelope
                if kind == "stdin":
                    started = time.monotonic()
                    if not await _sent(session, data.encode("utf-8", "replace")):
                        return (WSCloseCode.TRY_AGAIN_LATER,
                                "chain-tutor: the tutor stopped reading its input")
                    budget.waited(time.monotonic() - started)
                elif kind == "resize":
                    size = clamp_size(data.get("width"), data.get("height"))
                    await session.set_terminal_size(*size)
                elif kind == "ping":
                    await websocket.send_json(["pong", data])
                elif kind == "blur":
                    await session.blur()
                elif kind == "focus":
                    await session.focus()
            return None

        async def on_shutdown(self, app: Any) -> None:
            for task in list(self.sessions):
                task.cancel()
            await asyncio.gather(*self.sessions, return_exceptions=True)

    return TutorServer
