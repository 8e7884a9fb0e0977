"""One lesson as a student works through it: the one door from the screens to progress.

The screens display a LessonSession and tell it what the student did (an answer, a
hint, a reveal, a reset, moving on); every rule about progress is applied here, or
in tutor.rules which the store follows, and never in a screen:

* which variant a lesson opens with, and where the student stands in it: read from
  the store before the lesson is loaded (tutor.standing, imported here too, so that a
  lesson's first screen and the picker need not define the session's classes);
* what an answer records: the attempt, and in the same transaction the step it
  solves (a revealed step stays revealed);
* where the student resumes, what each slot of the chain holds, which actions apply
  now, where "next" leads.

No Textual here: tested without a screen (tests/unit/test_session.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tutor.progress.records import Attempt, LessonState
from tutor.progress.store import ProgressStore
from tutor.rules import Status, VerdictKind
from tutor.standing import (  # noqa: F401 - the session's face: how a lesson opens, and stands
    Opening,
    Standing,
    new_variant,
    open_variant,
    standing,
    start_lesson,
)

if TYPE_CHECKING:  # the engine loads after the first screen; choosing a seed needs none
    from tutor.engine import EngineError, Problem, Verdict
    from tutor.lessons.model import Lesson, Step
    from tutor.progress.tracing import Beliefs

Show = Callable[[str], "str | None"]  # an answer as the screen writes it (or None)


def _hidden(_text: str) -> str | None:
    return None


# -- what each step holds ------------------------------------------------------------------
@dataclass(frozen=True)
class FactorState:
    """One step as the student has left it."""

    step: Step
    status: str | None  # Status.SOLVED | Status.REVEALED | None (open)
    answer: str | None  # what fills its slot: the solving answer, or the key once revealed
    canonical: str | None = None  # the answer in math notation, as the parser read it
    attempts: int = 0
    hints: int = 0
    last_answer: str | None = None

    @property
    def done(self) -> bool:
        return self.status is not None


def factor_states(lesson: Lesson, state: LessonState, attempts: Iterable[Attempt],
                  show: Show = _hidden) -> dict[str, FactorState]:
    """Each step's slot: a solved step keeps its latest correct answer (even if retyped
    wrong since) — but numbers typed after an expression do not replace it; a revealed
    one shows the key. ``show`` writes an answer for the screen."""
    solving = _solving_answers(attempts, lesson)
    factors = {}
    for step in lesson.steps:
        saved = state.steps.get(step.id)
        status = saved.status if saved else None
        if status == Status.SOLVED:
            answer = solving.get(step.id, saved.last_answer if saved else None) or step.answer
        elif status == Status.REVEALED:
            answer = step.answer
        else:
            answer = None
        factors[step.id] = FactorState(
            step,
            status,
            answer,
            show(answer) if answer else None,
            attempts=saved.attempts if saved else 0,
            hints=saved.hints if saved else 0,
            last_answer=saved.last_answer if saved else None,
        )
    return factors


def _solving_answers(attempts: Iterable[Attempt], lesson: Lesson) -> dict[str, str]:
    """Each step's latest correct answer, an expression before numbers: the numbers of
    this variant, retyped after solving it, say less than the factor the student wrote."""
    answers: dict[str, str] = {}
    for attempt in attempts:
        if attempt.verdict != VerdictKind.CORRECT:
            continue
        kept = answers.get(attempt.step_id)
        if kept is None or not numbers_only(attempt.answer, lesson) or numbers_only(kept, lesson):
            answers[attempt.step_id] = attempt.answer
    return answers


def numbers_only(answer: str, lesson: Lesson) -> bool:
    """An answer of numbers alone ([1 0; 0 0]): right at one variant's values only."""
    from tutor.engine import EngineError, names_in, parse

    try:
        return not names_in(parse(answer, [*lesson.names, *(s.id for s in lesson.steps)]))
    except EngineError:
        return False


def solving_attempts(store: ProgressStore, lesson: Lesson, seed: int) -> list[Attempt]:
    """What each solved step's slot is chosen from (factor_states): its latest correct
    attempt with this variant, and its earlier correct ones too where that latest is
    numbers only (the history is read only then)."""
    latest = store.solving_attempts(lesson.id, seed)
    typed = {a.step_id for a in latest if numbers_only(a.answer, lesson)}
    if not typed:
        return latest
    return [a for a in store.attempts(lesson.id) if a.seed == seed
            and a.verdict == VerdictKind.CORRECT and a.step_id in typed
            ] + [a for a in latest if a.step_id not in typed]


def resume_index(lesson: Lesson, state: LessonState) -> int:
    """The first step not solved or revealed; the last step when all are done."""
    step_ids = [step.id for step in lesson.steps]
    first = state.first_open(step_ids)
    return step_ids.index(first) if first is not None else len(step_ids) - 1


def goal_step(lesson: Lesson) -> Step:
    return lesson.step(lesson.goal) if lesson.goal else lesson.steps[-1]


