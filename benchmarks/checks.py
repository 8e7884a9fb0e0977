"""Answer-check latency: every step of every shipped lesson, four or five kinds of answer each
(a structural variant of the key where its chain has one).

Run as a module by benchmarks/run.py (in a fresh process, so the first check is cold).
Prints one JSON object on stdout.
"""

from __future__ import annotations

import json
import statistics
import sys
import time

import numpy as np

from tutor.engine import Factor, Problem, check_answer, parse
from tutor.engine.chain_terms import expression
from tutor.engine.chains import chain_of
from tutor.engine.mutations import mutations_of, pairs_of
from tutor.engine.nodes import to_text
from tutor.lessons.load import load_catalog


def literal(value: np.ndarray) -> str:
    return "[" + "; ".join(" ".join(f"{v:.6g}" for v in row) for row in value) + "]"


def answers_for(lesson, step) -> dict[str, str]:
    key = step.answer
    value = lesson.variant(1).values
    from tutor.engine import evaluate

    numbers = evaluate(lesson.factors[step.id].expected, value)
    answers = {
        "key": key,
        "rewrite": f"(({key}).T).T + 0.5*({key}) - 0.5*({key})",
        "wrong": f"({key}) + 0.1",  # matches no variant: every candidate is compared
        "numbers": literal(numbers),
    }
    chain = chain_of(lesson.factors[step.id], lesson.problem)
    if chain.variants:  # a structural slip the chain finds (its first variant)
        answers["variant"] = to_text(expression(chain.variants[0].term, chain.links))
    mutations = mutations_of(lesson.factors[step.id], lesson.problem)
    for mutant in mutations.singles:  # a slip inside a factor (the first that is wrong here)
        if not np.allclose(mutations.value(mutant.node, value), numbers):
            answers["mutation"] = to_text(mutant.node)
            break
    return answers


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def summarise(times: list[float]) -> dict:
    return {
        "n": len(times),
        "p50_ms": statistics.median(times),
        "p95_ms": percentile(times, 95),
        "max_ms": max(times),
    }


def lesson_latency() -> dict:
    start = time.perf_counter()
    catalog = load_catalog()
    load_ms = (time.perf_counter() - start) * 1000
    # Cold: the first check in the process that needs sympy (imports it, fills caches).
    first = catalog.get("two-layer-sigmoid")
    start = time.perf_counter()
    # A rewrite, not the key itself: the key is recognised as the same tree without sympy.
    first.check(first.steps[0].id, f"(({first.steps[0].answer}).T).T")
    cold_ms = (time.perf_counter() - start) * 1000
    warm: list[float] = []
    by_kind: dict[str, list[float]] = {}
    slowest = ("", 0.0)
    for _ in range(2):  # the first pass fills sympy's caches for every lesson
        warm.clear()
        by_kind.clear()
        slowest = ("", 0.0)
        for lesson in catalog.lessons:
            for step in lesson.steps:
                for kind, text in answers_for(lesson, step).items():
                    start = time.perf_counter()
                    lesson.check(step.id, text)
                    elapsed = (time.perf_counter() - start) * 1000
                    warm.append(elapsed)
                    by_kind.setdefault(kind, []).append(elapsed)
                    if elapsed > slowest[1]:
                        slowest = (f"{lesson.id}/{step.id}/{kind}", elapsed)
    return {
        "lessons": len(catalog.lessons),
        "catalog_load_ms": load_ms,
        "cold_first_check_ms": cold_ms,
        "warm": summarise(warm),
        "warm_by_kind": {kind: summarise(times) for kind, times in by_kind.items()},
        "slowest": {"case": slowest[0], "ms": slowest[1]},
    }


def network(depth: int, width: int) -> tuple[Problem, str, str]:
    """A sigmoid network of ``depth`` layers of ``width`` units, and ∂f/∂W1's key + a rewrite."""
    inputs = {"x": (width, 1), "v": (width, 1)}
    definitions: dict[str, str] = {}
    previous = "x"
    for layer in range(1, depth + 1):
        inputs[f"W{layer}"] = (width, width)
        definitions[f"z{layer}"] = f"W{layer} @ {previous}"
        definitions[f"h{layer}"] = f"sigma(z{layer})"
        previous = f"h{layer}"
    definitions["f"] = f"v.T @ h{depth}"
    row = "v.T"
    for layer in range(depth, 0, -1):
        row += f" @ diag(h{layer}*(1-h{layer}))"
        if layer > 1:
            row += f" @ W{layer}"
    key = f"({row}).T @ x.T"
    column = " @ ".join(
        part
        for layer in range(1, depth + 1)
        for part in ([f"diag(h{layer}*(1-h{layer}))"] + ([f"W{layer + 1}.T"] if layer < depth
                                                          else []))
    )
    rewrite = f"{column} @ v @ x.T"
    # W2 left out (the posted answer's slip), and the same chain with ∂h1/∂z1 transposed
    # and W2 doubled: wrong answers that the chain finds and that it does not.
    missing = key.replace(" @ W2", "", 1)
    unfound = key.replace(" @ W2", " @ W2 @ W2.T @ W1", 1)
    return Problem.from_text(inputs, definitions), key, rewrite, missing, unfound


def growth() -> list[dict]:
    """Per network: the median of 3 checks of each answer; for wrong answers also the
    first check, which derives the step's chain and its variants (once per step)."""
    rows = []
    for depth in (2, 4, 8):
        for width in (2, 4, 8):
            problem, key, rewrite, missing, unfound = network(depth, width)
            displayed = problem.samples[0]
            node = parse(key, problem.names)
            factor = Factor(node, (width, width), "∂f/∂W1")
            row = {"depth": depth, "width": width}
            for kind, text in (("missing", missing), ("unfound", unfound), ("key", key),
                               ("rewrite", rewrite)):
                times, verdict = [], None
                for _ in range(3):
                    start = time.perf_counter()
                    verdict = check_answer(text, factor, problem, displayed)
                    times.append((time.perf_counter() - start) * 1000)
                row[f"{kind}_ms"] = statistics.median(times)
                if kind in ("missing", "unfound"):
                    row[f"{kind}_first_ms"] = times[0]
                    assert verdict.verdict == "incorrect", (depth, width, kind)
                    assert ("missing-factor" in verdict.diagnosis) == (kind == "missing")
                else:
                    row[f"{kind}_symbolic"] = verdict.symbolic
                    assert verdict.correct, (depth, width, kind, verdict.feedback)
            row["variants"] = len(chain_of(factor, problem).variants)
            mutations = mutations_of(factor, problem)
            row["mutations"] = len(mutations.singles)
            row["pairs"] = len(pairs_of(mutations, factor, problem))
            rows.append(row)
    return rows


def main() -> None:
    which = sys.argv[1] if len(sys.argv) > 1 else "latency"
    result = lesson_latency() if which == "latency" else growth()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
