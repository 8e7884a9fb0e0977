"""The tutor behind a real Jupyter server and jupyter-server-proxy, as a hub's user gets it.

Each test starts `jupyter server` on a free loopback port, with a token, the base URL a
JupyterHub gives its users (/user/alice/), JUPYTERHUB_USER=alice and its own HOME and
Jupyter folders; the proxy finds the tutor through its entry point, as in any install of
`chain-tutor[jupyter]`. What a browser does is done with aiohttp, through the proxy only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from local_ports import start_listening
from test_serve import Process, children, cmdline, descendants, handshake, until, wait_gone

# chromium is test_serve_browser.py's fixture: imported, pytest finds it here too.
from test_serve_browser import CATCH_TERMINAL, CHROMIUM, chromium  # noqa: F401

from tutor.seeds import seed_for
from tutor.web.serve import HEARTBEAT

pytest.importorskip("jupyter_server_proxy", reason="the test extra's jupyter-server-proxy")
if not any(point.name == "chain-tutor"
           for point in entry_points(group="jupyter_serverproxy_servers")):
    pytest.skip("chain-tutor is not installed with its entry point (pip install -e .)",
                allow_module_level=True)

TIMEOUT = 30.0
TOKEN = "e2e-jupyter-token"
BASE = "/user/alice/"


class _Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a redirect is the answer, as it is
        return None


NO_REDIRECTS = urllib.request.build_opener(_Stay)


@dataclass
class Jupyter:
    process: subprocess.Popen
    port: int
    data: Path

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}{BASE}"

    def get(self, path: str, headers: dict[str, str] | None = None,
            token: bool = True) -> tuple[int, dict[str, str], bytes]:
        asked = {"Authorization": f"token {TOKEN}"} if token else {}
        request = urllib.request.Request(self.root + path, headers={**asked, **(headers or {})})
        try:
            with NO_REDIRECTS.open(request, timeout=TIMEOUT) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def last_activity(self) -> datetime:
        return datetime.fromisoformat(json.loads(self.get("api/status")[2])["last_activity"])

    def tutor_server(self) -> tuple[int, int]:
        """The pid and port of the `serve` that the proxy started."""
        for pid in children(self.process.pid):
            words = cmdline(pid)
            if "serve" in words and "--port" in words:
                return pid, int(words[words.index("--port") + 1])
        raise AssertionError("the proxy started no chain-tutor serve")

    def everything(self) -> list[Process]:
        return descendants(self.process.pid)


@pytest.fixture
def jupyter(tmp_path: Path) -> Iterator[Jupyter]:
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTER_DATA_DIR": str(tmp_path / "share"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "CHAIN_TUTOR_DATA": str(tmp_path / "data"),
           # The hub's name for the user, and an account of another name (as in a
           # container where everyone is jovyan): the hub's name is the student.
           "JUPYTERHUB_USER": "alice", "LOGNAME": "jovyan", "USER": "jovyan"}

    def launch(port: int) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root",
             "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
             f"--IdentityProvider.token={TOKEN}", f"--ServerApp.base_url={BASE}",
             # as a hub's single-user server: the hub's own name reaches it
             "--ServerApp.allow_remote_access=True", f"--ServerApp.root_dir={tmp_path}"],
            env=env, cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(tmp_path / "jupyter.log", "w"))  # noqa: SIM115 - closed with it

    process, port = start_listening(launch, TIMEOUT)
    server = Jupyter(process, port, tmp_path / "data")
    seen: list[Process] = []
    try:
        yield server
        seen = server.everything()
    finally:
        if process.poll() is None:
            process.terminate()  # Jupyter's shutdown stops the servers it proxies
            try:
                process.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        try:
            wait_gone(seen)
        finally:
            for left in seen:
                left.kill()


async def answer_through_the_proxy(server: Jupyter) -> str:
    """A tab's session through the proxy: open the first lesson and answer its first step."""
    import aiohttp

    url = f"ws://127.0.0.1:{server.port}{BASE}chain-tutor/ws?width=100&height=30"
    headers = {"Authorization": f"token {TOKEN}", "Origin": f"http://127.0.0.1:{server.port}"}
    nothing = lambda: None  # noqa: E731
    async with aiohttp.ClientSession() as client, client.ws_connect(url, headers=headers) as ws:
        await ws.send_json(["resize", {"width": 100, "height": 30}])
        await until(ws, "scalar-chain-rule", nothing)
        await ws.send_json(["stdin", "\r"])  # the first lesson: its intro
        await until(ws, "Start the steps", nothing)
        await ws.send_json(["stdin", "\r"])
        await until(ws, "the factor, e.g.", nothing)
        await ws.send_json(["stdin", "3"])
        await asyncio.sleep(0.5)  # a key's action runs after the characters of its burst
        await ws.send_json(["stdin", "\r"])
        screen, _ = await until(ws, "✓ Correct", nothing)
        return screen


async def proxied_session(server: Jupyter, origin: str) -> str:
    """What a session through the proxy, opened by a page at `origin`, shows until it
    ends: with a token in the header (no browser's way), Jupyter checks no Origin, and
    accepts the socket before it asks the tutor for one."""
    import aiohttp

    url = f"ws://127.0.0.1:{server.port}{BASE}chain-tutor/ws?width=80&height=24"
    headers = {"Authorization": f"token {TOKEN}", "Origin": origin}
    async with aiohttp.ClientSession() as client, client.ws_connect(url, headers=headers) as ws:
        screen, _ = await until(ws, None, lambda: None, timeout=TIMEOUT)
        return screen


