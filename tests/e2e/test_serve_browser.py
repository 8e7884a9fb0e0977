"""`chain-tutor serve` in a real browser: Debian's chromium, headless, opens the page.

The test starts the real server on a free port of 127.0.0.1 (test_serve.py's fixture)
and a headless chromium with a fresh profile in a temporary folder, which it drives over
the DevTools protocol on a pipe (--remote-debugging-pipe: JSON messages ended by a NUL
byte, chromium reading fd 3 and writing fd 4), so no debugging port is opened at all.

The page draws the terminal with xterm.js on a canvas, so its text is not in the DOM.
textual-serve's script keeps its xterm `Terminal` in `this.terminal` of an object no
global names; a script run before the page's own catches that assignment and keeps the
Terminal, whose buffer holds exactly the characters the canvas shows. Keys are typed as
a person types them: key events sent to the browser, into xterm's focused input.

chromium is kept off every network but loopback: no name resolves except 127.0.0.1
(the page's request for Google Fonts fails at once), and no background fetch, update,
sync or QUIC is started. It is stopped, with every process it started, at the end.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

# start_serve is test_serve.py's fixture: imported, pytest finds it here too.
from test_serve import ENDED, Served, start_serve, wait_gone  # noqa: F401

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="not installed: chromium (.ci/run installs it; locally: apt-get install chromium)",
)
TIMEOUT = 20.0  # seconds for any one thing the browser or the tutor is waited for
BUDGET = 45.0  # seconds for all of them together, from the browser's start
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-default-browser-check", "--disable-extensions", "--mute-audio",
    "--disable-dev-shm-usage", "--window-size=1200,800",
    # Only the loopback address resolves: nothing is fetched from anywhere else.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--remote-debugging-pipe",
]
# Run before the page's scripts: keeps the xterm Terminal that textual.js assigns to
# `this.terminal`, then takes itself away.
CATCH_TERMINAL = """
Object.defineProperty(Object.prototype, "terminal", {
  configurable: true,
  get() { return undefined; },
  set(value) {
    Object.defineProperty(this, "terminal",
      {value, writable: true, enumerable: true, configurable: true});
    if (value && value.buffer && value.buffer.active && value.rows) {
      window.chainTutorTerminal = value;
      delete Object.prototype.terminal;
    }
  },
});
"""
# The characters the terminal shows, one line per row; null before there is a terminal.
SCREEN = """(() => {
  const terminal = window.chainTutorTerminal;
  if (!terminal) return null;
  const buffer = terminal.buffer.active, rows = [];
  for (let y = 0; y < terminal.rows; y++) {
    const line = buffer.getLine(buffer.viewportY + y);
    rows.push(line ? line.translateToString(true) : "");
  }
  return rows.join("\\n");
})()"""


class DevTools:
    """A DevTools protocol client on chromium's pipe; every wait is bounded."""

    def __init__(self, to_browser: int, from_browser: int) -> None:
        self.to_browser = to_browser
        self.from_browser = from_browser
        self.buffer = b""
        self.last_id = 0
        self.deadline = time.monotonic() + BUDGET

    def timeout(self, seconds: float = TIMEOUT) -> float:
        """`seconds`, or what is left of the test's BUDGET if that is less."""
        return max(0.0, min(seconds, self.deadline - time.monotonic()))

    def call(self, method: str, session: str | None = None, **params) -> dict:
        self.last_id += 1
        message = {"id": self.last_id, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout()
        while True:
            reply = self._receive(deadline, method)
            if reply.get("id") == self.last_id:  # anything else is an event: not needed
                if "error" in reply:
                    raise AssertionError(f"chromium refused {method}: {reply['error']}")
                return reply["result"]

    def _receive(self, deadline: float, method: str) -> dict:
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"chromium did not answer {method} in time")
            if select.select([self.from_browser], [], [], left)[0]:
                chunk = os.read(self.from_browser, 1 << 16)
                if not chunk:
                    raise AssertionError(f"chromium closed its DevTools pipe during {method}")
                self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)


