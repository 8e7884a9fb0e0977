"""`chain-tutor check`, `validate`, `lessons` and `show`: the lessons, their answer keys
and one answer's verdict, without a screen."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass

from tutor.exits import EXIT_CORRECT, EXIT_INCORRECT, EXIT_INTERNAL, EXIT_INVALID
from tutor.markup import printable


def _catalog(args):
    from tutor.lessons.load import load_catalog

    return load_catalog(args.lessons)


def _lesson(args):
    from tutor.lessons.index import LessonError

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
    from tutor.networks.draft import make_lesson
    from tutor.networks.reader import NetworkError
    from tutor.progress.opening import open_store

    with open_store(args.data_dir, getattr(args, "database", None)) as store:
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
    from tutor.lessons.index import DEFAULT_SEED, LessonError

    lesson = _lesson(args)
    if lesson is None:
        return invalid_json(args, "unknown lesson") if args.json else EXIT_INVALID
    try:
        step = lesson.step(args.step)
    except LessonError as error:
        print(f"chain-tutor: {error.message}", file=sys.stderr)
        return invalid_json(args, error.message) if args.json else EXIT_INVALID
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


def invalid_json(args, message: str) -> int:
    print(json.dumps({"verdict": "invalid", "feedback": message, "diagnosis": [],
                      "checks": {"numeric": None, "symbolic": None}}))
    return EXIT_INVALID


def cmd_validate(args) -> int:
    from tutor.lessons.index import lesson_dirs
    from tutor.lessons.validation import named_files, validate_paths

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
            {"id": s.id, "of": s.of, "wrt": s.wrt, "factor": s.label, "shape": list(s.shape),
             "skills": list(s.skills)}
            for s in lesson.steps
        ],
    }


def cmd_show(args) -> int:
    from tutor.lessons.index import DEFAULT_SEED
    from tutor.markup import plain_text

    if args.roster is not None and not args.answers:
        print("chain-tutor: --roster goes with --answers (one answer sheet per student)",
              file=sys.stderr)
        return EXIT_INVALID
    students = _whose(args)  # before the lesson: a bad roster is said at once
    if students is None:
        return EXIT_INVALID
    lesson = _lesson(args)
    if lesson is None:
        return EXIT_INVALID
    if args.roster is not None:
        return _answer_sheets(lesson, students, args.json)
    student = students[0] if students else None
    seed = student.seed if student else args.seed if args.seed is not None else DEFAULT_SEED
    variant = lesson.variant(seed)
    if args.answers:
        return _answers(lesson, variant, args.json, student)
    if args.json:
        print(json.dumps(_lesson_json(lesson) | _login_json(student) | {
            "seed": seed,
            "intro": lesson.intro,
            "definitions": lesson.definitions,
            "quantities": {n: list(q.shape) for n, q in lesson.quantities.items()},
            "values": {name: value.tolist() for name, value in variant.values.items()},
        }, ensure_ascii=False, indent=2))
        return 0
    # The JSON keeps the intro's Markdown for whoever renders it; a terminal gets text.
    if student is not None:
        print(_heading(student))
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


@dataclass(frozen=True)
class Student:
    """Whose answer sheet: a login, its name on a roster, and the seed the login gets."""

    login: str
    name: str | None
    seed: int


def _whose(args) -> list[Student] | None:
    """The students --user or --roster names, each with their seed ([] for neither);
    None after saying why there are none (a roster with a mistake: its file:line)."""
    from tutor.seeds import LoginError, seed_for

    if args.user is not None:
        try:
            return [Student(args.user, None, seed_for(args.user))]
        except LoginError as error:
            print(f"chain-tutor: --user: {error}", file=sys.stderr)
            return None
    if args.roster is None:
        return []
    from tutor.cli.course import checked_roster

    roster = checked_roster(args.roster)
    if roster is None:
        return None
    if not roster:
        print(f"chain-tutor: {printable(str(args.roster))}: no students on the roster",
              file=sys.stderr)
        return None
    return [Student(entry.login, entry.name or None, seed_for(entry.login))
            for entry in roster]


def _heading(student: Student) -> str:
    name = f" ({printable(student.name)})" if student.name else ""
    return f"== {printable(student.login)}{name}, seed {student.seed} =="


def _login_json(student: Student | None) -> dict:
    return {} if student is None else {"login": student.login}


def _sheet(lesson, variant) -> list:
    """(step, its key's value at the variant) for every step."""
    from tutor.engine import evaluate

    return [(step, evaluate(lesson.factors[step.id].expected, variant.values))
            for step in lesson.steps]


def _sheet_json(rows) -> list[dict]:
    return [{"id": step.id, "factor": step.label, "shape": list(step.shape),
             "answer": step.answer, "composes": step.composes, "value": value.tolist()}
            for step, value in rows]


def _print_sheet(lesson, seed: int, rows) -> None:
    print(f"{printable(lesson.title)}  [{lesson.id}, seed {seed}]: answers\n")
    for step, value in rows:
        numbers = _rows(value)
        print(f"{step.id}: {step.label} ({step.shape[0]}×{step.shape[1]})\n  = {step.answer}")
        if step.composes:
            print(f"  = {step.composes}")
        print(f"  = [{numbers}]")


def _answers(lesson, variant, as_json: bool, student: Student | None = None) -> int:
    """The instructors' answer sheet: every step's key and its numbers at this variant."""
    rows = _sheet(lesson, variant)
    if as_json:
        print(json.dumps({"id": lesson.id, "seed": variant.seed} | _login_json(student)
                         | {"answers": _sheet_json(rows)}, ensure_ascii=False, indent=2))
        return 0
    if student is not None:
        print(_heading(student))
    _print_sheet(lesson, variant.seed, rows)
    return 0


def _answer_sheets(lesson, students: list[Student], as_json: bool) -> int:
    """One answer sheet per student of a roster, in its order, each headed by whose."""
    sheets = [(student, _sheet(lesson, lesson.variant(student.seed))) for student in students]
    if as_json:
        print(json.dumps({"id": lesson.id, "sheets": [
            {"login": student.login, "name": student.name, "seed": student.seed,
             "answers": _sheet_json(rows)} for student, rows in sheets]},
            ensure_ascii=False, indent=2))
        return 0
    for number, (student, rows) in enumerate(sheets):
        if number:
            print()
        print(_heading(student))
        _print_sheet(lesson, student.seed, rows)
    return 0
