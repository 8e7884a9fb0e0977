"""The `chain-tutor` command: the TUI by default, and subcommands that need no screen.

Thin on purpose: every subcommand calls the engine, the lessons or the progress
store and formats what they return.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from tutor.cli_networks import add_network_commands, cmd_new, cmd_practice
from tutor.cli_progress import cmd_progress
from tutor.exits import EXIT_CORRECT, EXIT_INCORRECT, EXIT_INTERNAL, EXIT_INVALID
from tutor.markup import printable

SUBCOMMANDS = ("check", "validate", "lessons", "show", "new", "practice", "progress", "report",
               "seed", "serve")


def _common(parser: argparse.ArgumentParser) -> None:
    _lessons_option(parser)
    parser.add_argument("--data-dir", type=Path, default=None, metavar="DIR",
                        help="where progress is kept (default: the user data folder; also "
                             "CHAIN_TUTOR_DATA)")


def _lessons_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lessons", action="append", default=[], metavar="DIR", type=Path,
                        help="an extra folder of lesson files (repeatable); also "
                             "CHAIN_TUTOR_LESSONS")


def _seed_options(parser: argparse.ArgumentParser, seed_help: str | None = None) -> None:
    choice = parser.add_mutually_exclusive_group()
    from tutor.seeds import seed_argument

    choice.add_argument("--seed", type=seed_argument, default=None, help=seed_help)
    choice.add_argument("--seed-from-user", action="store_true",
                        help="the seed that belongs to your login name (see `chain-tutor "
                             "seed`), so each student of a class gets their own numbers")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chain-tutor",
        description="Learn the chain rule for matrix derivatives, one factor at a time. "
                    "Without a subcommand, opens the tutor.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="check one answer for one step")
    check.add_argument("lesson")
    check.add_argument("step")
    check.add_argument("answer", nargs="+", help="the answer (put it after -- if it starts "
                                                 "with -)")
    _seed_options(check)
    check.add_argument("--json", action="store_true")
    check.add_argument("--budget", type=float, default=1.0, help="seconds for the symbolic "
                                                                 "proof (default 1)")
    _common(check)

    validate = sub.add_parser("validate", help="verify lesson files' answer keys")
    validate.add_argument("paths", nargs="*", type=Path)
    validate.add_argument("--budget", type=float, default=10.0,
                          help="seconds for each step's symbolic check (default 10); past "
                               "it the check is skipped and said so")
    validate.add_argument("--again", action="store_true",
                          help="check a lesson `new` stamped as validated, unchanged, too")
    _common(validate)

    lessons = sub.add_parser("lessons", help="list the lessons and their steps")
    lessons.add_argument("--json", action="store_true")
    _common(lessons)

    show = sub.add_parser("show", help="print a lesson and one variant's numbers")
    show.add_argument("lesson")
    _seed_options(show)
    show.add_argument("--json", action="store_true")
    show.add_argument("--answers", action="store_true",
                      help="the answer sheet: each step's key and its value at the variant")
    _common(show)

    add_network_commands(sub)

    progress = sub.add_parser("progress", help="print, export or import your progress")
    action = progress.add_mutually_exclusive_group()
    action.add_argument("--json", action="store_true")
    action.add_argument("--export", metavar="FILE",
                        help="write all your progress to one JSON file (- for stdout)")
    action.add_argument("--import", dest="import_file", metavar="FILE",
                        help="merge an exported file into your progress (- for stdin); "
                             "importing it again adds nothing")
    _common(progress)

    report = sub.add_parser(
        "report", help="a class's results per step, from progress databases and exports",
        description="Read progress databases (read-only) and exported progress files, and "
                    "print per lesson and step how many students solved, revealed or gave "
                    "up, median attempts and time, and the most common wrong answers.",
    )
    report.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                        help="a progress.db, an exported .json file, or a folder searched for "
                             "both")
    form = report.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true")
    form.add_argument("--csv", action="store_true", help="one row per lesson and step")
    form.add_argument("--tui", action="store_true",
                      help="a screen with a heat map of lessons × steps; pick a step for "
                           "its details")
    report.add_argument("--by-student", action="store_true",
                        help="name an export's student by its \"student\" field (files "
                             "with the same one count as one student), not by its path")
    report.add_argument("--top", type=int, default=3, metavar="N",
                        help="how many common wrong answers per step (default 3)")
    _lessons_option(report)

    seed = sub.add_parser("seed", help="the seed --seed-from-user gives a login name",
                          description="Print the variant seed of each login name (yours "
                                      "without one), as --seed-from-user derives it.")
    seed.add_argument("users", nargs="*", metavar="USER")

    serve = sub.add_parser(
        "serve", help="the tutor in a web browser (no authentication: loopback by default)",
        description="Serve the tutor as a web page: each browser tab runs its own tutor, as "
                    "this account. There is no login: keep the default loopback address and "
                    "reach it through an SSH tunnel (ssh -L 8000:127.0.0.1:8000 SERVER), or "
                    "put a reverse proxy that asks for one in front. Ctrl+C stops it.",
    )
    serve.add_argument("--host", default="127.0.0.1",
                       help="the address to listen on (default 127.0.0.1, this machine only)")
    serve.add_argument("--port", type=int, default=8000, help="default 8000")
    serve.add_argument("--public-url", default=None, metavar="URL",
                       help="the address browsers use to reach this server, for a proxy "
                            "with HTTPS (default: the address each browser asked for)")
    serve.add_argument("--seed-from-user", action="store_true",
                       help="each tutor's seed from this account's login name")
    _common(serve)
    return parser


def build_app_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chain-tutor",
        description="Learn the chain rule for matrix derivatives, one factor at a time. "
                    f"Subcommands: {', '.join(SUBCOMMANDS)} (chain-tutor COMMAND --help).",
    )
    parser.add_argument("lesson", nargs="?", help="open this lesson directly")
    _seed_options(parser, seed_help="the variant's numbers")
    parser.add_argument("--budget", type=float, default=1.0, metavar="SECONDS",
                        help="seconds for each answer's symbolic proof, a hard limit "
                             "(default 1); past it the verdict is numeric")
    _common(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        if args_list and args_list[0] in SUBCOMMANDS:
            _exit_on_signals()
            args = build_parser().parse_args(args_list)
            _warn_lesson_dirs(args)
            if not _seed_from_user(args):
                if args.command == "check" and args.json:
                    return _invalid_json(args, "cannot tell your login name")
                return EXIT_INVALID
            return COMMANDS[args.command](args)
        args = build_app_parser().parse_args(args_list)
        _warn_lesson_dirs(args)
        if not _seed_from_user(args):
            return EXIT_INVALID
        return run_app(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


def _warn_lesson_dirs(args) -> None:
    """A warning for each lesson folder named that adds nothing; the command goes on."""
    from tutor.lesson_index import lesson_dir_problems

    for problem in lesson_dir_problems(getattr(args, "lessons", [])):
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


def _catalog(args):
    from tutor.lessons import load_catalog

    return load_catalog(args.lessons)


def _lesson(args):
    from tutor.lessons import LessonError

    try:
        return _catalog(args).get(args.lesson)
    except LessonError as error:
        own = _own_network_lesson(args)
        if isinstance(own, str):
            print(f"chain-tutor: {own}", file=sys.stderr)
            return None
        if own is not None:
            return own
        print(f"chain-tutor: {error}", file=sys.stderr)
        return None


def _own_network_lesson(args):
    """A network saved with your progress (net-…, as `progress` lists it), made again;
    None if there is no such network, or why its lesson could not be made (a str)."""
    if not args.lesson.startswith("net-"):
        return None
    from tutor.network import NetworkError
    from tutor.own_network import make_lesson
    from tutor.progress import ProgressStore

    with ProgressStore.open(args.data_dir) as store:
        if store.notice:  # moved aside, or left alone: why the network may not be found
            print(f"chain-tutor: {store.notice}", file=sys.stderr)
        saved = next((n for n in store.networks() if n.lesson_id == args.lesson), None)
    if saved is None:
        return None
    try:
        return make_lesson(saved.text, 0.0)  # finite differences: it was validated when saved
    except NetworkError as error:  # make_lesson says an unforeseen fault as one too
        return f"the saved network {args.lesson} could not be built: {error}"


def cmd_check(args) -> int:
    from tutor.lessons import DEFAULT_SEED, LessonError

    lesson = _lesson(args)
    if lesson is None:
        return _invalid_json(args, "unknown lesson") if args.json else EXIT_INVALID
    try:
        step = lesson.step(args.step)
    except LessonError as error:
        print(f"chain-tutor: {error.message}", file=sys.stderr)
        return _invalid_json(args, error.message) if args.json else EXIT_INVALID
    seed = args.seed if args.seed is not None else DEFAULT_SEED
    text = " ".join(args.answer)
    try:
        verdict = lesson.check(step.id, text, seed, symbolic_budget=args.budget)
    except Exception as error:  # noqa: BLE001 - a crash must never read as "incorrect"
        return _internal_error(args, error)
    if args.json:
        print(json.dumps(verdict.to_json() | {"lesson": lesson.id, "step": step.id,
                                              "seed": seed}, ensure_ascii=False))
    else:
        print(_plain_feedback(verdict.feedback, step))
        if verdict.diagnosis:
            print(f"[{', '.join(verdict.diagnosis)}]")
    return {"correct": EXIT_CORRECT, "incorrect": EXIT_INCORRECT}.get(verdict.verdict,
                                                                      EXIT_INVALID)


def _plain_feedback(feedback: str, step) -> str:
    """A known mistake's feedback without the author's Markdown marks; the engine's own
    words, and the student's answer it may quote, exactly as they are."""
    from tutor.markup import plain_text

    for mistake in step.mistakes:
        if feedback.startswith(mistake.feedback):
            return plain_text(mistake.feedback) + feedback[len(mistake.feedback):]
    return feedback


