"""The tutor behind a real JupyterHub: a student logs in, the hub spawns their Jupyter
server, and the tutor at /user/NAME/chain-tutor/ checks their answer as that student.

The hub runs on loopback ports with the dummy authenticator, the simple local-process
spawner (every user's server as this account, its home in the test's folder) and the
Python implementation of configurable-http-proxy (PyPI's, not npm's). The client does
what a browser does: the login form, the spawn, the OAuth redirects, with cookies. The
idle culler's view (a service's token, its scopes) reads the server's last activity.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from local_ports import free_port, start_listening
from test_serve import Process, descendants, until, wait_gone

from tutor.seeds import seed_for

BIN = Path(sys.executable).parent
if not (BIN / "jupyterhub").exists() or not (BIN / "configurable-http-proxy").exists():
    pytest.skip("jupyterhub and configurable-http-proxy are not installed (the test extra)",
                allow_module_level=True)
pytest.importorskip("jupyter_server_proxy", reason="the test extra's jupyter-server-proxy")

TIMEOUT = 60.0
CULLER_TOKEN = "e2e-culler-token"
CONFIG = """
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {public}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api}"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = "classroom"
c.JupyterHub.spawner_class = "simple"
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.args = ["--allow-root"]
c.Spawner.start_timeout = 60
c.Spawner.environment = {{"CHAIN_TUTOR_DATA": {data!r}, "JUPYTERHUB_ACTIVITY_INTERVAL": "1"}}
c.SimpleLocalProcessSpawner.home_dir_template = {home!r} + "/{{username}}"
c.JupyterHub.db_url = "sqlite:///" + {folder!r} + "/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = {folder!r} + "/cookie_secret"
c.JupyterHub.pid_file = {folder!r} + "/jupyterhub.pid"
c.JupyterHub.services = [{{"name": "culler", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [{{"name": "culler", "services": ["culler"],
                            "scopes": ["list:users", "read:users:activity", "read:servers"]}}]
"""


@dataclass
class Hub:
    process: subprocess.Popen
    public: int
    data: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.public}"

    def everything(self) -> list[Process]:
        return descendants(self.process.pid)


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    public, api = free_port(), free_port()
    (tmp_path / "home").mkdir()

    def launch(port: int) -> subprocess.Popen:
        config = tmp_path / "jupyterhub_config.py"
        config.write_text(CONFIG.format(
            public=public, hub=port, api=api, proxy=str(BIN / "configurable-http-proxy"),
            singleuser=str(BIN / "jupyterhub-singleuser"), data=str(tmp_path / "data"),
            home=str(tmp_path / "home"), folder=str(tmp_path), token=CULLER_TOKEN))
        return subprocess.Popen([BIN / "jupyterhub", "-f", config], cwd=tmp_path,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=open(tmp_path / "hub.log", "w"))  # noqa: SIM115

    process, _ = start_listening(launch, TIMEOUT)
    server = Hub(process, public, tmp_path / "data")
    seen: list[Process] = []
    try:
        yield server
        seen = server.everything()
    finally:
        if process.poll() is None:
            process.terminate()  # the hub stops its proxy and its users' servers
            try:
                process.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        with contextlib.suppress(AssertionError):  # what is left is killed, below
            wait_gone([p for p in seen if p.alive()], timeout=5)
        for left in seen:
            left.kill()


async def log_in_and_answer(hub: Hub) -> tuple[str, str, str]:
    """As a browser: log in as alice, open the launcher's address once her server is up,
    answer the first step through the websocket. The page's websocket address, the
    culler's last activity of her server before the answer, and after."""
    import aiohttp

    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        async with browser.get(f"{hub.url}/hub/login") as response:
            xsrf = re.search(r'name="_xsrf" value="([^"]+)"', await response.text())
        assert xsrf, "the hub's login page has no form"
        async with browser.post(f"{hub.url}/hub/login", data={
                "username": "alice", "password": "classroom", "_xsrf": xsrf.group(1)}):
            pass  # the hub starts spawning her server
        deadline = time.monotonic() + TIMEOUT
        while True:  # the spawn, then the OAuth redirects between her server and the hub
            async with browser.get(f"{hub.url}/user/alice/chain-tutor/") as response:
                page = await response.text()
            if response.status == 200 and "session-websocket-url" in page:
                break
            assert time.monotonic() < deadline, f"no tutor page: {response.status} {page[:300]}"
            await asyncio.sleep(0.3)
        websocket = re.search(r'data-session-websocket-url="([^"]+)"', page).group(1)

        before = await last_activity(hub, browser)
        await asyncio.sleep(1.1)  # the answer's activity comes after `before`, by the clock
        url = f"ws://127.0.0.1:{hub.public}/user/alice/chain-tutor/ws?width=100&height=30"
        async with browser.ws_connect(url, headers={"Origin": hub.url}) as ws:
            nothing = lambda: None  # noqa: E731
            await ws.send_json(["resize", {"width": 100, "height": 30}])
            await until(ws, "scalar-chain-rule", nothing)
            await ws.send_json(["stdin", "\r"])
            await until(ws, "Start the steps", nothing)
            await ws.send_json(["stdin", "\r"])
            await until(ws, "the factor, e.g.", nothing)
            await ws.send_json(["stdin", "3"])
            await asyncio.sleep(0.5)
            await ws.send_json(["stdin", "\r"])
            await until(ws, "✓ Correct", nothing)
        after = before
        while after == before and time.monotonic() < deadline:  # reported every second
            await asyncio.sleep(0.5)
            after = await last_activity(hub, browser)
        return websocket, before, after


async def last_activity(hub: Hub, client) -> str:
    """alice's server's last activity, as the idle culler reads it (its token, its scopes)."""
    async with client.get(f"{hub.url}/hub/api/users/alice",
                          headers={"Authorization": f"token {CULLER_TOKEN}"}) as response:
        assert response.status == 200, await response.text()
        return (await response.json())["servers"][""]["last_activity"]


def test_a_student_logs_in_to_the_hub_and_the_tutor_checks_her_answer_as_hers(hub):
    websocket, before, after = asyncio.run(log_in_and_answer(hub))
    assert websocket == f"ws://127.0.0.1:{hub.public}/user/alice/chain-tutor/ws"

    import sqlite3

    with sqlite3.connect(hub.data / "progress.db") as db:
        [(owner,)] = db.execute("SELECT login FROM owner").fetchall()
        attempts = db.execute("SELECT step_id, answer, verdict, seed FROM attempts").fetchall()
    assert owner == "alice"  # the hub's user, whatever this account's name
    assert attempts == [("du_dx", "3", "correct", seed_for("alice"))]
    # What the culler reads moved with the session: a student at work is not culled.
    assert datetime.fromisoformat(after) > datetime.fromisoformat(before)
