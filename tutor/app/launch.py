"""The tutor's entry point, `chain-tutor [LESSON]`: the quick index, the course in force,
the progress store and the tracing's parameters, then the app (tutor.app.app) under the
guard that ends it on a signal or a vanished terminal (tutor.app.signals).

Apart from the app's class so that what a launch decides (and says in one line before
any screen: a lesson by a wrong name, a course or parameters file that cannot be used)
reads in one place.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from tutor.app.app import ChainTutorApp
from tutor.app.course_view import course_in_force
from tutor.app.signals import SessionGuard
from tutor.files import make_private_folder
from tutor.lessons.index import CACHE_NAME, LessonError, find_lesson, read_index
from tutor.markup import printable
from tutor.progress.locations import default_cache_dir
from tutor.progress.opening import open_store
from tutor.progress.skill_params import SkillParamsError, chosen_skill_params


def run(args) -> int:
    """Entry point for `chain-tutor [LESSON] [--seed N]`; returns the exit code."""
    # The lessons load in full after the first paint.
    cache = default_cache_dir(args.data_dir)
    try:
        # Before the index makes it (and the data folder above it) with the umask's mode.
        make_private_folder(cache)
    except OSError:
        pass  # a cache that cannot be written only costs speed
    later: list[Callable[[], object]] = []  # on a first launch: the cache, after the paint
    index = read_index(args.lessons, cache=cache / CACHE_NAME, later=later.append)
    try:
        course = course_in_force(getattr(args, "course", None), index)
        if args.lesson:  # by its id from here on: progress is kept under the id, not "8"
            args.lesson = find_lesson(index, args.lesson).id
    except LessonError as error:  # a course file's at file:line; a lesson's by its name
        print(f"chain-tutor: {printable(str(error))}", file=sys.stderr)
        return 2
    try:  # the tracing's parameters, for worked examples: a file that cannot be used is
        params = chosen_skill_params(getattr(args, "skill_params", None))  # said at once
    except SkillParamsError as error:
        print(f"chain-tutor: {printable(str(error))}", file=sys.stderr)
        return 2
    # A first launch makes its database after the first paint, or at its first write.
    store = open_store(args.data_dir, getattr(args, "database", None), create_later=True)
    later.append(store.create)
    try:
        app = ChainTutorApp(
            None, store, lesson_id=args.lesson, seed=args.seed, index=index,
            extra_lessons=args.lessons, freeze_gc=True,
            network=getattr(args, "network_text", None),
            symbolic_budget=getattr(args, "budget", 1.0), after_paint=later, course=course,
            examples=not getattr(args, "no_examples", False), skill_params=params,
        )
        app.network_note = getattr(args, "note", None)  # practice --weakest: which skill
        # SIGHUP, SIGTERM, SIGINT or a vanished terminal stop the app (see signals.py).
        with SessionGuard(app) as session:
            app.run()
            # An answer whose proof the quit or a signal cut short is saved with its
            # numeric verdict before the file closes (the guard's deadline still holds).
            app.wait_for_saves(5.0)
    finally:
        store.close()
    return session.exit_code(app.return_code or 0)
