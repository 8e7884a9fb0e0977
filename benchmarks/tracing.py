"""Knowledge tracing at startup: a long history must be traced in a blink.

`python benchmarks/tracing.py [ATTEMPTS]` builds histories of ATTEMPTS (default
100,000) attempts on the shipped lessons' steps, with their declared skills, and prints
one JSON object with the time in ms (the best of a few runs, CPU time of this process)
that `tutor.progress.tracing.trace` takes for each:

* `typical`: variants worked as students work them — each step of a variant answered
  until right (one to four counted answers, a wrong one diagnosed half the time), one
  answer in ten invalid, a reveal now and then: about two answers in five are first
  answers, that is observations;
* `one_variant`: benchmarks/history.py's history, every answer to one variant of the
  flagship (one observation per step, the rest passed over);
* `worst`: every answer the first of its own variant, so every one is an observation.

`update_us` is one answer's update (a step of two skills), in microseconds, and
`python_loop_ms` a bare loop over as many items, to compare machines by.
"""

from __future__ import annotations

import json
import random
import sys
import time

ROUNDS = 7


def _best(work) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.process_time()
        work()
        best = min(best, time.process_time() - start)
    return best * 1000


def histories(count: int, step_skills: dict) -> dict[str, list]:
    from tutor.progress.records import Attempt, Reveal

    rng = random.Random(7)
    steps = list(step_skills)
    typical: list = []
    at, seed = 1.7e9, 0
    while len(typical) < count:
        seed += 1
        lesson = rng.choice(steps)[0]
        for lesson_id, step_id in (s for s in steps if s[0] == lesson):
            if rng.random() < 0.05:
                typical.append(Reveal(lesson_id, step_id, seed, at))
                continue
            for tries in range(rng.randint(1, 4), 0, -1):
                at += 1
                if rng.random() < 0.1:
                    typical.append(Attempt(lesson_id, step_id, seed, "x", "invalid", (),
                                           1.0, at))
                right = tries == 1
                diagnosis = () if right or rng.random() < 0.5 else ("transpose",)
                typical.append(Attempt(lesson_id, step_id, seed, "x",
                                       "correct" if right else "incorrect", diagnosis, 1.0,
                                       at))
    flagship = [Attempt("two-layer-sigmoid", f"s{i % 5}", 1, "x", "incorrect",
                        ("transpose",), 5.0, 1.7e9 + i) for i in range(count)]
    worst = [Attempt(*rng.choice(steps), i, "x", rng.choice(("correct", "incorrect")),
                     ("transpose",), 1.0, 1.7e9 + i) for i in range(count)]
    return {"typical": typical[:count], "one_variant": flagship, "worst": worst}


def main(count: int) -> dict:
    from tutor.lessons.load import load_catalog
    from tutor.progress.tracing import DEFAULT, start, trace, update

    step_skills = {(lesson.id, step.id): step.skills
                   for lesson in load_catalog().lessons for step in lesson.steps}
    step_skills |= {("two-layer-sigmoid", f"s{i}"): ("chain-product", "layout")
                    for i in range(5)}
    times: dict[str, float | int] = {"attempts": count}
    for name, events in histories(count, step_skills).items():
        times[name] = round(_best(lambda events=events: trace(events, step_skills)), 1)
    state = start(DEFAULT)
    updates = 10_000
    times["update_us"] = round(_best(lambda: [update(update(state, True, DEFAULT), False,
                                                     DEFAULT) for _ in range(updates)])
                               * 1000 / (2 * updates), 2)
    items = list(range(count))

    def bare_loop() -> None:
        total = 0
        for item in items:
            total += item

    times["python_loop_ms"] = round(_best(bare_loop), 1)
    return times


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)))
