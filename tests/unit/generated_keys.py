"""Every key of a generated lesson against central finite differences, for tests.

The validator does this too, but the tests of the generator's rules should not depend
on how validation chooses its steps and tolerances: here a key is compared, at a few
drawn points, with plain central differences at one step, and each step's composes
with its key, so a rule that is wrong by any amount worth a student's time fails.
"""

from __future__ import annotations

import numpy as np

from tutor.engine import evaluate, infer_shape, parse
from tutor.lessons.model import Lesson

# A saturated forward pass (-log σ(t) at t = -12 computes 1 + tanh ≈ 1e-5 with 11 of
# its digits gone) is not accurate enough for the smallest step, so a key is right if it
# agrees with the differences at one of these steps; a wrong rule is off at all of them.
STEPS = (1e-6, 1e-5, 1e-4, 1e-3)


def _close(key, truth, value, h: float) -> bool:
    """Within the differences' truncation (relative) and rounding (eps · |of| / h) error."""
    scale = (1e-5 * (1 + float(np.max(np.abs(truth), initial=0.0)))
             + 1e-15 / h * float(np.max(np.abs(value), initial=0.0)))
    return float(np.max(np.abs(key - truth))) <= scale


def disagreements(lesson: Lesson, seeds=(1, 2)) -> list[str]:
    """The steps whose key (or composes) does not match central differences, with why."""
    problem = lesson.problem
    shapes = dict(problem.shapes) | {s.id: s.shape for s in lesson.steps}
    names = lesson.names + [s.id for s in lesson.steps]
    wrong = []
    for seed in seeds:
        values = dict(lesson.variant(seed).values)
        if _near_a_kink(lesson, values):
            continue  # differences straddle relu's kink: they cannot see its slope there
        for step in lesson.steps:
            key = evaluate(lesson.factors[step.id].expected, values)
            values[step.id] = key
            truths = [problem.numeric_derivative(step.of, step.wrt, values, h) for h in STEPS]
            truth = truths[0]
            if key.shape != truth.shape or not any(_close(key, t, values[step.of], h)
                                                   for t, h in zip(truths, STEPS, strict=True)):
                wrong.append(f"{step.id} = {step.answer} at seed {seed}: key {key.tolist()}, "
                             f"finite differences {truth.tolist()}")
                continue
            if step.composes:
                node = parse(step.composes, names)
                assert infer_shape(node, shapes) == step.shape, (step.id, step.composes)
                if not np.allclose(evaluate(node, values), key, rtol=1e-9, atol=1e-12):
                    wrong.append(f"{step.id}: composes {step.composes} is not its key")
    return wrong


def _near_a_kink(lesson: Lesson, values) -> bool:
    from tutor.engine.nodes import Call, children

    def calls(node):
        if isinstance(node, Call) and node.func in ("relu", "step"):
            yield node
        for child in children(node):
            yield from calls(child)

    for _, node in lesson.problem.definitions:
        for call in calls(node):
            if float(np.min(np.abs(evaluate(call.args[0], values)))) < 1e-4:
                return True
    return False
