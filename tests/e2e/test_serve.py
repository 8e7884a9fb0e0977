"""`chain-tutor serve`: the real command, a real browser page and session, on loopback only.

Each test starts the server on a free port of 127.0.0.1 (local_ports: its own, even with
tests in parallel) and talks to it from this
process, with bounded waits; the server is stopped as Ctrl+C stops it (SIGINT). A
session's processes are found in /proc as the server's descendants, so that a test can
see a tutor outlive its socket, and the fixture can end any that did.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from local_ports import start_listening

from tutor.web.serve import is_loopback, tutor_command

SCRIPT = Path(sys.executable).with_name("chain-tutor")
TIMEOUT = 30.0
ANSI = re.compile(rb"\x1b(\[[0-9;?$]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-_])")


class Process:
    """One process, told apart from a later one with the same pid by its start time."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.started = self._stat()[19]

    def _stat(self) -> list[str]:
        return Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()

    def alive(self) -> bool:
        try:
            fields = self._stat()
        except OSError:
            return False
        return fields[19] == self.started and fields[0] != "Z"

    def rss_mb(self) -> float:
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return 0.0
        return next((int(line.split()[1]) / 1024 for line in status.splitlines()
                     if line.startswith("VmRSS:")), 0.0)

    def kill(self) -> None:
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def descendants(pid: int) -> list[Process]:
    """Every process below ``pid`` now (children, theirs, …), those ended meanwhile left out."""
    found, todo = [], [pid]
    while todo:
        kids = children(todo.pop())
        found += kids
        todo += kids
    processes = []
    for kid in found:
        try:
            processes.append(Process(kid))
        except (OSError, IndexError):  # ended meanwhile
            continue
    return processes


def cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[:-1]
    except OSError:
        return []


class Served:
    def __init__(self, process: subprocess.Popen, port: int) -> None:
        self.process = process
        self.port = port
        self.url = f"http://127.0.0.1:{port}/"
        self.seen: list[Process] = []  # every session process ever found

    def sessions(self) -> list[Process]:
        """The server's descendants now: each session's processes (a tutor, and its proof
        worker's template and server, which are children of serve's proof service: the
        service itself, a fork of serve with serve's command line, is no session's)."""
        found, todo = [], [self.process.pid]
        while todo:
            kids = children(todo.pop())
            found += [kid for kid in kids if not self.is_service(kid)]
            todo += kids
        known = {(process.pid, process.started) for process in self.seen}
        processes = []
        for pid in found:
            try:
                process = Process(pid)
            except (OSError, IndexError):
                continue
            processes.append(process)
            if (process.pid, process.started) not in known:
                self.seen.append(process)
        return processes

    def is_service(self, pid: int) -> bool:
        return pid in children(self.process.pid) and cmdline(pid) == cmdline(self.process.pid)

    def get(self, timeout: float = TIMEOUT) -> tuple[int, str]:
        """The page, once the server answers (polled, at most `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited with {self.process.returncode}: "
                                     f"{self.process.stderr.read()}")
            try:
                with urllib.request.urlopen(self.url, timeout=5) as response:
                    return response.status, response.read().decode("utf-8")
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self) -> tuple[int, str]:
        """Ctrl+C: SIGINT, as a terminal sends it; the exit status and stderr."""
        self.process.send_signal(signal.SIGINT)
        _, stderr = self.process.communicate(timeout=TIMEOUT)
        return self.process.returncode, stderr


@pytest.fixture
def start_serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    """`start_serve(*options)`: `chain-tutor serve` on a free port, answering; at the end,
    the server and every session process it started are gone (killed if need be)."""
    if not SCRIPT.exists():
        pytest.skip(f"the chain-tutor script is not installed beside {sys.executable}")
    started: list[Served] = []

    def start(*options: str, wait: bool = True) -> Served:
        # wait=False: listening, its page not asked for yet.
        env = {**os.environ, "CHAIN_TUTOR_DATA": str(tmp_path / "data")}

        def launch(port: int) -> subprocess.Popen:
            return subprocess.Popen([SCRIPT, "serve", "--port", str(port), *options], env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                    text=True)

        started.append(Served(*start_listening(launch, TIMEOUT)))
        if wait:
            started[-1].get()
        return started[-1]

    yield start
    for served in started:
        served.sessions()  # the last look, before the server's end orphans them
        if served.process.poll() is None:
            served.process.kill()
            served.process.communicate(timeout=TIMEOUT)
        for process in served.seen:
            process.kill()


@pytest.fixture
def served(start_serve) -> Served:
    return start_serve(wait=False)


def test_serve_answers_with_the_tutors_page_and_stops_on_ctrl_c(served):
    status, page = served.get()
    assert status == 200
    assert page.lstrip().lower().startswith("<!doctype html>")
    assert "textual.js" in page and "chain-tutor" in page
    assert f"ws://127.0.0.1:{served.port}/ws" in page  # the session's websocket, on loopback

    code, stderr = served.stop()
    assert code == 0
    assert "Traceback" not in stderr and "WARNING" not in stderr


async def read_screen(port: int, expect: str, timeout: float = TIMEOUT) -> str:
    """Open a browser session's websocket and read the terminal until `expect` shows."""
    import aiohttp  # installed with textual-serve

    url = f"http://127.0.0.1:{port}/ws?width=100&height=30"
    seen = b""
    async with aiohttp.ClientSession() as client, client.ws_connect(url) as ws:
        await ws.send_json(["resize", {"width": 100, "height": 30}])
        async with asyncio.timeout(timeout):
            async for message in ws:
                if message.type == aiohttp.WSMsgType.BINARY:
                    seen += message.data
                    text = ANSI.sub(b"", seen).decode("utf-8", "replace")
                    if expect in text:
                        return text
    raise AssertionError(f"{expect!r} never showed; the session sent:\n"
                         f"{ANSI.sub(b'', seen).decode('utf-8', 'replace')[-2000:]}")