# -- a lesson in progress ------------------------------------------------------------------
@dataclass(frozen=True)
class StepName:
    """A step's id as a name: typed in a later step's answer, it stands for the step's
    true factor (its key), whatever the student answered there."""

    step: Step
    status: str | None  # Status.SOLVED | Status.REVEALED | None (open)
    usable: bool  # the current step's answer may use it: an earlier step, solved or revealed
    place: str  # "before", "here" or "after" the current step


@dataclass(frozen=True)
class Checked:
    """A verdict, saved: what the student sent for which step."""

    step_id: str
    text: str
    elapsed: float
    verdict: Verdict
    crashed: bool = False  # the checker failed: nothing was recorded


@dataclass
class LessonSession:
    """A lesson, its variant and the student's progress in it, as the store holds it.

    Thread-safe where it must be: ``submit`` runs in a check's thread and only talks to
    the store (which has its own lock); everything else runs on the screen's thread.
    """

    lesson: Lesson
    seed: int
    store: ProgressStore
    show: Show = _hidden
    # Why Reveal is off in this lesson (a course file says so, tutor.lessons.course); None:
    # allowed. Refused here, at the one door, not only greyed out by a screen.
    reveal_off: str | None = None
    # What the tutor believes the student knows, skill by skill (tutor.progress.tracing),
    # moved by this lesson's examples and first answers: a step whose skills are all far
    # from it opens as a worked example (tutor.lessons.fading). None: none does.
    beliefs: Beliefs | None = None
    state: LessonState = field(init=False)
    factors: dict[str, FactorState] = field(init=False)
    index: int = field(init=False)

    def __post_init__(self) -> None:
        self.variant = self.lesson.variant(self.seed)
        self._order = threading.Lock()
        self.reload()
        self.index = resume_index(self.lesson, self.state)
        self._asked: set[str] = set()  # steps shown as questions: never worked after
        self._observed: set[str] | None = None  # steps of this variant traced already

    # -- what the screens read -------------------------------------------------------
    def reload(self) -> None:
        """Read the lesson's state again: the store is the truth (another login may write)."""
        self.state = self.store.lesson(self.lesson.id)
        solving = solving_attempts(self.store, self.lesson, self.seed)
        self.factors = factor_states(self.lesson, self.state, solving, self.show)

    @property
    def step(self) -> Step:
        return self.lesson.steps[self.index]

    @property
    def problem(self) -> Problem:
        """What this step's answers are read against: the lesson's names, and the ids of
        the steps before it standing for their factors."""
        return self.lesson.problem_for(self.step.id)

    def redact(self, error: EngineError) -> EngineError:
        """A shape clash's message as the preview may show it: without a suggested fix
        that is this step's factor itself (tutor.engine.check.redacted)."""
        from tutor.engine.check import redacted

        problem = self.problem
        return redacted(error, self.lesson.factors[self.step.id], problem,
                        problem.forward(self.variant.inputs))

    @property
    def aliases(self) -> dict[str, str]:
        """The earlier steps' ids this step's answer may use, each with what it stands for."""
        return {step.id: f"{step.label} ({step.shape[0]}×{step.shape[1]})"
                for step in self.lesson.earlier_steps(self.step.id)}

    def step_names(self) -> list[StepName]:
        """Every step whose id can stand for its factor in an answer, as the F1 help lists
        them: the engine reads an id in the answers of the steps after it (see
        Lesson.problem_for); the screens offer it once it is also solved or revealed."""
        from tutor.lessons.model import reads_as_a_name  # the engine: not before the first screen

        before = {step.id for step in self.lesson.earlier_steps(self.step.id)}
        here = self.index
        return [StepName(step, self.factors[step.id].status,
                         usable=step.id in before and self.factors[step.id].done,
                         place=("before" if index < here else "here" if index == here
                                else "after"))
                for index, step in enumerate(self.lesson.steps)
                if step.id not in self.lesson.problem.shapes and reads_as_a_name(step.id)]

    @property
    def typeable(self) -> frozenset[str]:
        """The step ids the screens show as names this step's answer may use."""
        return frozenset(name.step.id for name in self.step_names() if name.usable)

    @property
    def factor(self) -> FactorState:
        return self.factors[self.step.id]

    @property
    def is_last(self) -> bool:
        return self.index == len(self.lesson.steps) - 1

    def earlier_answers(self, limit: int = 50) -> list[str]:
        """What the student sent for this step before, each answer once, newest first:
        what Up in the answer box walks back through."""
        return self.store.recent_answers(self.lesson.id, self.step.id, limit)

    def all_done(self) -> bool:
        return all(factor.done for factor in self.factors.values())

    def available(self) -> dict[str, bool]:
        """Which of the step's actions apply now (the footer greys out the others)."""
        factor = self.factor
        return {
            "hint": not factor.done and factor.hints < len(self.step.hints),
            "reveal": not factor.done and self.reveal_off is None,
            "next_step": factor.done,
            "previous_step": self.index > 0,
            "reset_step": factor.done or factor.attempts > 0 or factor.hints > 0,
            "reset_lesson": bool(self.state.steps),
        }

    # -- what the student does ---------------------------------------------------------
    def submit(self, step_id: str, text: str, elapsed: float, budget: float = 1.0) -> Checked:
        """Check an answer and save it with the step it solves; for a check's thread.

        One at a time (a lock); the caller keeps answers in the order they were sent
        (the lesson screen chains its check threads).
        """
        from tutor.engine import Verdict

        with self._order:
            try:
                verdict = self.lesson.check(step_id, text, self.seed, budget)
            except Exception as error:  # noqa: BLE001 - a checker bug must not end a session
                message = f"The checker failed on this answer ({error!r}). Please report it."
                return Checked(step_id, text, elapsed, Verdict(VerdictKind.INVALID, message),
                               crashed=True)
            first = self.beliefs is not None and self._first_counted(step_id, verdict)
            self.store.record_attempt(self.lesson.id, step_id, self.seed, text,
                                      verdict.verdict, verdict.diagnosis, elapsed, solves=True)
            if first:  # what the trace at the next lesson's opening will count too
                from tutor.lessons.skills import blamed

                skills = self.lesson.step(step_id).skills
                correct = verdict.verdict == VerdictKind.CORRECT
                self.beliefs.observed(skills if correct else blamed(skills, verdict.diagnosis),
                                      correct)
            return Checked(step_id, text, elapsed, verdict)

    def _first_counted(self, step_id: str, verdict: Verdict) -> bool:
        """Whether this answer is the variant's first that counts for the step (the
        tracing's observation): not invalid, none counted before it, not shown first.
        The steps already observed are read once, then kept here."""
        return verdict.verdict != VerdictKind.INVALID and self._first_of_variant(step_id)

    def _first_of_variant(self, step_id: str) -> bool:
        """Whether nothing of the step counted yet in this variant (an answer that was not
        invalid, or its solution shown); from now on something has."""
        if self._observed is None:
            self._observed = {a.step_id for a in self.store.attempts(self.lesson.id)
                              if a.seed == self.seed and a.verdict != VerdictKind.INVALID}
            self._observed |= {r.step_id for r in self.store.reveals()
                               if r.lesson_id == self.lesson.id and r.seed == self.seed}
        first = step_id not in self._observed
        self._observed.add(step_id)
        return first

    def hint(self) -> bool:
        """Show one more hint of this step (False when none is left, or it is done)."""
        if not self.available()["hint"]:
            return False
        self.store.record_hint(self.lesson.id, self.step.id)
        self.reload()
        return True

    def reveal(self) -> bool:
        """Show the step's solution, marking it revealed; False, doing nothing, where the
        course in force says Reveal is off (``reveal_off``) or the step is done."""
        if not self.available()["reveal"]:
            return False
        if self.beliefs is not None and self._first_of_variant(self.step.id):
            self.beliefs.observed(self.step.skills, False)  # as the trace counts it
        self.store.mark(self.lesson.id, self.step.id, Status.REVEALED)
        self.reload()
        return True

    def study(self) -> bool:
        """Open this step as a worked example, if its skills are all far from mastery now
        and nothing of it is done yet: its solution is shown, and it counts as studied (a
        reveal, marked studied), not solved. False, doing nothing, otherwise; a step once
        shown as a question stays one (a worked example is decided as the step opens)."""
        from tutor.lessons.fading import is_worked

        step, factor, beliefs = self.step, self.factor, self.beliefs
        if beliefs is None or self.reveal_off is not None or step.id in self._asked:
            return False
        if factor.done or factor.attempts or factor.hints or not is_worked(
                step.skills, self.index, len(self.lesson.steps), beliefs.mastery):
            self._asked.add(step.id)
            return False
        self.store.mark(self.lesson.id, step.id, Status.REVEALED, studied=True)
        beliefs.studied(step.skills)
        if self._observed is not None:
            self._observed.add(step.id)
        self.reload()
        return self.factor.done

    @property
    def studied(self) -> bool:
        """Whether this step was shown as a worked example (in this variant)."""
        return self.step.id in self.state.studied

    def reset_step(self) -> None:
        self.store.reset_step(self.lesson.id, self.step.id)
        self.reload()

    def reset_lesson(self) -> None:
        self.store.reset_lesson(self.lesson.id)
        self.reload()
        self.index = 0

    def go_to(self, index: int) -> None:
        self.index = max(0, min(index, len(self.lesson.steps) - 1))

    def next(self) -> bool:
        """Move on from a done step; True when the lesson is complete (the summary is next).

        From the last step with an earlier one reset, back to the first open one.
        """
        if not self.is_last:
            self.index += 1
            return False
        if self.all_done():
            return True
        self.index = resume_index(self.lesson, self.state)
        return False

    def finish(self) -> None:
        """The lesson is complete: its finished time is the first time it was."""
        if self.store.lesson(self.lesson.id).finished is None:
            self.store.finish(self.lesson.id)
