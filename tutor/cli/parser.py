"""Every argument the command takes, declared in one place: the subcommands' parser and
the parser of the tutor itself (no subcommand)."""

from __future__ import annotations

import argparse
from pathlib import Path

NEW_BUDGET = 1.0  # seconds of sympy per step for `new`: 2 s proves no more (README, Performance)
GRADE_RULE = ("The grade rule: an assignment's grade is points × (steps first solved at or "
              "before the due time, revealed steps excluded) / (all steps of its lessons), "
              "to two decimals; any variant counts. A step is first solved at its "
              "earliest correct answer; it is revealed if the student's record marks it "
              "so, or if its solution was shown before that answer (even if a reset or a "
              "new variant cleared it since).")
SUBCOMMANDS = ("check", "validate", "lessons", "show", "new", "practice", "progress", "skills",
               "report", "seed", "serve", "proofs", "course", "db")


def _common(parser: argparse.ArgumentParser) -> None:
    _lessons_option(parser)
    _data_dir_option(parser)


def _data_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, default=None, metavar="DIR",
                        help="where progress is kept (default: the user data folder; also "
                             "CHAIN_TUTOR_DATA)")
    _database_option(parser, "keep progress in this PostgreSQL database instead, as the "
                             "role it logs in as (also CHAIN_TUTOR_DATABASE; needs "
                             "chain-tutor[postgres])")


def _database_option(parser: argparse.ArgumentParser, text: str) -> None:
    parser.add_argument("--database", default=None, metavar="CONNINFO",
                        help=f"{text}: a libpq connection string or postgresql:// URI")


def _lessons_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lessons", action="append", default=[], metavar="DIR", type=Path,
                        help="an extra folder of lesson files (repeatable); also "
                             "CHAIN_TUTOR_LESSONS")


def _skill_params_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--skill-params", type=Path, default=None, metavar="FILE",
                        help="the knowledge tracing's parameters (TOML or JSON: [default] "
                             "and [skills.NAME] with prior, learn, slip, guess; or a .csv "
                             "of pyBKT's model.params()); default 0.1 each (also "
                             "CHAIN_TUTOR_SKILL_PARAMS)")


