"""`chain-tutor new` and `chain-tutor practice`: a network file (or a drawn network) made
into a lesson, written out for an instructor or opened in the tutor for a student.

Both read the network the same way and refuse a bad one the same way: its file, line
and column and what is wrong, exit status 2, before any screen opens.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from pathlib import Path

from tutor.cli.terminal import refuse_without_terminal
from tutor.exits import EXIT_INVALID


def _read_network(path: Path) -> str | None:
    from tutor.files import FileRefused, read_bounded
    from tutor.networks.reader import MAX_TEXT

    try:
        raw = read_bounded(path, 4 * MAX_TEXT,  # a limit in characters, checked after
                           f"larger than {4 * MAX_TEXT:,} bytes: a network file has at most "
                           f"{MAX_TEXT:,} characters")
        return raw.decode("utf-8")
    except FileRefused as error:
        print(f"chain-tutor: cannot read {path}: {error.reason}", file=sys.stderr)
    except UnicodeDecodeError as error:
        print(f"chain-tutor: cannot read {path}: not UTF-8 text ({error})", file=sys.stderr)
    return None


def _refused(where: str, message: str, line: int | None, column: int | None) -> int:
    """file:line:column: what is wrong (as compilers say it, so editors can jump there)."""
    if line is not None:
        where += f":{line}" + (f":{column}" if column else "")
    print(f"chain-tutor: {where}: {message}", file=sys.stderr)
    return EXIT_INVALID


def cmd_new(args) -> int:
    from tutor.lessons.stamps import stamped
    from tutor.lessons.writer import lesson_toml
    from tutor.networks.generator import generate
    from tutor.networks.reader import NetworkError, parse_network

    text = _read_network(args.network)
    if text is None:
        return EXIT_INVALID
    lesson_id = args.id or re.sub(r"[^a-z0-9]+", "-", args.network.stem.lower()).strip("-")
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", lesson_id or "-"):
        print(f"chain-tutor: the lesson id {lesson_id!r} must be lowercase letters, digits "
              "and -; give one with --id", file=sys.stderr)
        return EXIT_INVALID
    from tutor.networks.generator import TIME_LIMIT

    if args.time_limit is not None and not args.time_limit > 0:
        print("chain-tutor: --time-limit is a number of seconds above 0", file=sys.stderr)
        return EXIT_INVALID
    report = _Progress()
    try:
        lesson = generate(parse_network(text), lesson_id, symbolic_budget=args.budget,
                          progress=report,
                          time_limit=TIME_LIMIT if args.time_limit is None else args.time_limit)
    except NetworkError as error:
        report.end()
        return _refused(str(args.network), error.message, error.line, error.column)
    except Exception as error:  # noqa: BLE001 - a fault of ours: said with its type, no traceback
        from tutor.networks.draft import fault

        report.end()
        return _refused(str(args.network), fault(error), None, None)
    finally:
        from tutor.engine.bounded import stop_all

        stop_all()  # the proof worker, which would otherwise idle until this process ends
    report.end()
    written = stamped(lesson_toml(lesson))  # validated: `validate` need not repeat it
    if args.output is None:
        sys.stdout.write(written)
        return 0
    try:
        args.output.write_text(written, encoding="utf-8")
    except OSError as error:
        print(f"chain-tutor: cannot write {args.output}: {error}", file=sys.stderr)
        return 1
    print(f"Wrote {args.output}: {len(lesson.steps)} steps, validated.")
    return 0


class _Progress:
    """`new`'s "k of n factors checked" on stderr, once it has run longer than a moment:
    rewritten in place on a terminal, a line at a time (each PERIOD s) otherwise."""

    MOMENT = 1.0
    PERIOD = 5.0

    def __init__(self) -> None:
        import time

        self.clock = time.monotonic
        self.started = self.clock()
        self.shown: float | None = None  # when it was last written
        self.terminal = sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        now = self.clock()
        if now - self.started < self.MOMENT or (
                not self.terminal and self.shown is not None
                and now - self.shown < self.PERIOD and done < total):
            return
        said = f"chain-tutor: validating the lesson: {done} of {total} factors checked"
        if self.terminal:
            sys.stderr.write(f"\r{said}")
        else:
            sys.stderr.write(f"{said}\n")
        sys.stderr.flush()
        self.shown = now

    def end(self) -> None:
        if self.terminal and self.shown is not None:
            sys.stderr.write("\n")
            self.shown = None


def cmd_practice(args) -> int:
    from tutor.networks.draft import check_draft

    note = None
    if args.weakest:
        if args.network is not None or args.random:
            print("chain-tutor: --weakest draws its own random network: give it without "
                  f"{'a NETWORK_FILE' if args.network is not None else '--random'}",
                  file=sys.stderr)
            return EXIT_INVALID
        found = _weakest_network(args)
        if isinstance(found, int):
            return found
        args.seed, note = found
        print(note, file=sys.stderr if args.show else sys.stdout, flush=True)
    elif args.network is None and not args.random and args.seed is None:
        print("chain-tutor: practice needs a NETWORK_FILE, --random or --weakest",
              file=sys.stderr)
        return EXIT_INVALID
    if args.random or args.network is None:
        from tutor.networks.drawn import random_network

        seed = args.seed if args.seed is not None else random.randint(1, 99_999)
        text, where = random_network(seed), f"random network {seed}"
    else:
        if args.seed is not None:
            print("chain-tutor: --seed picks a random network, not a file's; give one or "
                  "the other", file=sys.stderr)
            return EXIT_INVALID
        text, where = _read_network(args.network), str(args.network)
        if text is None:
            return EXIT_INVALID
    check = check_draft(text)  # what cannot be asked is said here, before any screen
    if not check.ok:
        return _refused(where, check.error or "", check.line, check.column)
    if args.show:
        sys.stdout.write(text)
        return 0
    if refuse_without_terminal():
        return EXIT_INVALID
    from tutor.app.launch import run

    return run(argparse.Namespace(lesson=None, seed=None, lessons=args.lessons,
                                  data_dir=args.data_dir, database=args.database,
                                  budget=args.budget, network_text=text, note=note))


def _weakest_network(args) -> tuple[int, str] | int:
    """The seed of a random network that exercises the student's weakest skill, and the
    line that says so; or the exit status, its reason said."""
    from tutor.cli.skills import params_and_store
    from tutor.lessons.load import load_catalog
    from tutor.networks.drawn import SKILL_TRIES, UNDRAWN_SKILLS, network_for_skill
    from tutor.standing import student_mastery, weakest_skill

    opened = params_and_store(args)
    if isinstance(opened, int):
        return opened
    params, store = opened
    with store:
        states = student_mastery(store, load_catalog(args.lessons).lessons, params)
        if store.notice:  # moved aside, or a read that failed: traced from what was read
            print(f"chain-tutor: {store.notice}", file=sys.stderr)
    target = weakest_skill(states, set(states) - UNDRAWN_SKILLS)
    if target is None:  # every skill undrawable: only if the skills list changes
        print("chain-tutor: no random network exercises any skill", file=sys.stderr)
        return 1
    start = args.seed if args.seed is not None else random.randint(1, 99_999)
    seed = network_for_skill(target.skill, start)
    if seed is None:
        print(f"chain-tutor: none of random networks {start} to {start + SKILL_TRIES - 1} "
              f"exercises {target.skill}; try another --seed", file=sys.stderr)
        return 1
    return seed, (f"Practising {target.words()}: random network {seed} "
                  f"(chain-tutor practice --seed {seed} opens it again).")
