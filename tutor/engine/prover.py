"""The checker's symbolic proofs, in one long-lived worker process that can be killed.

A proof may run for hours on a short answer (sympy's cancel on a near-integer power),
holding the interpreter lock, so it cannot run in the tutor's own process; forking a
child for each proof costs tens of milliseconds in a process the tutor's size. So one
worker (tutor.engine.bounded.Worker) serves every proof of a session. Its template has
sympy imported and builds each lesson's symbols once, outside any answer's budget
(`prepare`, also done before a lesson's first proof); the process that runs the proofs
is forked from it, so a proof that overruns its budget costs that process, replaced in
milliseconds with the symbols already built, and not the next proof's budget as well.
The tutor's own process never imports sympy for a check. In a lab, the template is
forked from the lab's proof service (tutor.engine.proof_service, CHAIN_TUTOR_PROOFS)
instead, sympy and the shipped lessons' symbols loaded once for every student. Either
way a request is plain data (tutor.engine.wire), never pickle.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from tutor.engine import early, wire
from tutor.engine.early import SERVICE_VARIABLE
from tutor.engine.nodes import Node, names_in
from tutor.engine.problem import Problem
from tutor.engine.worker import Worker, connect_service

Proof = bool | str | None  # True (proved), None (undecided), "timeout"
PREPARE_SECONDS = 30.0  # for a lesson's symbols, once per worker, outside any budget
_problems: dict[bytes, Problem] = {}  # in the worker: each lesson's problem, built once
_prepared: dict[bytes, frozenset[str]] = {}  # in the worker: the names _build builds


def _spec(problem: Problem) -> bytes:
    """What the worker needs to rebuild a problem: its inputs, definitions and one-hot
    labels with their layouts (sorted: the same problem, the same bytes), as plain data
    (tutor.engine.wire: the worker may be a lab's shared service)."""
    return wire.encode(wire.problem_data(dict(problem.inputs), list(problem.definitions),
                                         dict(problem.simplex)))


def _problem(spec: bytes) -> Problem:
    """In the worker: the problem of ``spec``, built once. A step's problem is its lesson's
    with the earlier steps' ids defined after the rest: it starts with the symbols the
    lesson's problem has built (sympy's expressions are never changed in place)."""
    problem = _problems.get(spec)
    if problem is None:
        inputs, definitions, simplex = wire.problem_from(wire.decode(spec))
        problem = Problem(inputs, definitions, simplex=simplex)
        _prepared[spec] = frozenset(problem.names)
        for other in _problems.values():
            if (other.inputs == problem.inputs and other.simplex == problem.simplex
                    and other.definitions == problem.definitions[:len(other.definitions)]):
                problem._symbols.update(other._symbols)
                # The steps' ids defined after the rest are built when an answer names one.
                _prepared[spec] = frozenset(other.names)
                break
        _problems[spec] = problem
    return problem


def _build(spec: bytes) -> bool:
    """In the worker's template: every definition's symbols, for every proof to come (a
    cut leaves those built so far: each is kept as it is made). A step's problem takes
    its lesson's; the earlier steps' ids it defines are built only if an answer uses one.
    False if nothing new was built: the server at work can make the same in no time."""
    problem = _problem(spec)
    copied = len(problem._symbols)  # from its lesson's problem, as a server would copy them
    problem.symbols(_prepared[spec])
    return len(problem._symbols) > copied


def _handle(payload: bytes) -> Proof:
    """In the worker: one proof, that a node equals another or a derivative."""
    from tutor.engine.symbolic import decide_equal, to_sympy

    spec, node, expected = _request_from(payload)
    problem = _problem(spec)
    if isinstance(expected, tuple):  # (of, wrt): sympy differentiates, here in the worker
        truth = problem.symbolic_derivative(*expected)
        env = problem.symbols(names_in(node))
    elif equal_over_atoms(problem, node, expected):
        return True
    else:
        env = problem.symbols(names_in(node) | names_in(expected))
        truth = to_sympy(expected, env)
    return decide_equal(to_sympy(node, env), truth)


def _request(spec: bytes, node: Node, expected: Node | tuple[str, str]) -> bytes:
    wanted = list(expected) if isinstance(expected, tuple) else wire.node_data(expected)
    return wire.encode([spec, wire.node_data(node), isinstance(expected, tuple), wanted])


def _request_from(payload: bytes) -> tuple[bytes, Node, Node | tuple[str, str]]:
    """What _request wrote; ValueError (the request's error) for anything else."""
    data = wire.decode(payload)
    if not (isinstance(data, list) and len(data) == 4 and isinstance(data[0], bytes)):
        raise ValueError("not a proof request")
    spec, node, derivative, wanted = data
    if not derivative:
        return spec, wire.node_from(node), wire.node_from(wanted)
    if not (isinstance(wanted, list) and len(wanted) == 2
            and all(isinstance(name, str) for name in wanted)):
        raise ValueError("not a derivative")
    return spec, wire.node_from(node), (wanted[0], wanted[1])


def equal_over_atoms(problem: Problem, node: Node, expected: Node) -> bool:
    """Whether the two are equal with every quantity they name taken as a matrix of free
    symbols, its definition set aside: then they are equal whatever those quantities
    hold, so at the network's values too. `diag(h6 - h6^2)` against the key
    `diag(h6 * (1 - h6))` is proved in milliseconds this way, where the proof over the
    inputs expands six layers first. Not equal here, they may still be equal through
    the definitions (`sigma(z2)` is h2): only True is a verdict."""
    from tutor.engine.symbolic import component_symbols, decide_equal, to_sympy

    env = {name: component_symbols(name, *problem.shapes[name])
           for name in names_in(node) | names_in(expected)}
    return decide_equal(to_sympy(node, env), to_sympy(expected, env)) is True


def _prepare() -> None:
    """In a new worker's template, before its first proof: sympy loads outside any proof's
    budget, and one proof down the slow route imports the rest of it (the general
    simplifier's combinatorics and tensor modules), so that every server forked from the
    template has them."""
    from tutor.engine.symbolic import decide_equal, to_sympy

    problem, logistic, rewritten = _slow_route()
    env = problem.symbols(frozenset({"x"}))
    decide_equal(to_sympy(logistic, env), to_sympy(rewritten, env))


def _slow_route() -> tuple[Problem, Node, Node]:
    """σ(x)(1 − σ(x)) and e⁻ˣ/(1 + e⁻ˣ)²: equal, but only the general simplifier says so."""
    from tutor.engine.parser import parse

    return (Problem({"x": (1, 1)}, []), parse("sigma(x) * (1 - sigma(x))", ["x"]),
            parse("exp(-x) / (1 + exp(-x))^2", ["x"]))


def _shared_template() -> int | None:
    """A connection to the lab's shared proof service (tutor.engine.proof_service), if
    CHAIN_TUTOR_PROOFS names one that listens; else the worker forks its own."""
    return connect_service(os.environ.get(SERVICE_VARIABLE))


def _template_parts() -> tuple[Callable[[bytes], Any], Callable[[], None],
                                Callable[[bytes], bool]]:
    """What a template forked at the tutor's start serves with, once woken
    (tutor.engine.early)."""
    return _handle, _prepare, _build


_worker = Worker(_handle, _prepare, warm=_build, connect=_shared_template, early=early.adopt())


def prepare(problem: Problem, seconds: float = PREPARE_SECONDS) -> bool:
    """Build ``problem``'s symbols in the worker now (once per worker), so that no proof's
    budget pays for them; False if they were not all built within ``seconds``."""
    return _worker.warm(_spec(problem), seconds).finished


def prove(problem: Problem, node: Node, expected: Node, budget: float) -> Proof:
    """Whether ``node`` equals ``expected`` on ``problem``'s symbols, within ``budget`` s."""
    return _proof(problem, node, expected, budget)


def prove_derivative(problem: Problem, node: Node, of: str, wrt: str, budget: float) -> Proof:
    """Whether ``node`` is ∂of/∂wrt, differentiated by sympy in the worker, within
    ``budget`` s: how a lesson made in the tutor (from a student's network) is validated
    without sympy in the tutor's own process. (No size bound first, unlike a student's
    answer: sympy shares the network's subtrees, and proves in time derivatives whose
    estimated size is 10⁹; the worker builds only the definitions the proof needs.)"""
    return _proof(problem, node, (of, wrt), budget)


def _proof(problem: Problem, node: Node, expected: Node | tuple[str, str], budget: float
           ) -> Proof:
    """One proof in the worker (see _handle), the problem's symbols built first, outside
    ``budget``."""
    spec = _spec(problem)
    _worker.warm(spec, PREPARE_SECONDS)
    outcome = _worker.request(_request(spec, node, expected), budget)
    if not outcome.finished:
        return "timeout"
    if outcome.error is not None:
        return None
    return outcome.value


def warm_up(budget: float = 10.0) -> None:
    """Start the worker (its template imports sympy and takes one proof down the slow
    route) and take that proof once more in its server, so that sympy's imports (which
    hold the interpreter lock for long stretches) are out of a student's first check,
    and out of the tutor's own process."""
    problem, logistic, rewritten = _slow_route()
    prove(problem, logistic, rewritten, budget)
