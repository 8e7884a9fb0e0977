"""`chain-tutor progress`: your progress printed in the picker's words, exported to one
file, or merged in from one (see tutor/progress/export.py for the file)."""

from __future__ import annotations

import json
import sys

from tutor.exits import EXIT_INVALID


def cmd_progress(args) -> int:
    from tutor.progress.opening import open_store

    if args.export is not None:
        return _export(args)
    if args.import_file is not None:
        return _import(args)
    from tutor.lessons.index import read_index
    from tutor.standing import standing

    steps = {info.id: [step.id for step in info.steps]
             for info in read_index(args.lessons) if info.error is None}
    with open_store(args.data_dir, args.database) as store:
        if store.notice:
            print(f"chain-tutor: {store.notice}", file=sys.stderr)
        if not store.enabled:  # said above; "No progress yet" would not be true
            return EXIT_INVALID if store.left_alone else 1
        networks = {n.lesson_id: n.title for n in store.networks()}
        steps |= {n.lesson_id: [step_id for step_id, _label in n.steps]
                  for n in store.networks()}
        summary = store.summary()
        for row in summary:  # in the picker's words: a finished lesson stays finished
            if row["lesson_id"] in steps:
                state = store.lesson(row["lesson_id"])
                row["standing"] = standing(steps[row["lesson_id"]], state).words()
            else:  # a lesson no longer shipped
                row["standing"] = "done ✓" if row["finished"] is not None else "started"
            if row["lesson_id"] in networks:
                row["network"] = networks[row["lesson_id"]]  # the student's own: its title
        database = store.where if store.enabled else None
    if args.json:
        print(json.dumps({"database": database, "lessons": summary}, indent=2,
                         ensure_ascii=False))
        return 0
    if not summary:
        print("No progress yet. Run chain-tutor to start a lesson.")
        return 0
    from tutor.markup import SHOWN, printable

    for row in summary:  # ids and titles are the student's files' text: never obeyed
        lesson = printable(row["lesson_id"], SHOWN)
        name = f"{lesson} (your network: {printable(row['network'], SHOWN)})" \
            if "network" in row else lesson
        print(f"{name:<28} {row['standing']}: solved {row['solved']}, "
              f"revealed {row['revealed']}, attempts {row['attempts']}, hints {row['hints']}")
    return 0


def _open_store(args):
    """The progress store, or the exit status after saying why it cannot be used: 2 for
    a file the tutor leaves alone (another program's: the user must act), else 1."""
    from tutor.progress.opening import open_store

    store = open_store(args.data_dir, args.database)
    if store.notice:
        print(f"chain-tutor: {store.notice}", file=sys.stderr)
    if store.enabled:
        return store
    return EXIT_INVALID if store.left_alone else 1


def _export(args) -> int:
    import time

    from tutor.progress import ProgressError, export_json, write_export
    from tutor.seeds import LoginError, current_login

    store = _open_store(args)
    if isinstance(store, int):
        return store
    try:
        student: str | None = current_login()
    except LoginError:
        student = None
    try:
        with store:
            snapshot = store.snapshot(student)
        content = export_json(snapshot, time.time())
        if snapshot.skipped:  # damaged rows: the rest is exported, and the user told
            count = len(snapshot.skipped)
            print(f"chain-tutor: {count:,} damaged row{'' if count == 1 else 's'} of"
                  f" {store.where} left out of the export", file=sys.stderr)
        if args.export == "-":
            print(json.dumps(content, ensure_ascii=False, indent=2))
        else:
            write_export(args.export, content)
    except (ProgressError, OSError) as error:
        print(f"chain-tutor: cannot export to {args.export}: {error}", file=sys.stderr)
        return 1
    if args.export != "-":
        print(f"Exported {len(snapshot.lessons)} lesson(s) and {len(snapshot.attempts)} "
              f"attempt(s) to {args.export}.")
    return 0


def _import(args) -> int:
    from tutor.progress import ExportError, ProgressError, left_out, loads_export, read_export
    from tutor.progress.export import student_name
    from tutor.seeds import LoginError, current_login

    name = "stdin" if args.import_file == "-" else args.import_file
    try:
        if args.import_file == "-":
            from tutor.progress.export import EXPORT_MAX_BYTES

            # one byte over is enough for loads_export to refuse it: /dev/zero ends here
            snapshot = loads_export(sys.stdin.buffer.read(EXPORT_MAX_BYTES + 1))
        else:
            snapshot = read_export(args.import_file)
    except ExportError as error:
        print(f"chain-tutor: cannot import {name}: {error}", file=sys.stderr)
        return EXIT_INVALID
    for line in left_out(name, snapshot.skipped):  # one bad entry costs only itself
        print(f"chain-tutor: {line}", file=sys.stderr)
    try:
        you = student_name(current_login())  # as an export of yours would say it
    except LoginError:
        you = None
    if snapshot.student and you and snapshot.student != you:
        print(f"chain-tutor: note: {name} was exported by {snapshot.student}, not {you}",
              file=sys.stderr)
    store = _open_store(args)
    if isinstance(store, int):
        return store
    owner = store.owner()
    if snapshot.login and owner and snapshot.login != student_name(owner):
        print(f"chain-tutor: note: {name} is the record of {snapshot.login}; this progress "
              f"database is {student_name(owner)}'s", file=sys.stderr)
    try:
        with store:
            result = store.merge(snapshot)
    except ProgressError as error:
        print(f"chain-tutor: nothing imported: {error}", file=sys.stderr)
        return 1
    networks = f"; {result.networks} network(s) of your own added" if result.networks else ""
    skipped = (f"; {len(snapshot.skipped)} entr{'y' if len(snapshot.skipped) == 1 else 'ies'}"
               " left out (see above)") if snapshot.skipped else ""
    print(f"Imported {result.added} attempt(s) from {name} ({result.present} already "
          f"present); {result.raised} step status(es) raised{networks}{skipped}.")
    return 0
