"""What loads after the first paint, in worker threads: the lessons in full, then the checker.

Nothing here runs before the first screen is drawn, and nothing here imports the
engine, numpy or sympy until it is called.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tutor.lessons.model import Catalog, Lesson


def load_lessons(extra: Sequence[Path | str]) -> Catalog:
    """Every lesson built with the engine (numpy); broken files kept aside, as in the CLI."""
    from tutor.lessons.load import load_catalog

    return load_catalog(extra)


def warm_up_checker() -> None:
    """Start the proof worker and take one proof down the slow path in it.

    The general simplifier imports more of sympy the first time it runs (combinatorics,
    tensor); doing it here keeps those imports out of a student's first check. They
    happen in the worker (tutor.engine.prover): the tutor's own process never loads sympy.
    """
    from tutor.engine.prover import warm_up

    warm_up()


def prepare_proofs(lesson: Lesson) -> None:
    """Build the lesson's symbols in the proof worker now, while the student reads the
    first step, so that no answer's budget pays for them (tutor.engine.prover)."""
    from tutor.engine.prover import prepare

    prepare(lesson.problem)


def freeze_heap() -> None:
    """Exempt everything loaded so far from the cyclic garbage collector.

    With sympy loaded, a full collection walks a few hundred thousand objects and
    holds the interpreter lock for 50–90 ms, long enough to stall the screen; the
    modules and lessons loaded by now live as long as the process anyway.
    """
    gc.collect()
    gc.freeze()