def test_a_browser_session_runs_the_tutor(served):
    served.get()
    screen = asyncio.run(read_screen(served.port, "scalar-chain-rule"))
    assert "Choose a lesson" in screen  # the picker, drawn by a tutor process on the server
    code, stderr = served.stop()
    assert code == 0 and "Traceback" not in stderr


def test_ctrl_c_ends_open_sessions_promptly(served):
    """A browser tab left open does not hold the server up (aiohttp would wait a minute)."""
    served.get()

    async def hold_a_session_then_stop() -> float:
        task = asyncio.create_task(read_screen(served.port, "never shown"))
        await asyncio.sleep(3)  # the session's tutor is starting, or running
        started = time.monotonic()
        await asyncio.to_thread(served.stop)
        try:
            await asyncio.wait_for(task, TIMEOUT)
        except AssertionError:  # the socket closed without "never shown": as it should
            pass
        return time.monotonic() - started

    assert asyncio.run(hold_a_session_then_stop()) < 15
    assert served.process.returncode == 0


def test_a_non_loopback_host_is_warned_about(tmp_path):
    if not SCRIPT.exists():
        pytest.skip(f"the chain-tutor script is not installed beside {sys.executable}")
    # 192.0.2.1 (TEST-NET-1) is no address of this machine: the warning is printed, and
    # then nothing can listen there, so no port is ever opened.
    result = subprocess.run([SCRIPT, "serve", "--host", "192.0.2.1", "--port", "8000"],
                            capture_output=True, text=True, timeout=TIMEOUT,
                            env={**os.environ, "CHAIN_TUTOR_DATA": str(tmp_path)})
    assert result.returncode == 1
    assert "WARNING" in result.stderr and "no password" in result.stderr
    assert "ssh -L 8000:127.0.0.1:8000" in result.stderr
    assert "cannot listen on 192.0.2.1" in result.stderr


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("[::1]", True),
    ("localhost", True), ("0.0.0.0", False), ("::", False), ("192.0.2.1", False),
])
def test_loopback_hosts_are_told_apart(host, loopback):
    assert is_loopback(host) is loopback


def test_the_served_command_quotes_every_word_for_the_shell(tmp_path):
    lessons = tmp_path / "our lessons; rm -rf ~"
    command = tutor_command([lessons], tmp_path / "da ta", seed_from_user=True)
    assert shlex.split(command) == [sys.executable, "-m", "tutor", "--lessons", str(lessons),
                                    "--data-dir", str(tmp_path / "da ta"), "--seed-from-user"]
    assert shlex.split(tutor_command()) == [sys.executable, "-m", "tutor"]


# What a page of another site, or a client that is no page at all, can do to a session.

