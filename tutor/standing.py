"""Where a student stands in a lesson, read from the store before the lesson is loaded.

* which variant a lesson opens with: the one the student started, whatever seed is
  asked for (a seed only picks a new lesson's numbers); a lesson is started when its
  steps are, not when its introduction is read;
* where the student stands in a lesson (Standing): a lesson once finished stays
  finished, through new variants and resets.

Apart from the session (tutor.session, which gives these names too) because a lesson's
first screen and the picker need them before any lesson is loaded, and the session's
own classes cost milliseconds to define on the way to that screen (so these values are
NamedTuples, as tutor.progress.records says why). No Textual here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from tutor.lessons.index import DEFAULT_SEED
from tutor.progress.records import LessonState
from tutor.progress.store import ProgressStore


# -- opening a lesson ----------------------------------------------------------------------
class Opening(NamedTuple):
    """How a lesson opens: with which seed, and whether that is news to the student."""

    seed: int
    kept_variant: bool  # a different seed was asked for; the student's own variant is kept
    fresh: bool  # nothing done yet: the intro comes first


def open_variant(store: ProgressStore, lesson_id: str, requested: int | None) -> Opening:
    """Choose the lesson's seed; nothing is written until start_lesson (an introduction
    left with Esc leaves no trace). Resuming keeps the variant the student started:
    --seed and --seed-from-user pick only a new lesson's numbers (a lab's students each
    get their own, and nobody loses progress to a flag)."""
    state = store.lesson(lesson_id)
    if state.seed is not None:
        chosen = state.seed
    else:
        chosen = requested if requested is not None else DEFAULT_SEED
    fresh = not any(s.status or s.attempts or s.hints for s in state.steps.values())
    return Opening(chosen, requested is not None and requested != chosen, fresh)


def start_lesson(store: ProgressStore, lesson_id: str, seed: int) -> None:
    """The student goes on to the steps: the lesson is started, with this variant (the
    same seed again changes nothing)."""
    store.set_seed(lesson_id, seed)


# -- where the student stands ----------------------------------------------------------------
class Standing(NamedTuple):
    """A lesson as the picker and `chain-tutor progress` describe it."""

    done: int  # steps solved or revealed now
    total: int
    started: bool
    finished: bool  # finished once: a new variant or a reset does not take that away

    @property
    def complete(self) -> bool:
        return self.done == self.total

    def words(self) -> str:
        """not started / n of m factors / done ✓ / done ✓, again n of m"""
        if self.complete:
            return "done ✓"
        if self.finished:
            return f"done ✓, again {self.done} of {self.total}"
        if not self.started:
            return "not started"
        return f"{self.done} of {self.total} factors"


def standing(step_ids: Sequence[str], state: LessonState) -> Standing:
    done = sum(1 for step_id in step_ids if state.status_of(step_id) is not None)
    started = state.started is not None or bool(state.steps)
    return Standing(done, len(step_ids), started, state.finished is not None)


def new_variant(store: ProgressStore, lesson_id: str, seed: int) -> None:
    """Start the lesson again with new numbers; its history is kept, and a finished
    lesson stays finished (the store keeps its finished time)."""
    store.set_seed(lesson_id, seed)
