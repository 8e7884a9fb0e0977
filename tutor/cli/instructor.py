"""`chain-tutor report`, `seed`, `serve` and `proofs`: what an instructor runs for a class
(its results, each student's variant seed, the tutor in a browser, the lab's shared
proof service)."""

from __future__ import annotations

import functools
import json
import os
import sys

from tutor.cli.terminal import refuse_without_terminal
from tutor.exits import EXIT_INVALID
from tutor.markup import printable


def cmd_report(args) -> int:
    from tutor.lessons.index import read_index
    from tutor.progress import left_out
    from tutor.report.build import build_report
    from tutor.report.formats import format_csv, format_text, report_json
    from tutor.report.sources import load_sources

    if args.top < 0:
        print("chain-tutor: --top must be 0 or more", file=sys.stderr)
        return EXIT_INVALID
    database = _class_database(args)
    if not args.paths and database is None:
        print("chain-tutor: report needs a PATH (a progress.db, an export, a folder) or "
              "--database", file=sys.stderr)
        return EXIT_INVALID
    if args.roster is not None and not (args.students or args.gradebook or args.tui
                                        or args.html or args.skills):
        print("chain-tutor: --roster goes with --students, --skills, --tui, --html or "
              "--gradebook", file=sys.stderr)
        return EXIT_INVALID
    params = _skill_options(args)
    if params is None:
        return EXIT_INVALID
    if args.students and args.gradebook:
        print("chain-tutor: --students or --gradebook, one at a time", file=sys.stderr)
        return EXIT_INVALID
    if args.since is not None and args.until is not None and args.since >= args.until:
        print("chain-tutor: --since must come before --until", file=sys.stderr)
        return EXIT_INVALID
    for written in (args.html, args.bkt_log):
        refused = None if written is None else _unwritable(written)
        if refused is not None:  # said before the class's files are read, not after
            print(f"chain-tutor: cannot write {printable(written)}: {refused}",
                  file=sys.stderr)
            return EXIT_INVALID
    roster = None
    if args.roster is not None:
        from tutor.cli.course import checked_roster

        roster = checked_roster(args.roster)
        if roster is None:
            return EXIT_INVALID
    if args.tui and refuse_without_terminal():
        return EXIT_INVALID
    grading = None
    if args.gradebook or args.course:
        grading = _grading(args, roster)
        if grading is None:
            return EXIT_INVALID
    # A gradebook names students by who they are, never by a file's path.
    sources, skipped = load_sources(args.paths,
                                    by_student=args.by_student or grading is not None)
    if database is not None:
        from tutor.progress import ProgressError
        from tutor.report.sources import load_database

        try:
            sources += load_database(database)
        except ProgressError as error:
            print(f"chain-tutor: {printable(str(error))}", file=sys.stderr)
            return EXIT_INVALID
    for item in skipped:
        # A file's name and the reason (which may quote the file) are the student's text.
        print(f"chain-tutor: skipped {printable(str(item.path))}: {printable(item.reason)}",
              file=sys.stderr)
    for source in sources:  # an export's bad entries are left out, not the whole file
        for line in left_out(printable(str(source.path)), source.snapshot.skipped):
            print(f"chain-tutor: {line}", file=sys.stderr)
    if args.since is not None or args.until is not None:
        import dataclasses

        from tutor.report.window import Window, within

        window = Window(args.since, args.until)
        sources = [dataclasses.replace(source, snapshot=within(source.snapshot, window))
                   for source in sources]
    if not sources and roster is None:
        # Bad input, as everywhere: the files given, not the tutor, are at fault. (With
        # a roster, a class that has not begun is a table of students not started.)
        print("chain-tutor: no progress database or export could be read", file=sys.stderr)
        return EXIT_INVALID
    if grading is not None:
        return _gradebook(args, grading, sources)
    if args.bkt_log is not None:
        return _bkt_log(args, sources)
    if args.skills and args.html is None and not args.tui:
        return _skills(args, sources, roster, params)
    report = build_report(sources, read_index(args.lessons), skipped, top=args.top)
    if args.html is not None:
        return _html(args, sources, report, roster, params if args.skills else None)
    if args.students or args.tui:
        return _students(args, sources, report, roster, params if args.skills else None)
    return _printed(args, lambda: report_json(report), lambda: format_csv(report),
                    lambda: format_text(report))


def _class_database(args) -> str | None:
    """The class's database: --database, or $CHAIN_TUTOR_DATABASE when no PATH is named
    (with files named, the environment of an instructor's own tutor is not read)."""
    from tutor.progress.opening import chosen_database

    if args.database is not None:
        return chosen_database(args.database)
    return None if args.paths else chosen_database()


