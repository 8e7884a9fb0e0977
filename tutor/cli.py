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

EXIT_CORRECT, EXIT_INCORRECT, EXIT_INVALID = 0, 1, 2
SUBCOMMANDS = ("check", "validate", "lessons", "show", "progress")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lessons", action="append", default=[], metavar="DIR", type=Path,
                        help="an extra folder of lesson files (repeatable); also "
                             "CHAIN_TUTOR_LESSONS")
    parser.add_argument("--data-dir", type=Path, default=None, metavar="DIR",
                        help="where progress is kept (default: the user data folder; also "
                             "CHAIN_TUTOR_DATA)")


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
    check.add_argument("--seed", type=int, default=None)
    check.add_argument("--json", action="store_true")
    check.add_argument("--budget", type=float, default=1.0, help="seconds for the symbolic "
                                                                 "proof (default 1)")
    _common(check)

    validate = sub.add_parser("validate", help="verify lesson files' answer keys")
    validate.add_argument("paths", nargs="*", type=Path)
    _common(validate)

    lessons = sub.add_parser("lessons", help="list the lessons and their steps")
    lessons.add_argument("--json", action="store_true")
    _common(lessons)

    show = sub.add_parser("show", help="print a lesson and one variant's numbers")
    show.add_argument("lesson")
    show.add_argument("--seed", type=int, default=None)
    show.add_argument("--json", action="store_true")
    _common(show)

    progress = sub.add_parser("progress", help="print your progress")
    progress.add_argument("--json", action="store_true")
    _common(progress)
    return parser


def build_app_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chain-tutor",
        description="Learn the chain rule for matrix derivatives, one factor at a time. "
                    f"Subcommands: {', '.join(SUBCOMMANDS)} (chain-tutor COMMAND --help).",
    )
    parser.add_argument("lesson", nargs="?", help="open this lesson directly")
    parser.add_argument("--seed", type=int, default=None, help="the variant's numbers")
    _common(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        if args_list and args_list[0] in SUBCOMMANDS:
            args = build_parser().parse_args(args_list)
            return COMMANDS[args.command](args)
        args = build_app_parser().parse_args(args_list)
        return run_app(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


def _catalog(args):
    from tutor.lessons import load_catalog

    return load_catalog(args.lessons)


def _lesson(args):
    from tutor.lessons import LessonError

    try:
        return _catalog(args).get(args.lesson)
    except LessonError as error:
        print(f"chain-tutor: {error}", file=sys.stderr)
        return None


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
    verdict = lesson.check(step.id, text, seed, symbolic_budget=args.budget)
    if args.json:
        print(json.dumps(verdict.to_json() | {"lesson": lesson.id, "step": step.id,
                                              "seed": seed}, ensure_ascii=False))
    else:
        print(verdict.feedback)
        if verdict.diagnosis:
            print(f"[{', '.join(verdict.diagnosis)}]")
    return {"correct": EXIT_CORRECT, "incorrect": EXIT_INCORRECT}.get(verdict.verdict,
                                                                      EXIT_INVALID)


def _invalid_json(args, message: str) -> int:
    print(json.dumps({"verdict": "invalid", "feedback": message, "diagnosis": [],
                      "checks": {"numeric": None, "symbolic": None}}))
    return EXIT_INVALID


def cmd_validate(args) -> int:
    from tutor.lessons import lesson_dirs, lesson_files, validate_paths

    paths = args.paths or lesson_dirs(args.lessons)
    findings = validate_paths(paths)
    for finding in findings:
        print(finding)
    count = len(lesson_files(Path(p) for p in paths))
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
        print(f"{number:2}. {lesson.id} — {lesson.title}")
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

    lesson = _lesson(args)
    if lesson is None:
        return EXIT_INVALID
    seed = args.seed if args.seed is not None else DEFAULT_SEED
    variant = lesson.variant(seed)
    if args.json:
        print(json.dumps(_lesson_json(lesson) | {
            "seed": seed,
            "intro": lesson.intro,
            "definitions": lesson.definitions,
            "quantities": {n: list(q.shape) for n, q in lesson.quantities.items()},
            "values": {name: value.tolist() for name, value in variant.values.items()},
        }, ensure_ascii=False, indent=2))
        return 0
    print(f"{lesson.title}  [{lesson.id}, seed {seed}]\n")
    print(lesson.intro.strip(), "\n")
    for name, text in lesson.definitions.items():
        print(f"  {name} = {text}")
    print("\nValues:")
    for name, value in variant.values.items():
        rows = "; ".join(" ".join(f"{v:.4g}" for v in row) for row in value)
        print(f"  {name} ({value.shape[0]}×{value.shape[1]}) = [{rows}]")
    print("\nSteps:")
    for step in lesson.steps:
        print(f"  {step.id}: {step.label} ({step.shape[0]}×{step.shape[1]}) — {step.prompt}")
    return 0


def cmd_progress(args) -> int:
    from tutor.progress import ProgressStore

    store = ProgressStore.open(args.data_dir)
    if store.notice:
        print(f"chain-tutor: {store.notice}", file=sys.stderr)
    summary = store.summary()
    if args.json:
        print(json.dumps({"database": str(store.path) if store.path else None,
                          "lessons": summary}, indent=2))
        return 0
    if not summary:
        print("No progress yet. Run chain-tutor to start a lesson.")
        return 0
    for row in summary:
        done = "done" if row.get("finished") else ""
        print(f"{row['lesson_id']:<28} solved {row['solved']}, revealed {row['revealed']}, "
              f"attempts {row['attempts']}, hints {row['hints']} {done}".rstrip())
    return 0


def run_app(args) -> int:
    from tutor.app.app import run

    return run(args)


COMMANDS = {
    "check": cmd_check,
    "validate": cmd_validate,
    "lessons": cmd_lessons,
    "show": cmd_show,
    "progress": cmd_progress,
}
