"""What the tutor believes a student knows, skill by skill: Bayesian knowledge tracing.

Standard BKT (Corbett & Anderson 1995), one hidden state per skill: known or not. Four
probabilities per skill: ``prior`` (known before any practice), ``learn`` (becomes known
at a practice opportunity), ``slip`` (known, but answered wrong), ``guess`` (not known,
but answered right); no forgetting. After each observation the belief p(known) becomes
the posterior given the answer, then ``post + (1 - post) * learn``. The defaults are
OATutor's (0.1 each, mastery at 0.95).

What counts as an observation, read from a student's attempts and reveals in time order:

* per (lesson, step, variant seed), the first attempt that counted (an invalid answer
  costs nothing and says nothing); later answers to the same variant's step are the
  student retrying with the feedback in front of them, not evidence of what they knew;
* a step whose solution was shown before any counted answer of that variant is one wrong
  observation (at the time it was shown), for every skill of the step;
* a step shown as a worked example (a reveal marked studied, tutor.standing) is no
  observation: the student copies the factor shown, so the answers of that variant are
  passed over; it is a chance to learn, and each of the step's skills moves by ``learn``
  alone (p + (1 - p)·learn), so that worked examples fade as they are studied;
* a correct first answer is a right observation for every skill of the step;
* a wrong one is a wrong observation for the skills its diagnosis blames
  (tutor.lessons.skills.blamed: a transpose blames `layout` alone); a slip of writing
  only (precedence) blames none, and so is no observation at all.

Steps whose skills are unknown (a lesson not installed here) are passed over; a step
that carries no skills gives no observation. Pure: no database, no lesson files.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Mapping
from operator import attrgetter
from typing import NamedTuple

from tutor.lessons.skills import blamed

MASTERY = 0.95  # p(known) at which a skill is mastered (OATutor's, and Corbett's)


class Params(NamedTuple):
    """One skill's BKT parameters, each a probability."""

    prior: float
    learn: float
    slip: float
    guess: float


DEFAULT = Params(prior=0.1, learn=0.1, slip=0.1, guess=0.1)


class SkillState(NamedTuple):
    mastery: float  # p(known) now
    observations: int  # answers (and reveals) it was traced from


def start(params: Params) -> SkillState:
    """A skill not yet observed: its prior."""
    return SkillState(params.prior, 0)


def update(state: SkillState, correct: bool, params: Params) -> SkillState:
    """The state after one observation (O(1): an answer costs the step's skills, each
    once)."""
    p = state.mastery
    if correct:
        known = p * (1.0 - params.slip)
        post = known / (known + (1.0 - p) * params.guess)
    else:
        known = p * params.slip
        post = known / (known + (1.0 - p) * (1.0 - params.guess))
    return SkillState(post + (1.0 - post) * params.learn, state.observations + 1)


# What a step's skills are: its lesson and step id → its skills, or None for a step this
# tutor does not know (its lesson is not installed), which is passed over.
SkillsOf = Callable[[str, str], "tuple[str, ...] | None"]
ParamsFor = Callable[[str], Params]
Blame = Callable[[tuple[str, ...], tuple[str, ...]], tuple[str, ...]]


def study(state: SkillState, params: Params) -> SkillState:
    """The state after a worked example of the skill: learning's chance, no evidence (not
    an observation: the student copied the factor shown)."""
    return SkillState(state.mastery + (1.0 - state.mastery) * params.learn,
                      state.observations)


class Beliefs:
    """Mastery per skill, moved by a session's examples and first answers as they come:
    each costs the step's skills, once each (the full trace runs when a lesson opens).
    Its ``mastery`` is read by the screen's thread while a check's thread moves it: each
    move is one assignment of a float."""

    def __init__(self, mastery: Mapping[str, float], params_for: ParamsFor | None = None
                 ) -> None:
        self.mastery = dict(mastery)
        self.params_for = params_for or (lambda _skill: DEFAULT)

    def studied(self, skills: Iterable[str]) -> None:
        for skill in skills:
            state = study(SkillState(self.mastery.get(skill, self.params_for(skill).prior), 0),
                          self.params_for(skill))
            self.mastery[skill] = state.mastery

    def observed(self, skills: Iterable[str], correct: bool) -> None:
        for skill in skills:
            state = update(SkillState(self.mastery.get(skill, self.params_for(skill).prior), 0),
                           correct, self.params_for(skill))
            self.mastery[skill] = state.mastery


class Observation(NamedTuple):
    """A step's first counted answer of a variant (or its solution shown first)."""

    lesson_id: str
    step_id: str
    correct: bool
    diagnosis: tuple[str, ...]  # the wrong answer's; () for a reveal or a right answer
    at: float