def _student_rows(sources, report, roster) -> list:
    """The students' table's rows, after a note on stderr of each student with records
    who is not on the roster."""
    from tutor.report.students import not_on_roster, student_rows

    if roster is not None:
        for login in not_on_roster(sources, roster):
            print(f"chain-tutor: note: {printable(login)} has records but is not on the "
                  "roster (a row of their own, after the roster's)", file=sys.stderr)
    return student_rows(sources, report, roster)


def _students(args, sources, report, roster, params=None) -> int:
    from tutor.report.formats import students_csv, students_json, students_text

    rows = _student_rows(sources, report, roster)
    if args.tui:  # the heat map and the students' table, opened at the one asked for
        from tutor.app.report_app import MAP, STUDENTS, run_report

        if params is not None:  # --skills --tui: on the skills' table
            from tutor.app.report_app import SKILLS
            from tutor.report.skills import skill_rows

            skills = skill_rows(sources, _class_steps(args, sources), params, roster)
            return run_report(report, rows, start=SKILLS, skills=skills)
        return run_report(report, rows, start=STUDENTS if args.students else MAP)
    return _printed(args, lambda: students_json(rows), lambda: students_csv(rows),
                    lambda: students_text(rows))


def _unwritable(name: str) -> str | None:
    """Why --html cannot write the file ``name`` (a missing folder, a folder where the
    file should be), or None; "-" is stdout."""
    from pathlib import Path

    if name == "-":
        return None
    path = Path(name)
    folder = path.parent
    if not folder.exists():
        return f"the folder {printable(str(folder))} does not exist"
    if not folder.is_dir():
        return f"{printable(str(folder))} is not a folder"
    if path.is_dir():
        return "it is a folder (name a file in it, such as report.html)"
    return None


def _html(args, sources, report, roster, params=None) -> int:
    """--html FILE: the page (tutor.report.html) written whole, or to stdout for "-";
    ``params``: with the skills' section (--skills), traced with these."""
    import time

    from tutor.report.formats import plural
    from tutor.report.html import build_page

    rows = _student_rows(sources, report, roster)
    sections = []
    if params is not None:
        from tutor.report.skills import skill_rows, skills_html

        sections = skills_html(skill_rows(sources, _class_steps(args, sources), params,
                                          roster), params)
    page = build_page(report, rows, time.time(), _span(args.since, args.until), sections)
    if not _written(args.html, page):
        return EXIT_INVALID
    if args.html != "-":
        print(f"chain-tutor: wrote the class report ({plural(len(rows), 'student')}, "
              f"{plural(len(report.lessons), 'lesson')}) to {printable(args.html)}",
              file=sys.stderr)
    return 0


def _written(name: str, content: str) -> bool:
    """``content`` written whole to the file ``name`` (stdout for "-"); False after
    saying why it could not be."""
    from pathlib import Path

    from tutor.files import write_whole

    if name == "-":
        sys.stdout.write(content)
        return True
    try:
        write_whole(Path(name), content)
    except OSError as error:
        print(f"chain-tutor: cannot write {printable(name)}: {error.strerror or error}",
              file=sys.stderr)
        return False
    return True


def _skill_options(args):
    """The tracing's parameters (tutor.progress.skill_params) for --skills; None after
    saying why they cannot be used, or why the options do not go together."""
    from tutor.progress.skill_params import SkillParamsError, chosen_skill_params

    if args.skills and (args.students or args.gradebook or args.bkt_log):
        print("chain-tutor: --skills is a table of its own: as text, --json, --csv, --tui or "
              "a section of --html", file=sys.stderr)
        return None
    if args.skill_params is not None and not args.skills:
        print("chain-tutor: --skill-params goes with --skills", file=sys.stderr)
        return None
    if not args.skills:  # a plain report does not read $CHAIN_TUTOR_SKILL_PARAMS's file
        from tutor.progress.skill_params import SkillParams

        return SkillParams()
    try:
        return chosen_skill_params(args.skill_params)
    except SkillParamsError as error:
        print(f"chain-tutor: {printable(str(error))}", file=sys.stderr)
        return None


def _class_steps(args, sources) -> dict:
    """Each step's skills: the lessons installed here and the students' own networks';
    a note on stderr of how many answered steps are of neither."""
    from tutor.lessons.load import load_catalog
    from tutor.standing import known_step_skills

    attempts = [attempt for source in sources for attempt in source.snapshot.attempts]
    networks = {network.lesson_id: network for source in sources
                for network in source.snapshot.networks}
    steps = known_step_skills(load_catalog(args.lessons).lessons, attempts, networks.values())
    unknown = {(a.lesson_id, a.step_id) for a in attempts} - steps.keys()
    if unknown:
        print(f"chain-tutor: note: {len(unknown)} answered step(s) of lessons not installed "
              "here left out of the skills", file=sys.stderr)
    return steps


