"""`chain-tutor serve` under many connections (issue 24, item 5).

With the usual open-file limit, 1,100 idle TCP connections killed the server: asyncio
could not accept, its log handler could not open the file it needed to print the
traceback, and the server exited, serving no one. Here the real command runs with a
low limit (256 open files, set for its process only), the test floods it from other
loopback addresses (127.0.0.0/8 is all this machine), and a browser's GET and session
from 127.0.0.1 must still work, with no traceback in anything the server wrote.

The test's own processes only: servers on ports the system picks, data in tmp_path,
sessions found as the server's descendants (test_serve.py's fixtures' way).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from local_ports import start_listening
from test_serve import SCRIPT, TIMEOUT, Served, read_screen, wait_gone

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="rlimits, 127.0.0.0/8, /proc")
FLOOD = 1100
SERVER_FILES = 256


class Limited(Served):
    """A server whose output goes to files (a pipe nobody reads would fill and block it)."""

    def __init__(self, process: subprocess.Popen, port: int, log: Path) -> None:
        super().__init__(process, port)
        self.log = log

    def written(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> tuple[int, str]:
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=TIMEOUT)
        return self.process.returncode, self.written()


@pytest.fixture
def start_limited(tmp_path: Path) -> Iterator[Callable[..., Limited]]:
    if not SCRIPT.exists():
        pytest.skip(f"the chain-tutor script is not installed beside {sys.executable}")
    started: list[Limited] = []

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (SERVER_FILES, SERVER_FILES))

    def start(*options: str) -> Limited:
        def launch(port: int) -> subprocess.Popen:
            with open(tmp_path / f"serve-{port}.log", "w") as output:
                return subprocess.Popen(
                    [SCRIPT, "serve", "--port", str(port), *options], preexec_fn=limit,
                    env={**os.environ, "CHAIN_TUTOR_DATA": str(tmp_path / "data")},
                    stdin=subprocess.DEVNULL, stdout=output, stderr=output)

        process, port = start_listening(launch, TIMEOUT)
        served = Limited(process, port, tmp_path / f"serve-{port}.log")
        started.append(served)
        served.get()
        return served

    yield start
    for served in started:
        served.sessions()
        if served.process.poll() is None:
            served.process.kill()
            served.process.wait(timeout=TIMEOUT)
        for process in served.seen:
            process.kill()


@pytest.fixture(autouse=True)
def enough_files_for_the_flood() -> Iterator[None]:
    """This test process holds the flood's sockets: its own soft limit is raised."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = FLOOD + 200
    if hard != resource.RLIM_INFINITY and hard < wanted:
        pytest.skip(f"this process may open only {hard} files, the flood needs {wanted}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


async def flood(port: int, sources: list[str], count: int = FLOOD) -> list:
    """`count` idle connections, from `sources` in turn; the ones that opened (a refused
    one may have opened and been closed, with its 503 waiting to be read)."""
    async def one(index: int):
        with contextlib.suppress(OSError, TimeoutError):
            async with asyncio.timeout(10):
                return await asyncio.open_connection(
                    "127.0.0.1", port, local_addr=(sources[index % len(sources)], 0))
        return None

    opened = []
    for start in range(0, count, 100):  # in waves, as the kernel's backlog takes them
        opened += [c for c in await asyncio.gather(*map(one, range(start, start + 100))) if c]
    return opened


async def answers(connections: list, most: int = 50) -> list[str]:
    """What the server said, unasked, on up to `most` of the connections."""
    said = []
    for reader, _ in connections[:most]:
        with contextlib.suppress(OSError, TimeoutError):
            said.append((await asyncio.wait_for(reader.read(4096), 0.2)).decode("utf-8",
                                                                                 "replace"))
    return said


def close_all(connections: list) -> None:
    for _, writer in connections:
        writer.close()


def page(served: Served) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(served.url, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")
    except OSError:  # not answered (yet): refused, reset or timed out
        return 0, ""


def assert_no_traceback(served: Limited) -> None:
    written = served.written()
    assert "Traceback" not in written and "Too many open files:" not in written, written[-3000:]


def test_a_flood_from_one_address_leaves_the_server_serving_the_others(start_limited):
    served = start_limited()

    async def during() -> tuple[list[str], int, str, str]:
        held = await flood(served.port, ["127.0.0.2"])
        try:
            said = await answers(held[-50:])
            status, text = await asyncio.to_thread(page, served)
            screen = await read_screen(served.port, "scalar-chain-rule")
            return said, status, text, screen
        finally:
            close_all(held)

    said, status, text, screen = asyncio.run(during())
    assert status == 200 and "textual.js" in text
    assert "Choose a lesson" in screen
    assert any("503" in answer and "too many connections from your address" in answer
               for answer in said), said
    assert served.process.poll() is None
    assert served.stop()[0] == 0
    assert_no_traceback(served)


def test_a_flood_from_many_addresses_is_turned_away_and_timed_out(start_limited):
    served = start_limited()
    sources = [f"127.0.{n // 250 + 1}.{n % 250 + 1}" for n in range(300)]

    async def during() -> tuple[list[str], int, str, int, str, str]:
        held = await flood(served.port, sources)
        try:
            said = await answers(held[-50:])
            full_status, full_text = await asyncio.to_thread(page, served)
            # The idle ones are closed after 10 s; the server is anyone's again.
            deadline = time.monotonic() + TIMEOUT
            while True:
                status, text = await asyncio.to_thread(page, served)
                if status == 200 or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.5)
            screen = await read_screen(served.port, "scalar-chain-rule")
            return said, full_status, full_text, status, text, screen
        finally:
            close_all(held)

    said, full_status, full_text, status, text, screen = asyncio.run(during())
    assert any("the lab is full" in answer for answer in said), said
    assert full_status == 503 and "the lab is full" in full_text
    assert status == 200 and "Choose a lesson" in screen
    assert served.stop()[0] == 0
    assert_no_traceback(served)


def open_files(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_running_out_of_files_is_one_line_and_the_server_comes_back(start_limited):
    """Files can run out whatever the plan (another program's share, a leak): the
    server's limit is cut under it while it runs, then given back."""
    served = start_limited()
    pid = served.process.pid
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (open_files(pid) + 2, SERVER_FILES))

    async def short() -> None:
        close_all(await flood(served.port, ["127.0.0.3", "127.0.0.4"], count=200))

    asyncio.run(short())
    assert served.process.poll() is None
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (SERVER_FILES, SERVER_FILES))
    deadline = time.monotonic() + TIMEOUT
    while page(served)[0] != 200:
        assert time.monotonic() < deadline, "the server never served again"
        time.sleep(0.5)
    assert "Choose a lesson" in asyncio.run(read_screen(served.port, "scalar-chain-rule"))
    assert served.stop()[0] == 0
    assert "cannot accept a connection" in served.written()
    assert_no_traceback(served)


def test_past_max_sessions_a_page_says_the_lab_is_full(start_limited):
    import aiohttp

    served = start_limited("--max-sessions", "1")

    async def two_tabs() -> tuple[int, str, int]:
        url = f"http://127.0.0.1:{served.port}/ws?width=100&height=30"
        async with aiohttp.ClientSession() as client:
            async with client.ws_connect(url) as ws:
                async with asyncio.timeout(TIMEOUT):
                    async for message in ws:  # the first tab's tutor is running
                        if message.type == aiohttp.WSMsgType.BINARY:
                            break
                status, text = await asyncio.to_thread(page, served)
                with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                    await client.ws_connect(url)
            return status, text, refused.value.status

    status, text, ws_status = asyncio.run(two_tabs())
    assert status == 503 and ws_status == 503
    assert "the lab is full: 1 session is open; try again in a minute" in text
    wait_gone(served.sessions())
    deadline = time.monotonic() + TIMEOUT
    while page(served)[0] != 200:  # the first tab has closed: room again
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert served.stop()[0] == 0
    assert_no_traceback(served)
