"""The `chain-tutor` command (`python -m tutor`): the tutor by default, and subcommands.

* parser — every argument, declared in one place
* command — main: which subcommand runs, signals, the seed from the login name
* lessons — check, validate, lessons, show
* networks — new, practice
* progress — progress (print, export, import)
* instructor — report, seed, serve
* terminal — what opens a screen is refused, in one line, without a terminal

Each subcommand is thin: it calls the lessons, the networks, the progress store or the
report and formats what they return. Only `practice`, the tutor itself and `report --tui`
import the app (tutor.app), inside the function that opens it.
"""

from tutor.cli.command import main

__all__ = ["main"]