def _skills(args, sources, roster, params) -> int:
    from tutor.report.skills import skill_rows, skills_csv, skills_json, skills_text

    rows = skill_rows(sources, _class_steps(args, sources), params, roster)
    return _printed(args, lambda: skills_json(rows, params), lambda: skills_csv(rows),
                    lambda: skills_text(rows, params))


def _bkt_log(args, sources) -> int:
    from tutor.report.formats import plural
    from tutor.report.skills import bkt_log

    content, rows = bkt_log(sources, _class_steps(args, sources))
    if not _written(args.bkt_log, content):
        return EXIT_INVALID
    if args.bkt_log != "-":
        print(f"chain-tutor: wrote {plural(rows, 'observation row')} of "
              f"{plural(len({source.student for source in sources}), 'student')} to "
              f"{printable(args.bkt_log)} (pyBKT's columns)", file=sys.stderr)
    return 0


def _span(since: float | None, until: float | None) -> str | None:
    """The --since/--until cut in words, for the page's header."""
    from tutor.report.formats import iso_time

    if since is None and until is None:
        return None
    words = [f"from {iso_time(since)}"] if since is not None else []
    if until is not None:
        words.append(f"before {iso_time(until)}")
    return " ".join(words)


def _printed(args, as_json, as_csv, as_text) -> int:
    """The report in the form asked for (--json, --csv, or text) on stdout."""
    if args.json:
        print(json.dumps(as_json(), ensure_ascii=False, indent=2))
    elif args.csv:
        sys.stdout.write(as_csv())
    else:
        print(as_text())
    return 0


def _grading(args, roster):
    """(course, lessons' steps, roster or None) for --gradebook; None after saying why."""
    from tutor.cli.course import checked_course
    from tutor.report.grades import lesson_steps

    if not (args.gradebook and args.course):
        print("chain-tutor: --gradebook canvas|moodle and --course FILE go together"
              + (" (--roster with them)" if args.roster else ""), file=sys.stderr)
        return None
    checked = checked_course(args.course, args.lessons)
    if checked is None:
        return None
    course, index = checked
    return course, lesson_steps(index), roster


def _gradebook(args, grading, sources) -> int:
    from tutor.report.gradebook import format_gradebook, gradebook_rows
    from tutor.report.grades import GradeError

    course, steps, roster = grading
    try:
        rows, absent = gradebook_rows(course, steps, sources, roster)
    except GradeError as error:
        print(f"chain-tutor: {printable(str(error))}", file=sys.stderr)
        return EXIT_INVALID
    for login in absent:
        print(f"chain-tutor: {printable(login)} has progress but is not on the roster; "
              "left out of the gradebook", file=sys.stderr)
    sys.stdout.write(format_gradebook(args.gradebook, course, rows))
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
    from tutor.engine.proof_service import for_children
    from tutor.web.jupyter import PROXY_TOKEN_ENV
    from tutor.web.serve import ServeError, exposure_warning, is_loopback, serve, tutor_command

    if not is_loopback(args.host):
        print(exposure_warning(args.host, args.port), file=sys.stderr)
    command = tutor_command(args.lessons, args.data_dir, seed_from_user=args.seed_from_user)
    if args.database is not None:  # each tab's tutor is a child: it reads the environment
        from tutor.progress.opening import DATABASE_ENV

        os.environ[DATABASE_ENV] = args.database
    # Behind Jupyter (tutor/web/jupyter.py): the proxy's secret, kept from the tabs' tutors.
    proxy_token = os.environ.pop(PROXY_TOKEN_ENV, None) or None
    try:
        # Every tab's proof worker is forked from one service: sympy loaded once.
        with for_children(functools.partial(_problems, args.lessons)):
            serve(command, args.host, args.port, public_url=args.public_url,
                  max_sessions=args.max_sessions, max_per_client=args.max_per_client,
                  proxy_token=proxy_token)
    except ServeError as error:
        print(f"chain-tutor: {error}", file=sys.stderr)
        return 1
    return 0


def _problems(lessons) -> list:
    """In the proof service: the catalog's lessons' problems, their symbols built once."""
    from tutor.lessons.load import load_catalog

    return [lesson.problem for lesson in load_catalog(lessons).lessons]


def cmd_proofs(args) -> int:
    from tutor.engine.proof_service import ServiceError, run_service

    def ready():
        who = "every account" if args.shared else "this account"
        print(f"chain-tutor: proof service for {who} at {printable(str(args.socket))}; "
              f"tutors use it with CHAIN_TUTOR_PROOFS={printable(str(args.socket))}",
              file=sys.stderr, flush=True)

    try:
        run_service(args.socket, per_account=args.per_account, most=args.most,
                    shared=args.shared, problems=functools.partial(_problems, args.lessons),
                    ready=ready)
    except ServiceError as error:
        print(f"chain-tutor: {error}", file=sys.stderr)
        return EXIT_INVALID
    return 0
