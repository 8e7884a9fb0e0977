"""Memory per browser session of `chain-tutor serve`, and how long a closed tab's tutor lives.

`python benchmarks/serve.py [--sessions N]` starts the real command on a free loopback
port, opens N sessions one after another as a browser tab does (the websocket, 100×30),
waits until each shows the picker and its memory has settled (the tutor loads the
lessons and starts its proof worker in the background after its first screen), then
reads every process of every session from /proc: resident memory (RSS) and the
proportional share (PSS), which counts a page shared by several processes once in all.
A tab's proof worker is a child of the proof service serve starts, not of its tutor:
`tab_pss_mb` is every process serve started (service, tutors, workers) over the tabs.
Then it closes the sockets and times until the last session's processes are gone.
Prints one JSON object.

`--keys SECONDS` first sends the first session's answer box a stream of keys just under
the server's input budget (KEY_RATE bytes a second, a key a byte) for that long, and
adds the tutor's RSS before and after, and how long it took to answer the next key
(Ctrl+U) once the stream stopped. Before the tutor read its keys no faster than it
handled them, 90 s of this grew a tutor from 64 MB to 877 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCRIPT = Path(sys.executable).with_name("chain-tutor")
SIZE = (100, 30)
MARKER = b"scalar-chain-rule"
SETTLE_SECONDS = 30.0
KEY_RATE = 7 * 1024  # bytes a second: the server's budget is 8 KiB/s


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children(pid: int) -> list[int]:
    """Direct children of `pid`, from /proc (each is one session's process)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def command_line(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def tabs(serve_pid: int) -> set[int]:
    """serve's children that are a tab's tutor: not its proof service (a fork of serve,
    with serve's command line, whose children are the tabs' proof workers)."""
    own = command_line(serve_pid)
    return {pid for pid in children(serve_pid) if command_line(pid) != own}


def descendants(pid: int) -> list[int]:
    tree, todo = [], [pid]
    while todo:
        kids = children(todo.pop())
        tree += kids
        todo += kids
    return tree


def memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in kB; (0, 0) once it is gone."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0, 0
    fields = {line.split(":")[0]: int(line.split()[1]) for line in rollup.splitlines()[1:]
              if line.split()[1].isdigit()}
    return fields.get("Rss", 0), fields.get("Pss", 0)


def session_memory(session: int) -> dict:
    """The session whose first process is `session`: processes, RSS and PSS in MB."""
    pids = [session, *descendants(session)]
    sizes = [memory_kb(pid) for pid in pids]
    return {"processes": len(pids), "rss_mb": sum(rss for rss, _ in sizes) / 1024,
            "pss_mb": sum(pss for _, pss in sizes) / 1024}


async def open_session(port: int, serve_pid: int, known: set[int]):
    """A websocket whose tutor has drawn the picker, and that tutor's pid."""
    import aiohttp  # installed with textual-serve

    client = aiohttp.ClientSession()
    url = f"http://127.0.0.1:{port}/ws?width={SIZE[0]}&height={SIZE[1]}"
    ws = await client.ws_connect(url)
    seen = b""
    async with asyncio.timeout(60):
        async for message in ws:
            if message.type == aiohttp.WSMsgType.BINARY:
                seen = seen[-len(MARKER):] + message.data
                if MARKER in seen:
                    break
    (pid,) = tabs(serve_pid) - known
    # Keep reading, as a browser does, so the tutor is never blocked on its output.
    reader = asyncio.create_task(_drain(ws))
    return client, ws, reader, pid


async def _drain(ws) -> None:
    async for _ in ws:
        pass


async def key_stream(ws, pid: int, seconds: float) -> dict:
    """Into the first lesson's answer box, KEY_RATE keys a second for `seconds`."""
    import aiohttp

    tail = [b""]

    async def read() -> None:
        async for message in ws:
            if message.type == aiohttp.WSMsgType.BINARY:
                tail[0] = (tail[0] + message.data)[-65536:]

    async def shows(text: bytes, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while text not in tail[0]:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{text!r} did not show")
            await asyncio.sleep(0.1)

    reader = asyncio.create_task(read())
    try:
        for marker in (b"Start the steps", b"the factor, e.g."):  # the intro, the box
            tail[0] = b""
            await ws.send_json(["stdin", "\r"])
            await shows(marker, 60)
        before = session_memory(pid)["rss_mb"]
        chunk = KEY_RATE // 4
        started = time.monotonic()
        sent = 0
        while time.monotonic() - started < seconds:
            if ws.closed:
                raise RuntimeError(f"the server closed the session: {ws.close_code} "
                                   f"after {sent} keys in {time.monotonic() - started:.0f} s")
            await ws.send_json(["stdin", "a" * chunk])
            sent += chunk
            await asyncio.sleep(max(0.0, started + sent / KEY_RATE - time.monotonic()))
        after = session_memory(pid)["rss_mb"]
        stopped = time.monotonic()
        tail[0] = b""
        await ws.send_json(["stdin", "\x15"])  # Ctrl+U: the hint comes back
        await shows(b"Type the factor", 600)
        answered = time.monotonic() - stopped
    finally:
        reader.cancel()
    return {"keys_s": seconds, "keys_sent": sent, "keys_rss_before_mb": before,
            "keys_rss_after_mb": after, "keys_answered_after_s": answered}


async def settle(serve_pid: int) -> None:
    """Until the memory of everything serve started (tutors, their proof workers in
    the proof service) has not moved by more than 1 MB for two seconds."""
    deadline = time.monotonic() + SETTLE_SECONDS
    last, still_since = -1.0, time.monotonic()
    while time.monotonic() < deadline:
        now = sum(memory_kb(pid)[0] for pid in descendants(serve_pid)) / 1024
        if abs(now - last) > 1:
            last, still_since = now, time.monotonic()
        elif time.monotonic() - still_since >= 2:
            return
        await asyncio.sleep(0.25)


async def measure(sessions: int, keys: float = 0.0) -> dict:
    port = free_port()
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "CHAIN_TUTOR_DATA": data}
        serve = subprocess.Popen([SCRIPT, "serve", "--port", str(port)], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        opened, pids = [], []
        try:
            await _wait_listening(port)
            for _ in range(sessions):
                client, ws, reader, pid = await open_session(port, serve.pid, set(pids))
                opened.append((client, ws, reader))
                pids.append(pid)
                await settle(serve.pid)
            figures = [session_memory(pid) for pid in pids]
            # A tab's proof worker is the proof service's child, not the tutor's: what a
            # tab costs is everything serve started (the service, every tutor and every
            # worker), shared out over the tabs.
            tab_pss_mb = sum(memory_kb(pid)[1] for pid in descendants(serve.pid)) / 1024 / sessions
            streamed = {}
            if keys:
                client, ws, reader = opened[0]
                reader.cancel()
                streamed = await key_stream(ws, pids[0], keys)
            every_process = [p for pid in pids for p in (pid, *descendants(pid))]
            started = time.monotonic()
            for client, ws, reader in opened:
                await ws.close()
                reader.cancel()
                await client.close()
            while any(Path(f"/proc/{p}").exists() and not _zombie(p) for p in every_process):
                if time.monotonic() - started > 60:
                    break
                await asyncio.sleep(0.05)
            ended = time.monotonic() - started
            serve_rss = memory_kb(serve.pid)[0] / 1024
        finally:
            serve.send_signal(signal.SIGINT)
            try:
                serve.wait(timeout=30)
            except subprocess.TimeoutExpired:
                serve.kill()
                serve.wait()
    return {
        "sessions": sessions,
        "processes_per_session": statistics.median(f["processes"] for f in figures),
        "session_rss_mb": statistics.median(f["rss_mb"] for f in figures),
        "session_pss_mb": statistics.median(f["pss_mb"] for f in figures),
        "tab_pss_mb": tab_pss_mb,
        "server_rss_mb": serve_rss,
        "closed_sessions_gone_s": ended,
        **streamed,
    }


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


async def _wait_listening(port: int) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)
        else:
            writer.close()
            return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=3)
    parser.add_argument("--keys", type=float, default=0.0, metavar="SECONDS",
                        help="also stream keys just under the input budget for SECONDS")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.sessions, args.keys))))


if __name__ == "__main__":
    main()