ENDED = 10.0  # seconds for a closed session's tutor to be gone: quit, hang-up, kill


def wait_gone(processes: list[Process], timeout: float = ENDED) -> float:
    """Seconds until none of `processes` is alive; AssertionError after `timeout`."""
    started = time.monotonic()
    while any(process.alive() for process in processes):
        if time.monotonic() - started > timeout:
            alive = [f"{p.pid} ({p.rss_mb():.0f} MB)" for p in processes if p.alive()]
            raise AssertionError(f"the session's processes outlived it: {alive}")
        time.sleep(0.1)
    return time.monotonic() - started


class MemoryGuard:
    """Fails a test as soon as the server's sessions together hold more than `limit_mb`,
    instead of letting a runaway tutor take the machine (it did: 100 MB a second)."""

    def __init__(self, served: Served, limit_mb: float) -> None:
        self.served = served
        self.limit_mb = limit_mb
        self.peak_mb = 0.0

    def __call__(self) -> None:
        total = sum(process.rss_mb() for process in self.served.sessions())
        self.peak_mb = max(self.peak_mb, total)
        if total > self.limit_mb:
            for process in self.served.seen:
                process.kill()
            raise AssertionError(f"the session's tutor grew to {total:.0f} MB")


async def until(ws, expect: str | None, guard: Callable[[], None],
                timeout: float = TIMEOUT) -> tuple[str, bytes]:
    """Read the session until `expect` shows (None: until the server closes it), calling
    `guard` at least every quarter of a second; the screen's text and its raw bytes."""
    import aiohttp

    seen = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        guard()
        try:
            message = await ws.receive(timeout=0.25)
        except TimeoutError:
            continue
        if message.type == aiohttp.WSMsgType.BINARY:
            seen += message.data
            text = ANSI.sub(b"", seen).decode("utf-8", "replace")
            if expect is not None and expect in text:
                return text, seen
        elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED,
                              aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.ERROR):
            if expect is None:
                return ANSI.sub(b"", seen).decode("utf-8", "replace"), seen
            raise AssertionError(f"the session closed before {expect!r} showed")
    raise AssertionError(f"{expect or 'the close'!r} never came in {timeout} s; the session "
                         f"sent:\n{ANSI.sub(b'', seen).decode('utf-8', 'replace')[-1000:]}")


async def handshake(port: int, headers: dict[str, str]) -> tuple[int, str]:
    """A websocket handshake as a browser sends it: the status, and the body of a refusal.
    An accepted socket is dropped at once (which must end its session too)."""
    fields = {"Host": f"127.0.0.1:{port}", "Upgrade": "websocket", "Connection": "Upgrade",
              "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "13",
              **headers}
    request = "GET /ws?width=80&height=24 HTTP/1.1\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in fields.items()) + "\r\n"
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request.encode())
        async with asyncio.timeout(TIMEOUT):
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            status = int(head.split()[1])
            length = re.search(r"(?im)^content-length:\s*(\d+)", head)
            body = await reader.readexactly(int(length.group(1))) if length else b""
        return status, body.decode("utf-8", "replace")
    finally:
        writer.close()


def test_only_the_tutors_own_page_may_open_a_session(start_serve):
    served = start_serve("--public-url", "https://tutor.example.edu/")
    port = served.port
    refused = {
        "a page of another site": {"Origin": "http://evil.example"},
        "another local port's page": {"Origin": "http://127.0.0.1:1"},
        "a sandboxed page or a file": {"Origin": "null"},
        "DNS rebinding": {"Host": f"evil.example:{port}", "Origin": f"http://evil.example:{port}"},
    }
    answers = {case: asyncio.run(handshake(port, headers)) for case, headers in refused.items()}
    for case, (status, body) in answers.items():
        assert status == 403, case
        assert "chain-tutor: refused a session" in body, case
    assert "a page at http://evil.example:" in answers["a page of another site"][1]
    assert served.sessions() == []  # no tutor was started for any of them

    accepted = {
        "its own page": {"Origin": f"http://127.0.0.1:{port}"},
        "as localhost": {"Host": f"localhost:{port}", "Origin": f"http://localhost:{port}"},
        "through a tunnel": {"Host": "127.0.0.1:9000", "Origin": "http://127.0.0.1:9000"},
        "the --public-url": {"Origin": "https://tutor.example.edu"},
        "no browser (no Origin)": {},
    }
    for case, headers in accepted.items():
        assert asyncio.run(handshake(port, headers))[0] == 101, case
    # Each was dropped right after its handshake: every tutor they started ends.
    time.sleep(0.5)
    wait_gone(served.sessions(), ENDED + 5)