def _seed_options(parser: argparse.ArgumentParser, seed_help: str | None = None):
    """--seed and --seed-from-user, one or the other; the group, for options that also
    choose the variant."""
    choice = parser.add_mutually_exclusive_group()
    from tutor.seeds import seed_argument

    choice.add_argument("--seed", type=seed_argument, default=None, help=seed_help)
    choice.add_argument("--seed-from-user", action="store_true",
                        help="the seed that belongs to your login name (see `chain-tutor "
                             "seed`), so each student of a class gets their own numbers")
    return choice


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
    check.add_argument("--budget", type=float, default=1.0, help="CPU seconds for the symbolic "
                                                                 "proof (default 1)")
    _common(check)

    validate = sub.add_parser("validate", help="verify lesson files' answer keys")
    validate.add_argument("paths", nargs="*", type=Path)
    validate.add_argument("--budget", type=float, default=10.0,
                          help="CPU seconds for each step's symbolic check (default 10); past "
                               "it the check is skipped and said so")
    validate.add_argument("--again", action="store_true",
                          help="check a lesson `new` stamped as validated, unchanged, too")
    _common(validate)

    lessons = sub.add_parser("lessons", help="list the lessons and their steps")
    lessons.add_argument("--json", action="store_true")
    _common(lessons)

    show = sub.add_parser("show", help="print a lesson and one variant's numbers")
    show.add_argument("lesson")
    whose = _seed_options(show)
    whose.add_argument("--user", default=None, metavar="LOGIN",
                       help="the variant this login name gets with --seed-from-user (its "
                            "seed as `chain-tutor seed LOGIN` prints it), named in the "
                            "heading")
    whose.add_argument("--roster", type=Path, default=None, metavar="CSV",
                       help="with --answers: one answer sheet per student of the class "
                            "list (login,name,sis_id,section, as `report --roster`), in "
                            "its order, each headed by the login and name")
    show.add_argument("--json", action="store_true")
    show.add_argument("--answers", action="store_true",
                      help="the answer sheet: each step's key and its value at the variant")
    _common(show)

    _network_commands(sub)

    progress = sub.add_parser("progress", help="print, export or import your progress")
    action = progress.add_mutually_exclusive_group()
    action.add_argument("--json", action="store_true")
    action.add_argument("--export", metavar="FILE",
                        help="write all your progress to one JSON file (- for stdout)")
    action.add_argument("--import", dest="import_file", metavar="FILE",
                        help="merge an exported file into your progress (- for stdin); "
                             "importing it again adds nothing")
    _common(progress)

    skills = sub.add_parser(
        "skills", help="what the tutor believes you know, skill by skill",
        description="Your mastery of each skill, as the tutor traces it from your answers "
                    "(Bayesian knowledge tracing): a bar per skill, the number of answers "
                    "it was traced from, and with --json the parameters used.")
    skills.add_argument("--json", action="store_true")
    _skill_params_option(skills)
    _common(skills)

    report = sub.add_parser(
        "report", help="a class's results per step, from progress databases and exports",
        description="Read progress databases (read-only) and exported progress files, and "
                    "print per lesson and step how many students solved it, had it "
                    "revealed, are working on it (the step of their latest answer) or gave "
                    "it up (answered another step later), median attempts and time, and the "
                    "most common wrong answers. "
                    "With --gradebook: each student's grade on each assignment of a "
                    f"course file, as CSV for Canvas or Moodle. {GRADE_RULE}",
    )
    report.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                        help="a progress.db, an exported .json file, or a folder searched for "
                             "both")
    _database_option(report, "also (or instead) read the whole class from this PostgreSQL "
                             "database, as an instructor's role (without PATHs: also "
                             "CHAIN_TUTOR_DATABASE)")
    form = report.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true")
    form.add_argument("--csv", action="store_true", help="one row per lesson and step")
    form.add_argument("--tui", action="store_true",
                      help="a screen with a heat map of lessons × steps (pick a step for "
                           "its details) and a table of the students (s switches; with "
                           "--students it opens on the table)")
    form.add_argument("--html", default=None, metavar="FILE",
                      help="one web page (- for stdout) with the heat map, each step's "
                           "most common wrong answers and the students' table (--roster "
                           "applies); self-contained: nothing is fetched")
    form.add_argument("--gradebook", choices=("canvas", "moodle"), default=None,
                      help="CSV for Canvas's or Moodle's gradebook import: a row per "
                           "student, a column per assignment of --course (needs it)")
    form.add_argument("--bkt-log", default=None, metavar="FILE",
                      help="write the class's observations (each variant's first answer "
                           "or reveal, one row per skill it concerns, in time order) as "
                           "CSV in pyBKT's columns order_id,skill_name,correct,user_id "
                           "(- for stdout), to fit a parameters file with pyBKT")
    report.add_argument("--skills", action="store_true",
                        help="mastery per student and skill (knowledge tracing, as "
                             "`chain-tutor skills` shows a student), as text, --json, "
                             "--csv or a section of --html; --roster applies")
    _skill_params_option(report)
    report.add_argument("--course", type=Path, default=None, metavar="FILE",
                        help="the course file whose assignments --gradebook grades")
    report.add_argument("--by-student", action="store_true",
                        help="name an export without a login (version 2 or older) by its "
                             "\"student\" field (files with the same one count as one "
                             "student), not by its path; databases and newer exports are "
                             "named by the login they carry")
    report.add_argument("--top", type=int, default=3, metavar="N",
                        help="how many common wrong answers per step (default 3)")
    report.add_argument(
        "--students", action="store_true",
        help="one row per student instead: login, name, steps solved and revealed, "
             "attempts, time on task (the gaps between a student's consecutive answers, "
             "each at most 5 minutes, summed), last active (UTC), where (lesson/step of the "
             "latest answer) and status: not-started, in-progress, stuck (5 or more wrong "
             "answers on the step of the latest answer, not solved) or done (every step of "
             "the report's lessons solved)")
    from tutor.report.window import since_argument, until_argument

    report.add_argument("--since", type=since_argument, default=None, metavar="WHEN",
                        help="only answers from this moment on: an ISO 8601 date (from its "
                             "start) or date and time (UTC unless it says otherwise)")
    report.add_argument("--until", type=until_argument, default=None, metavar="WHEN",
                        help="only answers and reveals before this moment: a date (up to "
                             "its end) or date and time; a step revealed by a tutor older "
                             "than schema 5, which kept no time, counts unless its lesson "
                             "was started after")
    report.add_argument("--roster", type=Path, default=None, metavar="CSV",
                        help="with --students, --tui, --html or --gradebook: the class "
                             "list, a CSV with the header login,name,sis_id,section; every "
                             "student on it gets a row (not-started, 0 for each assignment, "
                             "if nothing of theirs was found) and counts in the heat map's "
                             "class")
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
    serve.add_argument("--public-url", default=None, metavar="URL", type=_public_url,
                       help="the address browsers use to reach this server, for a proxy "
                            "with HTTPS; only its path behind Jupyter, whose launcher "
                            "gives it (default: the address each browser asked for)")
    serve.add_argument("--seed-from-user", action="store_true",
                       help="each tutor's seed from this account's login name")
    serve.add_argument("--max-sessions", type=_count(1), default=64, metavar="N",
                       help="tutors running at once, about 90 MB each (default 64, fewer "
                            "if the open-file limit is low); past it a page says the lab "
                            "is full")
    serve.add_argument("--max-per-client", type=_count(0), default=16, metavar="N",
                       help="open connections from one address (default 16; 0: no cap, "
                            "for a proxy through which every student comes)")
    _common(serve)
    _proofs_command(sub)
    course = sub.add_parser(
        "course", help="check a course file and list its assignments",
        description="Check a course file (TOML: a title and [[assignment]] tables with "
                    "title, lessons, due, points, reveal) against the lessons, and print "
                    "each assignment: its due time in UTC and here, points, lessons and "
                    "whether Reveal is allowed. Exit status 2 if the file has errors.")
    course.add_argument("file", type=Path, metavar="FILE")
    _lessons_option(course)
    _db_command(sub)
    return parser