def test_a_hub_user_gets_the_launcher_and_a_tutor_whose_answers_are_theirs(jupyter):
    # The launcher entry, with its icon, as JupyterLab's launcher reads it.
    status, _, body = jupyter.get("server-proxy/servers-info")
    assert status == 200
    [entry] = [s for s in json.loads(body)["server_processes"] if s["name"] == "chain-tutor"]
    assert entry["launcher_entry"]["title"] == "Chain tutor"
    assert entry["launcher_entry"]["path_info"] == "chain-tutor/"
    status, headers, icon = jupyter.get(entry["launcher_entry"]["icon_url"][len(BASE):])
    assert status == 200 and b"<svg" in icon and "svg" in headers["Content-Type"]

    # The page, under the proxy's prefix: its scripts and websocket there too.
    before = jupyter.last_activity()
    started = time.monotonic()
    status, _, page = jupyter.get("chain-tutor/")
    assert status == 200, page[:500]
    text = page.decode()
    prefix = f"127.0.0.1:{jupyter.port}{BASE}chain-tutor/"
    assert f'data-session-websocket-url="ws://{prefix}ws"' in text
    assert f'src="http://{prefix}static/js/textual.js"' in text
    status, _, script = jupyter.get("chain-tutor/static/js/textual.js")
    assert status == 200 and b"WebSocket" in script
    first_page = time.monotonic() - started

    screen = asyncio.run(answer_through_the_proxy(jupyter))
    assert "Correct" in screen

    # The student is the hub's user: the login recorded, and that login's seed.
    with sqlite3.connect(jupyter.data / "progress.db") as db:
        [(owner,)] = db.execute("SELECT login FROM owner").fetchall()
        attempts = db.execute("SELECT step_id, answer, verdict, seed FROM attempts").fetchall()
    assert owner == "alice"
    assert attempts == [("du_dx", "3", "correct", seed_for("alice"))]
    # The session counted as the user's activity, which the hub's culler reads.
    assert jupyter.last_activity() > before
    assert first_page < 15, f"the first page took {first_page:.1f} s (serve starting)"


def test_a_tab_left_open_and_unused_is_no_activity(jupyter):
    """The hub's culler may stop a server whose only tab sits idle: once the screen is
    still, nothing through the proxy counts as the user's activity (serve's keep-alive
    pings, every 15 s, did, for as long as the tab stayed open)."""
    import aiohttp

    url = f"ws://127.0.0.1:{jupyter.port}{BASE}chain-tutor/ws?width=100&height=30"
    headers = {"Authorization": f"token {TOKEN}", "Origin": f"http://127.0.0.1:{jupyter.port}"}

    async def idle_tab() -> tuple[datetime, datetime]:
        async with aiohttp.ClientSession() as client, \
                client.ws_connect(url, headers=headers) as ws:
            await until(ws, "scalar-chain-rule", lambda: None)  # the picker, which is still
            quiet = time.monotonic()
            while time.monotonic() - quiet < 1.0:  # until a second passes with no output
                with contextlib.suppress(TimeoutError):
                    if (await ws.receive(timeout=0.25)).type == aiohttp.WSMsgType.BINARY:
                        quiet = time.monotonic()
            still = jupyter.last_activity()
            ends = time.monotonic() + HEARTBEAT + 2  # past the first ping serve would send
            while time.monotonic() < ends:
                with contextlib.suppress(TimeoutError):
                    message = await ws.receive(timeout=0.5)
                    assert message.type in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT)
            return still, jupyter.last_activity()

    still, later = asyncio.run(idle_tab())
    assert later == still


def test_the_tutor_answers_only_through_its_jupyter_server(jupyter):
    status, headers, _ = jupyter.get("chain-tutor/", token=False)
    assert status == 302 and "/login" in headers["Location"]  # Jupyter's own login first

    # Behind the hub's HTTPS name, the page's websocket is there (wss), not on loopback.
    status, _, page = jupyter.get("chain-tutor/", {"Host": "hub.example.org",
                                                   "X-Forwarded-Proto": "https,http"})
    assert status == 200
    assert 'data-session-websocket-url="wss://hub.example.org/user/alice/chain-tutor/ws"' \
        in page.decode()

    # The tutor's own port, on loopback where every account of the machine reaches it,
    # answers nothing that did not come through Jupyter: no page, no session.
    _, port = jupyter.tutor_server()
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=TIMEOUT)
        raise AssertionError("the tutor's port served its page directly")
    except urllib.error.HTTPError as error:
        assert error.code == 403
        assert "through its Jupyter server" in error.read().decode()
    status, body = asyncio.run(handshake(port, {"Origin": f"http://127.0.0.1:{port}"}))
    assert status == 403 and "through its Jupyter server" in body

    # A page of another site gets no session through the proxy either.
    assert asyncio.run(proxied_session(jupyter, "http://evil.example")) == ""


@pytest.mark.skipif(CHROMIUM is None, reason="not installed: chromium (.ci/run installs it)")
def test_the_launchers_address_runs_the_tutor_in_a_real_browser(jupyter, chromium):  # noqa: F811
    """The page's own script opens its websocket through the proxy, under the prefix, with
    the Jupyter login's cookie (the token in the address, as a launcher link has none)."""
    chromium.page("Page.addScriptToEvaluateOnNewDocument", source=CATCH_TERMINAL)
    chromium.page("Page.navigate", url=f"{jupyter.root}chain-tutor/?token={TOKEN}")
    picker = chromium.wait_for("The chain rule, one link at a time")
    assert "Choose a lesson" in picker
    chromium.evaluate("document.querySelector('.xterm-helper-textarea').focus()")
    chromium.press_enter()
    assert "Choose a lesson" not in chromium.wait_for("Before any matrices")