def _internal_error(args, error: Exception) -> int:
    message = (f"internal error while checking ({type(error).__name__}: {error}); this is a "
               "fault of chain-tutor, not a verdict on your answer")
    print(f"chain-tutor: {message}", file=sys.stderr)
    if args.json:
        print(json.dumps({"verdict": "error", "feedback": message, "diagnosis": [],
                          "checks": {"numeric": None, "symbolic": None}}, ensure_ascii=False))
    return EXIT_INTERNAL


def _invalid_json(args, message: str) -> int:
    print(json.dumps({"verdict": "invalid", "feedback": message, "diagnosis": [],
                      "checks": {"numeric": None, "symbolic": None}}))
    return EXIT_INVALID


def cmd_validate(args) -> int:
    from tutor.lessons import lesson_dirs
    from tutor.validation import named_files, validate_paths

    paths = args.paths or lesson_dirs(args.lessons)
    findings = validate_paths(paths, args.budget, again=args.again)
    for finding in findings:
        print(finding)
    count = len(named_files(paths))
    errors = sum(1 for f in findings if f.error)
    if errors:
        print(f"{errors} error(s) in {count} lesson file(s).")
        return 1
    print(f"All {count} lesson file(s) valid: every key matches the forward pass.")
    return 0


def cmd_lessons(args) -> int:
    catalog = _catalog(args)
    if args.json:
        print(json.dumps({
            "lessons": [_lesson_json(lesson) for lesson in catalog.lessons],
            "broken": [{"path": str(b.path), "error": str(b.error)} for b in catalog.broken],
        }, ensure_ascii=False, indent=2))
        return 0
    for number, lesson in enumerate(catalog.lessons, start=1):
        print(f"{number:2}. {lesson.id} — {printable(lesson.title)}")
        for step in lesson.steps:
            print(f"      {step.id:<12} {step.label:<12} {step.shape[0]}×{step.shape[1]}")
    for broken in catalog.broken:
        print(f"  ✗ {broken.path.name}: {broken.error.message}")
    return 0