_AT = attrgetter("at")  # an Attempt's and a Reveal's
_REVEAL_FIELDS = 5  # a Reveal is (lesson_id, step_id, seed, at, studied); an Attempt has 8


def first_answers(events: Iterable[tuple]) -> list[Observation]:
    """The observations in ``events`` (Attempts and Reveals, any order), in time order.

    Of events at the same moment, the earlier in ``events`` comes first."""
    seen: set[tuple] = set()
    found: list[Observation] = []
    for event in sorted(events, key=_AT):
        key = (event[0], event[1], event[2])
        if key in seen:
            continue
        if len(event) == _REVEAL_FIELDS and event[4]:
            pass  # a worked example: studied, no observation; its variant's answers copy it
        elif len(event) == _REVEAL_FIELDS:
            found.append(Observation(event[0], event[1], False, (), event[3]))
        elif event[4] == "invalid":
            continue
        else:
            found.append(Observation(event[0], event[1], event[4] == "correct",
                                     () if event[4] == "correct" else tuple(event[5]),
                                     event[7]))
        seen.add(key)
    return found


def trace(events: Iterable[tuple], skills_of: SkillsOf | Mapping[tuple[str, str], tuple],
          params_for: ParamsFor | None = None, skills: Iterable[str] = (),
          blame: Blame = blamed) -> dict[str, SkillState]:
    """Each skill's state after the observations in ``events`` (Attempts and Reveals).

    ``skills_of``: a step's skills, as a function of (lesson id, step id) or a mapping
    from that pair (a missing pair is an unknown step). ``params_for``: a skill's
    parameters (default DEFAULT for all). ``skills``: skills to include even if never
    observed (at their prior). The result holds those and every skill observed.
    """
    tracer = Tracer(skills_of, params_for, skills, blame)
    tracer.add_all(events)
    return tracer.states()


class Tracer:
    """A student's skills as their answers come: `add_all` a history (sorted here), then
    `add` each new answer or reveal, at the cost of its step's skills.

    The same as folding `update` over `observations`, in one pass: a startup traces a
    long history in `add_all`'s loop, so each event costs a few lookups and each
    observation a few float operations per skill, and no object is made per event.
    """

    def __init__(self, skills_of: SkillsOf | Mapping[tuple[str, str], tuple],
                 params_for: ParamsFor | None = None, skills: Iterable[str] = (),
                 blame: Blame = blamed) -> None:
        if isinstance(skills_of, Mapping):
            table = skills_of

            def lookup(lesson_id: str, step_id: str) -> tuple[str, ...] | None:
                return table.get((lesson_id, step_id))
        else:
            lookup = skills_of
        self._lookup = lookup
        self._params_for = params_for or (lambda _skill: DEFAULT)
        self._blame = blame
        # Per skill: [p(known), observations], updated in place, and its parameters.
        self._states: dict[str, list] = {}
        self._params: dict[str, Params] = {}
        self._listed = set()
        for skill in skills:
            self._state_of(skill)
            self._listed.add(skill)
        # Per lesson, per step: its skills, their moves on a right answer, the variants
        # seen, and the moves of each wrong answer's diagnosis (None: a reveal).
        self._lessons: dict[str, dict[str, tuple]] = {}

    def _state_of(self, skill: str) -> list:
        if skill not in self._states:
            self._params[skill] = self._params_for(skill)
            self._states[skill] = [self._params[skill].prior, 0]
        return self._states[skill]

    def _moves(self, concerned: Iterable[str], correct: bool) -> list[tuple]:
        return [(self._state_of(skill), *_step_map(self._params[skill], correct))
                for skill in concerned]

    def _step(self, lesson_id: str, step_id: str) -> tuple:
        carried = tuple(self._lookup(lesson_id, step_id) or ())
        step = (carried, self._moves(carried, True), set(), {})
        self._lessons.setdefault(lesson_id, {})[step_id] = step
        return step

    def _blamed_moves(self, step: tuple, diagnosis: tuple | None) -> list[tuple]:
        carried = step[0]
        blames = set(carried if diagnosis is None or not carried
                     else self._blame(carried, tuple(diagnosis)))
        moves = step[3][diagnosis] = self._moves(
            [skill for skill in carried if skill in blames], False)
        return moves

    def add_all(self, events: Iterable[tuple]) -> None:
        """Every observation of ``events`` (Attempts and Reveals, sorted here by time),
        as `add` would take them one by one, in one tight loop."""
        enabled = gc.isenabled()
        gc.disable()  # the loop makes no cycles; a collection would walk the whole history
        try:
            self._add_all(events)
        finally:
            if enabled:
                gc.enable()

    def _add_all(self, events: Iterable[tuple]) -> None:
        lessons, new_step, blamed_moves = self._lessons, self._step, self._blamed_moves
        reveal_fields, length = _REVEAL_FIELDS, len  # locals: this loop is the startup's
        for event in sorted(events, key=_AT):
            in_lesson = lessons.get(event[0])
            step = None if in_lesson is None else in_lesson.get(event[1])
            if step is None:
                step = new_step(event[0], event[1])
            seen = step[2]
            if event[2] in seen:
                continue
            if length(event) == reveal_fields and event[4]:
                # A worked example (studied): a chance to learn, and no evidence either
                # way; the answers of its variant copy it, and are passed over too.
                seen.add(event[2])
                self._studied(step[0])
                continue
            if length(event) == reveal_fields:
                correct, diagnosis = False, None
            else:
                verdict = event[4]
                if verdict == "invalid":
                    continue
                correct, diagnosis = verdict == "correct", event[5]
            seen.add(event[2])
            if correct:
                targets = step[1]
            else:
                targets = step[3].get(diagnosis)
                if targets is None:
                    targets = blamed_moves(step, diagnosis)
            for state, a, b, c, d in targets:
                p = state[0]
                state[0] = (a * p + b) / (c * p + d)
                state[1] += 1

    def _studied(self, skills: Iterable[str]) -> None:
        for skill in skills:
            state = self._state_of(skill)
            state[0] += (1.0 - state[0]) * self._params[skill].learn
            self._listed.add(skill)  # moved, though not observed: it is reported

    def add(self, event: tuple) -> tuple[str, ...]:
        """One answer or reveal, later than those before; the skills it moved (none if
        it was not its variant's first counted answer or a worked example, or concerns
        no skill)."""
        step = self._lessons.get(event[0], {}).get(event[1]) or self._step(event[0], event[1])
        before = [tuple(self._state_of(skill)) for skill in step[0]]
        self.add_all((event,))
        return tuple(skill for skill, was in zip(step[0], before, strict=True)
                     if tuple(self._states[skill]) != was)

    def states(self) -> dict[str, SkillState]:
        """Each skill listed or observed: its mastery and observations."""
        return {skill: SkillState(*state) for skill, state in self._states.items()
                if state[1] or skill in self._listed}