def _db_command(sub) -> None:
    db = sub.add_parser(
        "db", help="set up or upgrade a class's PostgreSQL database (administrator)",
        description="Make (init) or migrate (upgrade) the chain-tutor tables in a PostgreSQL "
                    "database, as an administrator: a role that may create schemas and roles. "
                    "init also makes the group roles chain_tutor_student (reads and adds only "
                    "its own rows; attempts and reveals are never changed or deleted) and "
                    "chain_tutor_instructor (reads every row), turns on row-level security, "
                    "and grants membership to the roles named. Running it again changes "
                    "nothing that is right and repairs what is not.")
    action = db.add_subparsers(dest="db_action", metavar="ACTION", required=True)
    init = action.add_parser("init", help="make the tables, roles and security")
    init.add_argument("--student", action="append", default=[], metavar="ROLE",
                      help="an existing login role to make a student (repeatable)")
    init.add_argument("--instructor", action="append", default=[], metavar="ROLE",
                      help="an existing login role to make an instructor (repeatable)")
    upgrade = action.add_parser("upgrade", help="migrate the tables to this version's schema")
    for each in (init, upgrade):
        _database_option(each, "the database, as its administrator (also "
                               "CHAIN_TUTOR_DATABASE)")


def _proofs_command(sub) -> None:
    proofs = sub.add_parser(
        "proofs", help="a lab's shared proof service (sympy loaded once per machine)",
        description="Run the proof service that every tutor started with CHAIN_TUTOR_PROOFS="
                    "SOCKET forks its proof worker from: sympy and the lessons' symbols "
                    "are loaded once and shared, not once per student (README, Labs). A "
                    "tutor that finds no service forks its own worker. Ctrl+C or SIGTERM "
                    "stops it.")
    proofs.add_argument("--socket", type=Path, required=True, metavar="PATH",
                        help="the Unix socket to listen on (for a lab, in a folder only "
                             "root can write, such as /run/chain-tutor/proofs.sock)")
    proofs.add_argument("--shared", action="store_true",
                        help="let every account connect (a lab of many students); "
                             "default: this account only")
    proofs.add_argument("--per-account", type=_count(1), default=8, metavar="N",
                        help="proof workers one account may hold at once (default 8)")
    proofs.add_argument("--most", type=_count(1), default=512, metavar="N",
                        help="proof workers at once in all (default 512)")
    _lessons_option(proofs)


