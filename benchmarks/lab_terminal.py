"""The lab's terminals: a tutor on a pseudo-terminal, its screen read as a student sees it.

A pty rather than tmux: tmux is one server process redrawing every pane, which at 200
sessions would be the busiest program in the lab and time itself, and reading a pane
means a process per capture-pane. Here each tutor writes to a pty whose other end this
process reads; escape sequences are taken out and the text searched for what a student
waits for (the step's box, the preview having read the answer, the verdict).
"""

from __future__ import annotations

import os
import re
import selectors
import struct
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

SCRIPT = Path(sys.executable).with_name("chain-tutor")  # the command as students run it
SIZE = (80, 24)
TOKEN_VARIABLE = "CHAIN_TUTOR_LAB"

INTRO = "Start the steps"
EMPTY_BOX = "Type the factor; Enter checks it"
READ = "the factor's shape"  # the preview under the box has read the answer
VERDICTS = ("✓ Correct", "✗ Not yet", "attempt counted")  # "…no attempt counted"
PROOF_WORDS = {"proved": r"proved\s+equal", "timed_out": r"timed\s+out",
               "undecided": r"could\s+not\s+decide"}
# CSI, OSC, DCS, then two-byte sequences; "[", "]" and "P" only begin the longer ones, so
# a CSI cut between two reads is held back, not taken for a complete ESC [.
ESCAPE = re.compile(rb"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)"
                    rb"|P[^\x1b]*\x1b\\|(?![\[\]P])[ -/]*[0-~])")



@dataclass(frozen=True)
class Scenario:
    """A lesson, the keys of the steps before the measured one, and its proved answer."""

    name: str
    lesson: str
    keys: tuple[str, ...]
    step: str
    answer: str
    extra_arguments: tuple[str, ...] = ()
    # The tutors fork their proof workers from one `chain-tutor proofs` (README, Labs),
    # not each from itself.
    service: bool = False


class Screen:
    """What a terminal has been sent, escape sequences taken out, searched from a mark on
    (the text after the last key sent), so a marker from an earlier screen never counts."""

    def __init__(self) -> None:
        self.text = b""
        self.mark = 0
        self._pending = b""

    def feed(self, data: bytes) -> None:
        data = self._pending + data
        cut = data.rfind(b"\x1b")
        if cut >= 0 and not ESCAPE.match(data, cut) and len(data) - cut < 256:
            data, self._pending = data[:cut], data[cut:]  # a sequence cut between reads
        else:
            self._pending = b""
        self.text += ESCAPE.sub(b"", data)
        if len(self.text) > 1 << 18:  # an idle screen redraws for ever: keep the tail
            drop = len(self.text) - (1 << 17)
            self.text, self.mark = self.text[drop:], max(0, self.mark - drop)

    def since_mark(self) -> str:
        return self.text[self.mark:].decode("utf-8", "replace")

    def shows(self, marker: str) -> bool:
        return marker.encode() in self.text[self.mark:]

    def tail(self, chars: int = 400) -> str:
        return " ".join(self.text[-4 * chars:].decode("utf-8", "replace").split())[-chars:]


@dataclass
class Session:
    """One student's tutor, driven through its steps by `advance`."""

    index: int
    process: subprocess.Popen
    master: int
    screen: Screen = field(default_factory=Screen)
    state: str = "intro"  # intro, box, read, verdict, then ready, sent, done; or failed
    step: int = 0
    sent_at: float = 0.0
    verdict_at: float = 0.0
    verdict: str = ""
    proof: str = ""

    def send(self, keys: str) -> None:
        self.screen.mark = len(self.screen.text)
        os.write(self.master, keys.encode())

    def advance(self, scenario: Scenario, now: float) -> None:
        """The next key when the screen shows what the last one was waiting for."""
        screen = self.screen
        answers = (*scenario.keys, scenario.answer)
        if self.state == "intro" and screen.shows(INTRO):
            self.state = "box"
            self.send("\r")
        elif self.state == "box" and screen.shows(EMPTY_BOX):
            self.state = "read"
            self.send(answers[self.step])
        elif self.state == "read" and screen.shows(READ):
            if self.step == len(scenario.keys):
                self.state = "ready"
            else:
                self.state = "verdict"
                self.send("\r")
        elif self.state == "verdict" and screen.shows(VERDICTS[0]):
            self.step += 1
            self.state = "box"
            self.send("\r")
        elif self.state == "sent" and not self.verdict:
            seen = next((v for v in VERDICTS if screen.shows(v)), None)
            if seen:
                self.verdict_at, self.verdict = now, seen
        if self.state == "sent" and self.verdict:
            self._read_proof(now)

    def _read_proof(self, now: float) -> None:
        if self.verdict != VERDICTS[0]:
            self.proof, self.state = "not_correct", "done"
            return
        text = self.screen.since_mark()
        self.proof = next((name for name, words in PROOF_WORDS.items()
                           if re.search(words, text)), "")
        if self.proof or "Enter: the" in text or now - self.verdict_at > 10:
            self.proof = self.proof or "unread"
            self.state = "done"


def read_ready(selector: selectors.BaseSelector, timeout: float) -> list[Session]:
    """Drain every terminal that has output (a tutor whose terminal is full would stop)."""
    touched = []
    for key, _ in selector.select(timeout):
        session = key.data
        try:
            data = os.read(session.master, 1 << 16)
        except (BlockingIOError, InterruptedError):
            continue
        except OSError:  # the tutor has gone: its terminal hung up
            data = b""
        if not data:
            selector.unregister(session.master)
            if session.state not in ("done", "failed"):
                session.state = "failed"
            continue
        session.screen.feed(data)
        touched.append(session)
    return touched


def spawn(scenario: Scenario, index: int, data: Path, token: str) -> Session:
    """`chain-tutor LESSON --seed K` on a new pseudo-terminal, its controlling terminal."""
    import fcntl
    import termios

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
    env = {**os.environ, "CHAIN_TUTOR_DATA": str(data), "TERM": "xterm-256color",
           TOKEN_VARIABLE: token}
    env.pop("TMUX", None)
    process = subprocess.Popen(
        [SCRIPT, scenario.lesson, "--seed", str(index + 1), *scenario.extra_arguments],
        stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
        preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0), close_fds=True)
    os.close(slave)
    os.set_blocking(master, False)
    return Session(index, process, master)
