"""The checker's symbolic proofs, in one long-lived worker process that can be killed.

A proof may run for hours on a short answer (sympy's cancel on a near-integer power),
holding the interpreter lock, so it cannot run in the tutor's own process; forking a
child for each proof costs tens of milliseconds in a process the tutor's size. So one
worker (tutor.engine.bounded.Worker) serves every proof of a session: it keeps each
lesson's symbols and sympy's caches warm, and it is killed, and replaced at the next
proof, when one overruns its budget. The tutor's own process never imports sympy for
a check.
"""

from __future__ import annotations

import pickle

from tutor.engine.bounded import Worker
from tutor.engine.nodes import Node, names_in
from tutor.engine.problem import Problem

Proof = bool | str | None  # True (proved), None (undecided), "timeout"
_problems: dict[bytes, Problem] = {}  # in the worker: each lesson's problem, built once


def _spec(problem: Problem) -> bytes:
    """What the worker needs to rebuild a problem: its inputs, definitions and one-hot
    labels with their layouts (sorted: the same problem, the same bytes)."""
    return pickle.dumps((dict(problem.inputs), list(problem.definitions),
                         tuple(sorted(problem.simplex.items()))))


def _handle(payload: bytes) -> Proof:
    """In the worker: one proof, that a node equals another or a derivative."""
    from tutor.engine.symbolic import decide_equal, to_sympy

    spec, node, expected = pickle.loads(payload)
    problem = _problems.get(spec)
    if problem is None:
        inputs, definitions, simplex = pickle.loads(spec)
        problem = _problems[spec] = Problem(inputs, definitions, simplex=dict(simplex))
    if isinstance(expected, tuple):  # (of, wrt): sympy differentiates, here in the worker
        truth = problem.symbolic_derivative(*expected)
        env = problem.symbols(names_in(node))
    else:
        env = problem.symbols(names_in(node) | names_in(expected))
        truth = to_sympy(expected, env)
    return decide_equal(to_sympy(node, env), truth)


def _prepare() -> None:
    """In a new worker, before its first proof: sympy loads outside any proof's budget."""
    import tutor.engine.symbolic  # noqa: F401 - imports sympy


_worker = Worker(_handle, _prepare)


def prove(problem: Problem, node: Node, expected: Node, budget: float) -> Proof:
    """Whether ``node`` equals ``expected`` on ``problem``'s symbols, within ``budget`` s."""
    outcome = _worker.request(pickle.dumps((_spec(problem), node, expected)), budget)
    if not outcome.finished:
        return "timeout"
    if outcome.error is not None:
        return None
    return outcome.value


def prove_derivative(problem: Problem, node: Node, of: str, wrt: str, budget: float) -> Proof:
    """Whether ``node`` is ∂of/∂wrt, differentiated by sympy in the worker, within
    ``budget`` s: how a lesson made in the tutor (from a student's network) is validated
    without sympy in the tutor's own process. (No size bound first, unlike a student's
    answer: sympy shares the network's subtrees, and proves in time derivatives whose
    estimated size is 10⁹; the worker builds only the definitions the proof needs.)"""
    outcome = _worker.request(pickle.dumps((_spec(problem), node, (of, wrt))), budget)
    if not outcome.finished:
        return "timeout"
    if outcome.error is not None:
        return None
    return outcome.value


def warm_up(budget: float = 10.0) -> None:
    """Start the worker and take one proof down the slow route, so that sympy's imports
    (which hold the interpreter lock for long stretches) are out of a student's first
    check, and out of the tutor's own process."""
    from tutor.engine.parser import parse

    problem = Problem({"x": (1, 1)}, [])
    logistic = parse("sigma(x) * (1 - sigma(x))", ["x"])
    rewritten = parse("exp(-x) / (1 + exp(-x))^2", ["x"])
    prove(problem, logistic, rewritten, budget)