class Browser:
    """One headless chromium, and one page in it."""

    def __init__(self, process: subprocess.Popen, devtools: DevTools, session: str) -> None:
        self.process = process
        self.devtools = devtools
        self.session = session  # the page's DevTools session

    def page(self, method: str, **params) -> dict:
        return self.devtools.call(method, self.session, **params)

    def evaluate(self, expression: str):
        result = self.page("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"the page could not run {expression[:60]!r}: "
                                 f"{result['exceptionDetails']}")
        return result["result"].get("value")

    def screen(self) -> str:
        return self.evaluate(SCREEN) or ""

    def wait_for(self, text: str) -> str:
        """The screen once it shows `text` (polled); AssertionError after TIMEOUT."""
        timeout = self.devtools.timeout()
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if text in screen:
                return screen
            if time.monotonic() > deadline:
                found = "no terminal" if self.evaluate(SCREEN) is None else "the screen"
                raise AssertionError(f"{text!r} did not show in {timeout:.0f} s; {found}:\n"
                                     f"{screen}")
            time.sleep(0.1)

    def press_enter(self) -> None:
        """Enter, pressed and released as a keyboard does, into the focused element."""
        key = {"key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13,
               "nativeVirtualKeyCode": 13}
        self.page("Input.dispatchKeyEvent", type="keyDown", text="\r", **key)
        self.page("Input.dispatchKeyEvent", type="keyUp", **key)

    def shows(self, selector: str) -> bool:
        """Whether the page displays the element (its dialogs are hidden by display)."""
        return self.evaluate(
            f"getComputedStyle(document.querySelector({json.dumps(selector)})).display"
        ) != "none"

    def close(self) -> int:
        """Close the browser as its window's close does; its exit status."""
        with contextlib.suppress(AssertionError):  # it may exit before it answers
            self.devtools.call("Browser.close")
        return self.process.wait(timeout=self.devtools.timeout())


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[Browser]:
    """A headless chromium with a fresh profile and one blank page; at the end, it and
    every process it started are gone."""
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    to_browser_read, to_browser = os.pipe()
    from_browser, from_browser_write = os.pipe()
    # Above fd 4, so that placing one end at 3 or 4 in the child never overwrites the other.
    for fd in (to_browser_read, from_browser_write):
        high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 5)
        os.close(fd)
        if fd == to_browser_read:
            to_browser_read = high
        else:
            from_browser_write = high

    def give_the_pipes() -> None:  # in the child: fds 3 and 4, as chromium expects them
        os.dup2(to_browser_read, 3)
        os.dup2(from_browser_write, 4)

    with (tmp_path / "chromium.log").open("wb") as log:
        process = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, close_fds=False,
            preexec_fn=give_the_pipes, start_new_session=True)
    os.close(to_browser_read)
    os.close(from_browser_write)
    try:
        devtools = DevTools(to_browser, from_browser)
        pages = [target for target in devtools.call("Target.getTargets")["targetInfos"]
                 if target["type"] == "page"]
        target = pages[0]["targetId"] if pages else devtools.call(
            "Target.createTarget", url="about:blank")["targetId"]
        session = devtools.call("Target.attachToTarget", targetId=target,
                                flatten=True)["sessionId"]
        devtools.call("Page.enable", session)  # else scripts for new documents never run
        yield Browser(process, devtools, session)
    finally:
        # Its own process group (start_new_session): the browser and its helpers.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=TIMEOUT)
        os.close(to_browser)
        os.close(from_browser)


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def test_a_student_gets_the_tutor_in_a_real_browser(start_serve, chromium):  # noqa: F811
    served: Served = start_serve(wait=False)
    served.get(timeout=chromium.devtools.timeout())
    chromium.page("Page.addScriptToEvaluateOnNewDocument", source=CATCH_TERMINAL)
    chromium.page("Page.navigate", url=served.url)

    # The lesson picker, drawn by a tutor on the server into the page's terminal.
    picker = chromium.wait_for("The chain rule, one link at a time")
    assert "Choose a lesson" in picker
    sessions = served.sessions()
    tutors = [p for p in sessions if _parent(p.pid) == served.process.pid]
    assert len(tutors) == 1  # the page's session: one tutor (its proof worker is the service's)
    # The page's own dialogs are gone: neither its "starting" one nor "Session ended."
    assert not chromium.shows(".intro-dialog") and not chromium.shows(".closed-dialog")

    # Enter, typed in the browser, opens the first lesson.
    chromium.evaluate("document.querySelector('.xterm-helper-textarea').focus()")
    chromium.press_enter()
    lesson = chromium.wait_for("Before any matrices")
    assert "Choose a lesson" not in lesson

    # Closing the browser ends the session's tutor.
    chromium.close()
    wait_gone(sessions, chromium.devtools.timeout(ENDED))
    # and its proof worker (forked by serve's proof service when the tutor warmed up)
    wait_gone(served.sessions(), chromium.devtools.timeout(ENDED))
    assert served.sessions() == []
