"""Every key of a generated lesson against central finite differences, for tests.

The validator does this too, but the tests of the generator's rules should not depend
on how validation chooses its steps and tolerances: here a key is compared, at a few
drawn points, with plain central differences at one step, and each step's composes
with its key, so a rule that is wrong by any amount worth a student's time fails.
"""

from __future__ import annotations

import numpy as np

from tutor.engine import evaluate, infer_shape, parse
from tutor.lessons import Lesson

H = 1e-6


def disagreements(lesson: Lesson, seeds=(1, 2)) -> list[str]:
    """The steps whose key (or composes) does not match central differences, with why."""
    problem = lesson.problem
    shapes = dict(problem.shapes) | {s.id: s.shape for s in lesson.steps}
    names = lesson.names + [s.id for s in lesson.steps]
    wrong = []
    for seed in seeds:
        values = dict(lesson.variant(seed).values)
        for step in lesson.steps:
            key = evaluate(lesson.factors[step.id].expected, values)
            values[step.id] = key
            truth = problem.numeric_derivative(step.of, step.wrt, values, H)
            scale = 1e-5 * (1 + float(np.max(np.abs(truth), initial=0.0)))
            if key.shape != truth.shape or float(np.max(np.abs(key - truth))) > scale:
                wrong.append(f"{step.id} = {step.answer} at seed {seed}: key {key.tolist()}, "
                             f"finite differences {truth.tolist()}")
                continue
            if step.composes:
                node = parse(step.composes, names)
                assert infer_shape(node, shapes) == step.shape, (step.id, step.composes)
                if not np.allclose(evaluate(node, values), key, rtol=1e-9, atol=1e-12):
                    wrong.append(f"{step.id}: composes {step.composes} is not its key")
    return wrong