def test_a_huge_terminal_is_clamped_and_the_tutor_ends_with_its_socket(start_serve):
    import aiohttp

    served = start_serve()
    guard = MemoryGuard(served, limit_mb=400)

    async def session() -> list[Process]:
        url = f"http://127.0.0.1:{served.port}/ws?width=100000&height=100000"
        async with aiohttp.ClientSession() as client, client.ws_connect(url) as ws:
            _, first = await until(ws, "scalar-chain-rule", guard)
            processes = served.sessions()
            await ws.send_json(["resize", {"width": 100000, "height": 100000}])
            await ws.send_json(["resize", {"width": 1e300, "height": -5}])
            await ws.send_json(["resize", {"width": 100000, "height": "100000"}])
            with pytest.raises(AssertionError, match="never came"):
                await until(ws, None, guard, timeout=3)  # repaints, and holds its memory
        rows = [int(row) for row in re.findall(rb"\x1b\[(\d+);\d+H", first)]
        assert rows and max(rows) <= 200  # the screen it drew was 200 rows high at most
        return processes

    processes = asyncio.run(session())
    assert len(processes) == 1  # the tutor itself: no shell is left between
    wait_gone(processes)
    assert guard.peak_mb < 400


@pytest.mark.parametrize(("chunk", "codes"), [
    # Past the largest message aiohttp drops the connection at once: 1006, or 1009 if
    # its closing frame is read first.
    (100_000, {1006, 1009}),
    (2_000, {1008}),  # more input a second than the budget: a policy violation
], ids=["large messages", "small messages"])
def test_a_flood_of_keys_ends_the_session_and_its_tutor(start_serve, chunk, codes):
    import aiohttp

    served = start_serve()
    guard = MemoryGuard(served, limit_mb=250)

    async def flood() -> tuple[list[Process], int | None]:
        url = f"http://127.0.0.1:{served.port}/ws?width=100&height=30"
        async with aiohttp.ClientSession() as client, client.ws_connect(url) as ws:
            await until(ws, "scalar-chain-rule", guard)
            processes = served.sessions()
            # Read as a browser does while typing: the server's closing is seen at once.
            closed = asyncio.create_task(until(ws, None, guard, timeout=ENDED))
            with contextlib.suppress(ConnectionError):
                for _ in range(3_000_000 // chunk):  # 3 MB of keys
                    if closed.done():
                        break
                    await ws.send_json(["stdin", "a" * chunk])
                    await asyncio.sleep(0)
            await closed  # the server closes the socket
            return processes, ws.close_code

    processes, code = asyncio.run(flood())
    assert code in codes
    wait_gone(processes)
    assert guard.peak_mb < 250


@pytest.mark.parametrize("how", ["close", "drop", "not json", "not a list", "binary",
                                 "deep nesting", "busy then drop"])
def test_however_a_socket_ends_its_tutor_ends(start_serve, how):
    import aiohttp

    served = start_serve()
    guard = MemoryGuard(served, limit_mb=250)
    garbage = {"not json": "{{{", "not a list": '{"stdin": "q"}', "deep nesting": "[" * 50_000}

    async def session() -> list[Process]:
        url = f"http://127.0.0.1:{served.port}/ws?width=100&height=30"
        async with aiohttp.ClientSession() as client, client.ws_connect(url) as ws:
            await until(ws, "scalar-chain-rule", guard)
            processes = served.sessions()
            if how in garbage:
                await ws.send_str(garbage[how])
            elif how == "binary":
                await ws.send_bytes(b"\x00" * 10)
            elif how == "busy then drop":
                for _ in range(2):  # within the budget, but seconds of work for a tutor
                    await ws.send_json(["stdin", "\x1b[B" * 3000])
            if how in ("drop", "busy then drop"):
                ws._response.connection.transport.abort()  # no closing handshake
                return processes
            if how == "close":
                await ws.close()
                return processes
            await until(ws, None, guard, timeout=ENDED)
            assert ws.close_code == 1003  # unsupported data
            return processes

    processes = asyncio.run(session())
    wait_gone(processes)


def test_the_static_folder_is_not_listed(served):
    served.get()
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(served.url + "static/", timeout=5)
    assert refused.value.code in (403, 404)
    with urllib.request.urlopen(served.url + "static/js/textual.js", timeout=5) as script:
        assert script.status == 200  # the page's own files are still served


def test_sizes_are_clamped_to_whole_cells():
    from tutor.web.serve import MAX_HEIGHT, MAX_WIDTH, clamp_size

    assert clamp_size("100", "30") == (100, 30)
    assert clamp_size("100000", "100000") == (MAX_WIDTH, MAX_HEIGHT) == (500, 200)
    assert clamp_size(1e300, -5) == (MAX_WIDTH, 1)
    assert clamp_size(None, "2²") == (80, 24)
    assert clamp_size(True, float("nan")) == (80, 24)
    assert clamp_size("9" * 5000, [1]) == (80, 24)


def test_origins_are_compared_as_browsers_spell_them():
    from tutor.web.serve import OriginGate, origin_of

    assert origin_of("https://Tutor.Example.edu/path") == "https://tutor.example.edu:443"
    assert origin_of("http://[::1]:8000") == "http://::1:8000"
    assert origin_of("null") is None and origin_of("http://x:99999") is None
    gate = OriginGate.of("127.0.0.1", 8000, "https://tutor.example.edu")
    assert gate.refusal("http://127.0.0.1:8000", "127.0.0.1:8000") is None
    assert gate.refusal("https://tutor.example.edu:443", "tutor.example.edu") is None
    assert gate.refusal("http://evil.example", "127.0.0.1:8000") is not None
    # Listening on every address, the machine has names the tutor cannot know.
    everywhere = OriginGate.of("0.0.0.0", 8000)
    assert everywhere.refusal("http://lab-7:8000", "lab-7:8000") is None
    assert everywhere.refusal("http://evil.example", "lab-7:8000") is not None


def test_the_input_budget_allows_a_burst_then_a_rate():
    from tutor.web.serve import InputBudget

    now = [0.0]
    budget = InputBudget(burst=1000, rate=100, clock=lambda: now[0])
    assert budget.spend(1000)
    assert not budget.spend(1)
    now[0] += 10
    assert budget.spend(999) and not budget.spend(2)


def test_input_read_late_because_the_tutor_was_slow_is_not_a_flood():
    """The server reads nothing while it waits for a slow tutor, then reads at once what
    the client sent meanwhile; before, that ended a session sent keys within the budget."""
    from tutor.web.serve import InputBudget

    now = [0.0]
    budget = InputBudget(burst=1000, rate=100, clock=lambda: now[0])
    assert budget.spend(1000)
    now[0] += 30
    budget.waited(30)  # the client sent 3000 bytes meanwhile, at the rate
    assert budget.spend(3000)
    assert not budget.spend(1)  # and then it is the bucket again: empty



def test_a_hang_up_ends_the_server_and_its_sessions(start_serve):
    """Its terminal closing (SIGHUP) ends serve as Ctrl+C does, with the tutors it ran."""
    served = start_serve()

    async def open_then_hang_up() -> list[Process]:
        import aiohttp

        url = f"http://127.0.0.1:{served.port}/ws?width=100&height=30"
        async with aiohttp.ClientSession() as client, client.ws_connect(url) as ws:
            await until(ws, "scalar-chain-rule", lambda: None)
            processes = served.sessions()
            served.process.send_signal(signal.SIGHUP)
            await until(ws, None, lambda: None, timeout=ENDED)
            return processes

    processes = asyncio.run(open_then_hang_up())
    wait_gone(processes)
    assert served.process.wait(timeout=TIMEOUT) == 0


def test_a_tutor_under_the_web_driver_ends_when_its_server_is_gone(tmp_path):
    """`serve` killed with -9 leaves its tutors' input pipes closed: each tutor leaves."""
    env = {**os.environ, "TEXTUAL_DRIVER": "textual.drivers.web_driver:WebDriver",
           "CHAIN_TUTOR_DATA": str(tmp_path / "data"), "COLUMNS": "80", "LINES": "24"}
    process = subprocess.Popen([str(SCRIPT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, env=env)
    try:
        assert process.stdout.read1(1)  # it has started drawing
        threading.Thread(target=process.stdout.read, daemon=True).start()  # keep draining
        process.stdin.close()  # what the server's death does to the pipe
        assert process.wait(timeout=TIMEOUT) == 128 + signal.SIGHUP
    finally:
        process.kill()
        process.wait()


async def drain(ws, guard: Callable[[], None], done: asyncio.Event) -> None:
    """Read and drop what the session sends, as a browser draws it, until `done`."""
    while not done.is_set():
        guard()
        with contextlib.suppress(TimeoutError):
            await ws.receive(timeout=0.25)


def test_keys_within_the_budget_keep_the_tutor_small_and_answering(start_serve):
    """Before, keys sent under the budget (8 KiB/s) grew a tutor by 800 MB in 90 s: each
    key was queued whole and cost work in proportion to the text before it. Here 8 s of
    keys at 6 KiB/s (48,000 keys) go into an answer box; the tutor reads them no faster
    than it handles them, stays within 80 MB of its size before, and answers the next key."""
    import aiohttp

    served = start_serve()
    guard = MemoryGuard(served, limit_mb=600)

    async def session() -> tuple[float, float]:
        url = f"http://127.0.0.1:{served.port}/ws?width=100&height=30"
        async with aiohttp.ClientSession() as client, client.ws_connect(url) as ws:
            await until(ws, "scalar-chain-rule", guard)
            await ws.send_json(["stdin", "\r"])  # the first lesson: its intro
            await until(ws, "Start the steps", guard)
            await ws.send_json(["stdin", "\r"])
            await until(ws, "the factor, e.g.", guard)
            [tutor] = [p for p in served.sessions() if p.rss_mb() > 0][:1]
            before = tutor.rss_mb()
            done = asyncio.Event()
            reading = asyncio.create_task(drain(ws, guard, done))
            peak = before
            for _ in range(16):  # 8 s at 6 KiB a second, a key a byte
                await ws.send_json(["stdin", "a" * 3072])
                await asyncio.sleep(0.5)
                peak = max(peak, tutor.rss_mb())
            done.set()
            await reading
            await ws.send_json(["stdin", "\x15"])  # Ctrl+U: the box empties, the hint shows
            await until(ws, "Type the factor", lambda: None, timeout=120)
            return before, max(peak, tutor.rss_mb())

    before, peak = asyncio.run(session())
    assert peak - before < 80, f"the tutor grew from {before:.0f} MB to {peak:.0f} MB"



def test_every_tab_forks_its_proof_worker_from_the_servers_one_proof_service(start_serve):
    """sympy is loaded once for every tab: a tab's tutor forks no proof worker of its own;
    its template is a child of the proof service that serve started (a fork of serve,
    with serve's command line), which ends with serve."""
    import aiohttp

    served = start_serve()
    found: dict[str, list[int]] = {}

    def look() -> bool:
        service = [pid for pid in children(served.process.pid) if served.is_service(pid)]
        templates = [pid for pid in service for pid in children(pid)]
        found.update(service=service, templates=templates, tutors=[
            process.pid for process in served.sessions()
            if process.pid not in service + templates and "serve" not in cmdline(process.pid)
            and any("chain-tutor" in word or word == "tutor" for word in cmdline(process.pid))])
        return bool(templates and found["tutors"])

    async def session() -> None:
        url = f"http://127.0.0.1:{served.port}/ws?width=100&height=30"
        async with aiohttp.ClientSession() as client, client.ws_connect(url) as ws:
            await until(ws, "scalar-chain-rule", lambda: None)
            await ws.send_json(["stdin", "\r"])
            await until(ws, "Start the steps", lambda: None)
            await ws.send_json(["stdin", "\r"])
            await until(ws, "the factor, e.g.", lambda: None)  # proofs are warmed at open
            deadline = time.monotonic() + TIMEOUT
            while not look() and time.monotonic() < deadline:
                await asyncio.sleep(0.2)

    asyncio.run(session())
    assert len(found["service"]) == 1 and found["templates"], found
    assert found["tutors"] and all(children(pid) == [] for pid in found["tutors"]), found
    service = [Process(pid) for pid in found["service"]]
    code, stderr = served.stop()
    assert code == 0 and "Traceback" not in stderr
    wait_gone(service)