def _public_url(text: str) -> str:
    from tutor.web.origin import public_url_argument

    return public_url_argument(text)


def _count(least: int):
    """An argparse type: a whole number, `least` or more."""
    def count(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"{value} is below {least}")
        return value
    return count


def _network_commands(sub) -> None:
    new = sub.add_parser("new", help="turn a network file into a lesson file",
                         description="Read a network file (inputs, definitions, goal lines) "
                                     "and write the lesson that walks through its chain rule, "
                                     "validated like a shipped one.")
    new.add_argument("network", type=Path, metavar="NETWORK_FILE")
    new.add_argument("--id", default=None, help="the lesson's id (default: from the file name)")
    new.add_argument("-o", "--output", type=Path, default=None, metavar="LESSON.toml",
                     help="where to write the lesson (default: stdout)")
    new.add_argument("--budget", type=float, default=NEW_BUDGET,
                     help=f"CPU seconds for each step's symbolic check (default {NEW_BUDGET:g})")
    new.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                     help="stop (exit status 2) if making the lesson takes longer (default "
                          "120; the worst network the limits admit takes about 30)")

    practice = sub.add_parser(
        "practice", help="practise the backpropagation of your own network, or a random one",
        description="Open the tutor on the lesson made from a network file (validated "
                    "first, then saved with your progress, so running it again resumes it), "
                    "or on a random network: depth 1-4, widths 1-4, sigma/tanh/relu, maybe a "
                    "skip connection, a loss or a mini-batch.")
    source = practice.add_mutually_exclusive_group()
    source.add_argument("network", type=Path, nargs="?", metavar="NETWORK_FILE")
    source.add_argument("--random", action="store_true", help="a random network")
    from tutor.seeds import seed_argument

    practice.add_argument("--seed", type=seed_argument, default=None,
                          help="which random network (implies --random; the same seed gives "
                               "the same network everywhere); default: a new one")
    practice.add_argument("--weakest", action="store_true",
                          help="a random network that exercises your weakest skill (traced "
                               "from your progress, as `chain-tutor skills` shows it); "
                               "--seed is where the search starts")
    practice.add_argument("--show", action="store_true",
                          help="print the network instead of opening the tutor")
    practice.add_argument("--budget", type=float, default=1.0, metavar="SECONDS",
                          help="CPU seconds for each answer's symbolic proof (default 1)")
    _skill_params_option(practice)
    _common(practice)


def build_app_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chain-tutor",
        description="Learn the chain rule for matrix derivatives, one factor at a time. "
                    f"Subcommands: {', '.join(SUBCOMMANDS)} (chain-tutor COMMAND --help).",
    )
    parser.add_argument("lesson", nargs="?", help="open this lesson directly")
    _seed_options(parser, seed_help="the variant's numbers")
    parser.add_argument("--budget", type=float, default=1.0, metavar="SECONDS",
                        help="CPU seconds for each answer's symbolic proof, a hard limit "
                             "(default 1); past it the verdict is numeric")
    parser.add_argument("--course", type=Path, default=None, metavar="FILE",
                        help="a course file: the picker shows its assignments, due times "
                             "and your standing, and Reveal is off where it says so "
                             "(also CHAIN_TUTOR_COURSE)")
    parser.add_argument("--no-examples", action="store_true",
                        help="never open a step as a worked example (by default a step "
                             "whose skills are all far from mastery shows its factor and "
                             "derivation first, for you to type in)")
    _skill_params_option(parser)
    _common(parser)
    return parser
