"""`chain-tutor serve`: the real command, a real browser page and session, on loopback only.

Each test starts the server on a free port of 127.0.0.1 and talks to it from this
process, with bounded waits; the server is stopped as Ctrl+C stops it (SIGINT).
"""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tutor.serve import is_loopback, tutor_command

SCRIPT = Path(sys.executable).with_name("chain-tutor")
TIMEOUT = 30.0
ANSI = re.compile(rb"\x1b(\[[0-9;?$]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-_])")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Served:
    def __init__(self, process: subprocess.Popen, port: int) -> None:
        self.process = process
        self.port = port
        self.url = f"http://127.0.0.1:{port}/"

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
def served(tmp_path: Path) -> Iterator[Served]:
    if not SCRIPT.exists():
        pytest.skip(f"the chain-tutor script is not installed beside {sys.executable}")
    port = free_port()
    env = {**os.environ, "CHAIN_TUTOR_DATA": str(tmp_path / "data")}
    process = subprocess.Popen([SCRIPT, "serve", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        yield Served(process, port)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=TIMEOUT)


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


def test_the_static_folder_is_not_listed(served):
    served.get()
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(served.url + "static/", timeout=5)
    assert refused.value.code in (403, 404)
    with urllib.request.urlopen(served.url + "static/js/textual.js", timeout=5) as script:
        assert script.status == 200  # the page's own files are still served


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
