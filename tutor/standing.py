"""Where a student stands in a lesson, read from the store before the lesson is loaded.

* which variant a lesson opens with: the one the student started, whatever seed is
  asked for (a seed only picks a new lesson's numbers); a lesson is started when its
  steps are, not when its introduction is read;
* where the student stands in a lesson (Standing): a lesson once finished stays
  finished, through new variants and resets;
* where the student stands in each skill (student_mastery, traced by
  tutor.progress.tracing), and which skill to practise next (weakest_skill).

Apart from the session (tutor.session, which gives these names too) because a lesson's
first screen and the picker need them before any lesson is loaded, and the session's
own classes cost milliseconds to define on the way to that screen (so these values are
NamedTuples, as tutor.progress.records says why). No Textual here.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

from tutor.lessons.index import DEFAULT_SEED
from tutor.progress.records import LessonState, SavedNetwork
from tutor.progress.store import ProgressStore

if TYPE_CHECKING:
    from tutor.lessons.model import Lesson
    from tutor.progress.tracing import Params, SkillState


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


# -- where the student stands in each skill ------------------------------------------------
def student_mastery(store: ProgressStore, lessons: Iterable[Lesson],
                    params: Callable[[str], Params] | None = None) -> dict[str, SkillState]:
    """Each skill of SKILLS (in its order) traced from the student's attempts and reveals;
    a skill never observed at its prior. A step's skills: known_step_skills.
    ``params``: a skill's BKT parameters (tutor.progress.skill_params; default 0.1 each)."""
    from tutor.lessons.skills import SKILLS
    from tutor.progress.tracing import trace

    events = [*store.attempts(), *store.reveals()]
    steps = known_step_skills(lessons, events, store.networks())
    states = trace(events, steps, params, skills=SKILLS)
    return {skill: states[skill] for skill in SKILLS}


def known_step_skills(lessons: Iterable[Lesson], events: Iterable[tuple],
                      networks: Iterable[SavedNetwork]) -> dict[tuple[str, str], tuple]:
    """Each step's skills: those of ``lessons`` (the catalog's), and of the student's own
    saved networks that they worked on (``events``: attempts and reveals), their lessons
    made again unchecked (they were checked when saved). A step of neither is unknown."""
    from tutor.progress.tracing import skills_by_step

    steps = skills_by_step(lessons)
    worked = {event[0] for event in events} - {lesson_id for lesson_id, _ in steps}
    if worked:
        steps |= skills_by_step(filter(None, (
            _network_lesson(network.text, network.lesson_id)
            for network in networks if network.lesson_id in worked)))
    return steps


def _network_lesson(text: str, lesson_id: str) -> Lesson | None:
    """The lesson of a saved network, or None if this version cannot make it (its steps
    are then unknown, and passed over)."""
    from tutor.networks.generator import generate
    from tutor.networks.reader import parse_network

    try:
        return generate(parse_network(text), lesson_id, validate=False)
    except Exception:  # noqa: BLE001 - whatever it is, that network's answers say nothing
        return None


class Target(NamedTuple):
    """The skill to practise next, and why."""

    skill: str
    mastery: float
    observations: int
    passed_over: tuple[str, ...]  # weaker (or earlier unseen) skills that cannot be drawn

    def words(self) -> str:
        """One line: which skill, its mastery, and what was passed over."""
        if self.observations:
            said = f"your weakest skill, {self.skill} (mastery {self.mastery:.2f})"
        else:
            said = f"{self.skill}, a skill you have not practised yet"
        if self.passed_over:
            said += (f"; no random network exercises {', '.join(self.passed_over)}, so "
                     "practise it in the lessons")
        return said


def weakest_skill(states: Mapping[str, SkillState], drawable: Collection[str],
                  threshold: float | None = None) -> Target | None:
    """The skill to practise: the least mastered of those observed and not yet mastered;
    when there is none, the first not yet seen (in ``states``' order, SKILLS'); when every
    skill is seen and mastered, the least mastered. Ties go to the earlier skill. Skills
    not in ``drawable`` (that no random network exercises) are passed over, and named.
    None if no skill is drawable."""
    from tutor.progress.tracing import MASTERY

    threshold = MASTERY if threshold is None else threshold
    seen = [skill for skill in states if states[skill].observations]
    weak = sorted((skill for skill in seen if states[skill].mastery < threshold),
                  key=lambda skill: states[skill].mastery)  # stable: ties keep SKILLS order
    unseen = [skill for skill in states if not states[skill].observations]
    strong = sorted((skill for skill in seen if skill not in weak),
                    key=lambda skill: states[skill].mastery)
    passed: list[str] = []
    for skill in [*weak, *unseen, *strong]:
        if skill in drawable:
            state = states[skill]
            return Target(skill, state.mastery, state.observations, tuple(passed))
        passed.append(skill)
    return None
