"""Faded worked examples: which steps of a lesson open worked, from what the tutor believes
the student knows (tutor.progress.tracing).

A step whose skills are all far from mastery opens as a worked example (Renkl; adaptive
fading as in Salden et al.): its factor and its derivation are shown, and the student
types it in; it counts as studied, not solved. "Far" depends on the step's place in its
lesson: the bar is FIRST_BAR for the first step and falls evenly to LAST_BAR for the last,
so that as a skill's mastery rises its steps stop being worked last steps first (backward
fading), and a lesson's first steps are the last to be asked outright. Whatever the
mastery, the later half of a lesson is always asked (WORKED_SHARE): a new student, whose
skills all stand at the prior, is shown how the first factors go and answers the rest,
rather than shown a whole lesson.

Studying moves a skill by its ``learn`` alone (tracing.study), so a new student who sees
every step of the first lesson worked (all skills at the prior, 0.1) answers its later
steps after a few examples; an answer, right or wrong, says more and moves it further.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Protocol

FIRST_BAR = 0.4  # mastery under which a lesson's first step is worked
LAST_BAR = 0.2  # ... and its last step
WORKED_SHARE = 0.5  # at most the first half of a lesson's steps (rounded up) are worked


class _Step(Protocol):
    id: str
    skills: tuple[str, ...]


def bar(index: int, count: int) -> float:
    """The mastery under which the step at ``index`` (of ``count``) opens worked."""
    if count <= 1:
        return LAST_BAR
    return FIRST_BAR - (FIRST_BAR - LAST_BAR) * index / (count - 1)


def is_worked(skills: Sequence[str], index: int, count: int,
              mastery: Mapping[str, float]) -> bool:
    """Whether the step at ``index`` (of ``count``) with these skills opens worked: each
    of its skills under its bar. A step with no skills, or a skill not traced, is asked."""
    if index >= math.ceil(count * WORKED_SHARE):
        return False
    limit = bar(index, count)
    return bool(skills) and all(mastery.get(skill, 1.0) < limit for skill in skills)


def worked_steps(steps: Sequence[_Step], mastery: Mapping[str, float],
                 begun: frozenset[str] = frozenset()) -> frozenset[str]:
    """The ids of ``steps`` that would open worked at this ``mastery``, except those the
    student has begun (``begun``: answered, hinted or done in this variant). As a lesson
    goes on the tutor asks is_worked of each step as it opens, with what the lesson's
    answers and examples have moved since (tutor.progress.tracing.Beliefs)."""
    return frozenset(step.id for index, step in enumerate(steps) if step.id not in begun
                     and is_worked(step.skills, index, len(steps), mastery))