def _lesson_json(lesson) -> dict:
    return {
        "id": lesson.id,
        "title": lesson.title,
        "steps": [
            {"id": s.id, "of": s.of, "wrt": s.wrt, "factor": s.label, "shape": list(s.shape)}
            for s in lesson.steps
        ],
    }


def cmd_show(args) -> int:
    from tutor.lessons import DEFAULT_SEED
    from tutor.markup import plain_text

    lesson = _lesson(args)
    if lesson is None:
        return EXIT_INVALID
    seed = args.seed if args.seed is not None else DEFAULT_SEED
    variant = lesson.variant(seed)
    if args.answers:
        return _answers(lesson, variant, args.json)
    if args.json:
        print(json.dumps(_lesson_json(lesson) | {
            "seed": seed,
            "intro": lesson.intro,
            "definitions": lesson.definitions,
            "quantities": {n: list(q.shape) for n, q in lesson.quantities.items()},
            "values": {name: value.tolist() for name, value in variant.values.items()},
        }, ensure_ascii=False, indent=2))
        return 0
    # The JSON keeps the intro's Markdown for whoever renders it; a terminal gets text.
    print(f"{printable(plain_text(lesson.title))}  [{lesson.id}, seed {seed}]\n")
    print(plain_text(lesson.intro).strip(), "\n")
    for name, text in lesson.definitions.items():
        print(f"  {name} = {text}")
    print("\nValues:")
    for name, value in variant.values.items():
        rows = _rows(value)
        print(f"  {name} ({value.shape[0]}×{value.shape[1]}) = [{rows}]")
    print("\nSteps:")
    for step in lesson.steps:
        print(f"  {step.id}: {step.label} ({step.shape[0]}×{step.shape[1]}) — "
              f"{plain_text(step.prompt)}")
    return 0