def _step_map(params: Params, correct: bool) -> tuple[float, float, float, float]:
    """`update` as one map p ↦ (a·p + b) / (c·p + d): with r = 1 - slip and w = guess for
    a right answer (slip and 1 - guess for a wrong one), the posterior r·p / (r·p +
    w·(1-p)) followed by learning, post + (1 - post)·learn, is
    ((r - learn·w)·p + learn·w) / ((r - w)·p + w)."""
    r, w = (1.0 - params.slip, params.guess) if correct else (params.slip, 1.0 - params.guess)
    return r - params.learn * w, params.learn * w, r - w, w


def observations(events: Iterable[tuple], skills_of: SkillsOf, blame: Blame = blamed
                 ) -> Iterator[tuple[Observation, tuple[str, ...]]]:
    """Each observation of ``events`` with the skills it is evidence about (for a
    correct answer all the step's, for a wrong one those blamed), in time order; steps
    of unknown skills, and observations that concern no skill, left out."""
    for seen in first_answers(events):
        carried = skills_of(seen.lesson_id, seen.step_id)
        if not carried:
            continue
        concerned = tuple(carried) if seen.correct else tuple(blame(tuple(carried),
                                                                    seen.diagnosis))
        if concerned:
            yield seen, concerned


def unknown_steps(events: Iterable[tuple], skills_of: SkillsOf) -> set[tuple[str, str]]:
    """The (lesson, step) pairs of ``events`` whose skills are unknown (passed over)."""
    pairs = {(event[0], event[1]) for event in events}
    return {pair for pair in pairs if skills_of(*pair) is None}


def mastered(state: SkillState, threshold: float = MASTERY) -> bool:
    return state.mastery >= threshold


def skills_by_step(lessons: Iterable) -> dict[tuple[str, str], tuple[str, ...]]:
    """(lesson id, step id) → the step's skills, for lessons (tutor.lessons.Lesson, or
    anything with an ``id`` and ``steps`` of ``id`` and ``skills``)."""
    return {(lesson.id, step.id): tuple(step.skills)
            for lesson in lessons for step in lesson.steps}
