"""No terminal, no tutor: what opens a screen first asks whether there is one to open.

A lab's accounts run the tutor as SSH's ForceCommand, whatever the client asked for. So
`ssh HOST cmd`, `ssh -T HOST`, `scp` and `sftp` start it too, with pipes where the
terminal would be. Textual drew its screen into the pipe, read end-of-file from its input
at 35 % of a core, and lived on with parent 1 after the client had gone. Refused here,
before Textual, the lessons or a proof worker are loaded, the login ends at once with a
line that says how to connect.

Textual reads keys from stdin and draws on stderr, so those two must be terminals;
stdout is not used by the screen (`chain-tutor > log` works). A driver named in
TEXTUAL_DRIVER (the web driver of `chain-tutor serve`, which relays the screen over pipes to a
browser) brings its own screen, and is left to it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

SCREEN_FDS = (0, 2)  # Textual's input (stdin) and its screen (stderr)


def _is_terminal(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:  # a closed descriptor
        return False


def terminal_refusal(environ: Mapping[str, str] | None = None) -> str | None:
    """Why the tutor's screen cannot open here, in one line for a person; None if it can."""
    environ = os.environ if environ is None else environ
    if environ.get("TEXTUAL_DRIVER") or all(_is_terminal(fd) for fd in SCREEN_FDS):
        return None
    if "SSH_CONNECTION" in environ:  # most likely the ForceCommand: only the tutor runs
        return ("chain-tutor needs a terminal, and this SSH login has none: connect with "
                "`ssh -t HOST` (a command after HOST, ssh -T, scp and sftp get none)")
    return ("chain-tutor needs a terminal, and its input or screen (stderr) is not one: "
            "run it in a terminal, or over SSH with `ssh -t HOST`; check, show, lessons "
            "and progress need none")


def refuse_without_terminal() -> bool:
    """True, after saying why on stderr, when no screen can open."""
    refusal = terminal_refusal()
    if refusal is None:
        return False
    try:
        print(refusal, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass  # the client has gone already: nobody to tell
    return True
