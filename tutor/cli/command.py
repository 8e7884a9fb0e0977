"""The `chain-tutor` command: the TUI by default, and subcommands that need no screen.

Thin on purpose: every subcommand (tutor.cli.lessons, .networks, .progress,
.instructor) calls the engine, the lessons or the progress store and formats what they
return; the arguments each takes are declared in one place, tutor.cli.parser. A
subcommand's module is imported when it runs: the tutor itself (no subcommand) is on
its way to a first screen, and needs none of them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from importlib import import_module

from tutor.cli.parser import SUBCOMMANDS, build_app_parser, build_parser
from tutor.cli.terminal import refuse_without_terminal
from tutor.exits import EXIT_INVALID


def main(argv: Sequence[str] | None = None) -> int:
    args_list = _subcommand_first(list(sys.argv[1:] if argv is None else argv))
    try:
        if args_list and args_list[0] in SUBCOMMANDS:
            _exit_on_signals()
            args = build_parser().parse_args(args_list)
            _warn_lesson_dirs(args)
            if not _seed_from_user(args):
                if args.command == "check" and args.json:
                    from tutor.cli.lessons import invalid_json

                    return invalid_json(args, "cannot tell your login name")
                return EXIT_INVALID
            return subcommand(args.command)(args)
        args = build_app_parser().parse_args(args_list)
        _warn_lesson_dirs(args)
        if not _seed_from_user(args):
            return EXIT_INVALID
        return run_app(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


def _subcommand_first(args: list[str]) -> list[str]:
    """Options given before a subcommand, moved after it: `chain-tutor --lessons DIR
    lessons` is `chain-tutor lessons --lessons DIR` ("options everywhere"). The
    subcommand's parser then takes them, or says which it does not take (exit 2)."""
    if not args or not args[0].startswith("-"):
        return args
    takes_value = {option for action in build_app_parser()._actions
                   for option in action.option_strings if action.nargs != 0}
    i = 0
    while i < len(args) and args[i].startswith("-") and args[i] != "--":
        i += 2 if args[i] in takes_value else 1  # "--lessons=DIR" is one argument
    if i < len(args) and args[i] in SUBCOMMANDS:
        return [args[i], *args[:i], *args[i + 1:]]
    return args


def _warn_lesson_dirs(args) -> None:
    """A warning for each lesson folder named that adds nothing; the command goes on."""
    from tutor.lessons.index import lesson_dir_problems

    for problem in lesson_dir_problems(getattr(args, "lessons", [])):
        from tutor.markup import printable

        print(f"chain-tutor: warning: {printable(problem)}", file=sys.stderr)


def _exit_on_signals() -> None:
    """SIGTERM and SIGHUP end a subcommand as SystemExit, so that its `finally` blocks run
    (a running proof's process is killed there, not left to its own alarm)."""
    import signal

    def leave(signum, _frame):
        raise SystemExit(128 + signum)

    for signum in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if signum is not None:
            signal.signal(signum, leave)


def _seed_from_user(args) -> bool:
    """Turn --seed-from-user into args.seed; False (after saying why) without a login."""
    if not getattr(args, "seed_from_user", False):
        return True
    from tutor.seeds import LoginError, current_login, seed_for

    try:
        args.seed = seed_for(current_login())
    except LoginError as error:
        print(f"chain-tutor: {error}", file=sys.stderr)
        return False
    return True


def run_app(args) -> int:
    if refuse_without_terminal():
        return EXIT_INVALID
    from tutor.engine.early import fork_proof_template

    fork_proof_template()  # before the app loads: the proof worker holds none of its memory
    from tutor.app.launch import run

    return run(args)


COMMANDS = {  # subcommand: the module of tutor.cli whose cmd_<subcommand> runs it
    "check": "lessons",
    "validate": "lessons",
    "lessons": "lessons",
    "show": "lessons",
    "new": "networks",
    "practice": "networks",
    "progress": "progress",
    "skills": "skills",
    "report": "instructor",
    "seed": "instructor",
    "serve": "instructor",
    "proofs": "instructor",
    "course": "course",
    "db": "database",
}


def subcommand(name: str) -> Callable[[object], int]:
    """The function that runs subcommand ``name``, its module imported now."""
    return getattr(import_module(f"tutor.cli.{COMMANDS[name]}"), f"cmd_{name}")