def _rows(value) -> str:
    """A matrix as the screen writes its numbers, rows apart by ';': [1 0.3; 0.7 0]."""
    from tutor.engine.numbers import four_figures

    return "; ".join(" ".join(four_figures(v) for v in row) for row in value)


def _answers(lesson, variant, as_json: bool) -> int:
    """The instructors' answer sheet: every step's key and its numbers at this variant."""
    from tutor.engine import evaluate

    rows = [(step, evaluate(lesson.factors[step.id].expected, variant.values))
            for step in lesson.steps]
    if as_json:
        print(json.dumps({"id": lesson.id, "seed": variant.seed, "answers": [
            {"id": step.id, "factor": step.label, "shape": list(step.shape), "answer": step.answer,
             "composes": step.composes, "value": value.tolist()} for step, value in rows]},
            ensure_ascii=False, indent=2))
        return 0
    print(f"{printable(lesson.title)}  [{lesson.id}, seed {variant.seed}]: answers\n")
    for step, value in rows:
        numbers = _rows(value)
        print(f"{step.id}: {step.label} ({step.shape[0]}×{step.shape[1]})\n  = {step.answer}")
        if step.composes:
            print(f"  = {step.composes}")
        print(f"  = [{numbers}]")
    return 0


def cmd_report(args) -> int:
    from tutor.lesson_index import read_index
    from tutor.progress import left_out
    from tutor.report import (
        build_report,
        format_csv,
        format_text,
        load_sources,
        report_json,
    )

    if args.top < 0:
        print("chain-tutor: --top must be 0 or more", file=sys.stderr)
        return EXIT_INVALID
    sources, skipped = load_sources(args.paths, by_student=args.by_student)
    for item in skipped:
        # A file's name and the reason (which may quote the file) are the student's text.
        print(f"chain-tutor: skipped {printable(str(item.path))}: {printable(item.reason)}",
              file=sys.stderr)
    for source in sources:  # an export's bad entries are left out, not the whole file
        for line in left_out(printable(str(source.path)), source.snapshot.skipped):
            print(f"chain-tutor: {line}", file=sys.stderr)
    if not sources:
        # Bad input, as everywhere: the files given, not the tutor, are at fault.
        print("chain-tutor: no progress database or export could be read", file=sys.stderr)
        return EXIT_INVALID
    report = build_report(sources, read_index(args.lessons), skipped, top=args.top)
    if args.tui:
        from tutor.app.report_app import run_report

        return run_report(report)
    if args.json:
        print(json.dumps(report_json(report), ensure_ascii=False, indent=2))
    elif args.csv:
        sys.stdout.write(format_csv(report))
    else:
        print(format_text(report))
    return 0


def cmd_seed(args) -> int:
    from tutor.seeds import LoginError, current_login, seed_for

    try:
        users = args.users or [current_login()]
        seeds = [(user, seed_for(user)) for user in users]
    except LoginError as error:
        print(f"chain-tutor: {error}", file=sys.stderr)
        return EXIT_INVALID
    if len(seeds) == 1:
        print(seeds[0][1])
    else:
        for user, seed in seeds:
            print(f"{user}\t{seed}")
    return 0


def cmd_serve(args) -> int:
    from tutor.serve import ServeError, exposure_warning, is_loopback, serve, tutor_command

    if not is_loopback(args.host):
        print(exposure_warning(args.host, args.port), file=sys.stderr)
    command = tutor_command(args.lessons, args.data_dir, seed_from_user=args.seed_from_user)
    try:
        serve(command, args.host, args.port, public_url=args.public_url)
    except ServeError as error:
        print(f"chain-tutor: {error}", file=sys.stderr)
        return 1
    return 0


def run_app(args) -> int:
    from tutor.app.app import run

    return run(args)


COMMANDS = {
    "check": cmd_check,
    "validate": cmd_validate,
    "lessons": cmd_lessons,
    "show": cmd_show,
    "new": cmd_new,
    "practice": cmd_practice,
    "progress": cmd_progress,
    "report": cmd_report,
    "seed": cmd_seed,
    "serve": cmd_serve,
}
