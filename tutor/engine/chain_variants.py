"""The wrong variants of a step's chain: the answers a student writes after one slip.

Why this exists: the mistakes students make most in backpropagation are structural — a
factor of the chain left out (the posted answer this project was born from dropped W2),
one too many (repeated, or taken from elsewhere in the lesson), two swapped, one
transposed, σ′ taken at a layer's output instead of its input. An author cannot predict
all of them on every step, but they all follow from the key's chain; each is made here
from the chain's term, once per step. Which of them are kept (valid shapes, values that
differ from the key's) is the chain's business (tutor.engine.chains.derive); what is said
about a match is in tutor.engine.chain_words.

The chain's module imports this one; this one names the chain and its builder only for
the type checker, so the imports go one way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tutor.engine import numbers
from tutor.engine.chain_terms import (
    PRODUCTS,
    Atom,
    Group,
    Link,
    Term,
    groups_of,
    named,
    placeholder,
    replaced,
    shown,
)
from tutor.engine.errors import EngineError
from tutor.engine.functions import FUNCTIONS, Shape
from tutor.engine.nodes import BinOp, Call, Name, Node, children, substitute, with_children
from tutor.engine.numbers import EXACT
from tutor.engine.numeric import evaluate
from tutor.engine.parser import parse
from tutor.engine.shapes import infer_shape

if TYPE_CHECKING:
    from tutor.engine.chains import Builder, Chain, StepFactor
    from tutor.engine.problem import Problem


@dataclass(frozen=True)
class Variant:
    """A structural variant of the key: what the answer would be after one slip."""

    code: str  # missing-factor, extra-factor, order, factor-transposed, wrong-point
    about: tuple[Atom, ...]  # the factors it names: one, or the two swapped
    term: Term
    shape: Shape
    placeholder: Node  # the term over names "_0", "_1", … (one per link) for evaluation
    repeated: bool = False  # extra-factor: a link of the chain written twice
    # missing-factor: the factors before and after the missing one in its product, and
    # that product's operation (where a factor sits matters in a matrix product only)
    near: tuple[Atom | None, Atom | None] = (None, None)
    within: str = "@"
    place: str = ""  # "left" / "right" end of the whole product, or "" (inside it)


def generate(chain: Chain, builder: Builder, steps: Mapping[str, StepFactor],
             problem: Problem) -> list[Variant]:
    """Every variant of one slip on the chain's term (some of them ill-shaped or equal
    to the key: derive keeps the others)."""
    shapes = builder.shapes
    term = chain.term
    out: list[Variant] = []

    def add(code: str, about: tuple[Atom, ...], new: Term, **extra) -> None:
        node = placeholder(new)
        try:
            shape = infer_shape(node, {f"_{i}": s for i, s in enumerate(shapes)})
        except EngineError:
            return
        out.append(Variant(code, about, new, shape, node, **extra))

    groups = [(path, group) for path, group in groups_of(term)]
    for path, group in groups:  # each factor left out
        for i, item in enumerate(group.items):
            if isinstance(item, Atom):
                before = group.items[i - 1] if i else None
                after = group.items[i + 1] if i + 1 < len(group.items) else None
                near = tuple(x if isinstance(x, Atom) else None for x in (before, after))
                ends = {0: "left", len(group.items) - 1: "right"} if not path else {}
                add("missing-factor", (item,),
                    replaced(term, path, group.items[:i] + group.items[i + 1:]), near=near,
                    within=group.op, place=ends.get(i, ""))
    for path, group in groups:  # each factor repeated
        for i, item in enumerate(group.items):
            if isinstance(item, Atom):
                add("extra-factor", (item,),
                    replaced(term, path, group.items[:i + 1] + group.items[i:]), repeated=True)
    if groups:  # a factor from elsewhere in the lesson inserted
        for atom in _candidates(builder, steps, problem):
            for path, group in groups:
                for i in range(len(group.items) + 1):
                    add("extra-factor", (atom,),
                        replaced(term, path, group.items[:i] + (atom,) + group.items[i:]))
    for path, group in groups:  # adjacent factors swapped
        if group.op != "@":
            continue  # elementwise products commute
        for i in range(len(group.items) - 1):
            first, second = group.items[i], group.items[i + 1]
            if isinstance(first, Atom) and isinstance(second, Atom):
                swapped = (*group.items[:i], second, first, *group.items[i + 2:])
                add("order", (first, second), replaced(term, path, swapped))
    if groups:  # each factor transposed (a lone factor transposed is the transpose slip)
        for path, group in groups:
            for i, item in enumerate(group.items):
                if isinstance(item, Atom):
                    flipped = Atom(item.link, not item.transposed)
                    add("factor-transposed", (flipped,), replaced(
                        term, path, (*group.items[:i], flipped, *group.items[i + 1:])))
    for original, new in _wrong_points(chain, builder, problem):
        add("wrong-point", (new,), new_term(term, original, new))
    return out


def new_term(term: Term, original: tuple[Atom, ...] | int, new: Atom) -> Term:
    """``term`` with a link (every atom of it) or a run of atoms replaced by ``new``."""
    if isinstance(original, int):
        def swap(t: Term) -> Term:
            if isinstance(t, Atom):
                return Atom(new.link, t.transposed) if t.link == original else t
            return Group(t.op, tuple(swap(item) for item in t.items))

        return swap(term)
    for path, group in groups_of(term):
        items = group.items
        for i in range(len(items) - len(original) + 1):
            if items[i:i + len(original)] == original:
                return replaced(term, path, (*items[:i], new, *items[i + len(original):]))
    return term


def _candidates(builder: Builder, steps: Mapping[str, StepFactor], problem: Problem):
    """The lesson's inputs and its other steps' single factors, not already in the chain."""
    present = {builder.links[i].node for i in range(builder.own)}
    seen = set(present) | {shown(node, True) for node in present}
    found: list[tuple[Node, str | None, bool]] = []
    for name in problem.inputs:
        found.append((Name(0, 0, name), None, False))
    for step in steps.values():
        if not (isinstance(step.expected, BinOp) and step.expected.op in PRODUCTS):
            found.append((step.expected, step.label, True))
    for node, label, is_step in found:
        if node in seen:
            continue
        seen.add(node)
        yield builder.atom(Link(node, label, step=is_step))


def activations(problem: Problem) -> list[tuple[str, Node, str, Node, Node]]:
    """(function, input, output, σ′(input), σ′(output)) for each layer h = σ(input)."""
    found = []
    for name, node in problem.definitions:
        function = FUNCTIONS.get(node.func) if isinstance(node, Call) else None
        if function is not None and function.elementwise and function.derivative:
            rule = parse(function.derivative.format(arg="t", out=f"{function.name}(t)"), ["t"])
            found.append((node.func, node.args[0], name, substitute(rule, "t", node.args[0]),
                          substitute(rule, "t", Name(0, 0, name))))
    return found


def _wrong_points(chain: Chain, builder: Builder, problem: Problem):
    """σ′(output) for σ′(input): inside a factor, or for a run of elementwise factors."""
    layers = activations(problem)
    if not layers:
        return
    samples = problem.samples
    for function, argument, output, at_input, at_output in layers:
        truth = [evaluate(at_input, point) for point in samples]
        want = infer_shape(argument, problem.shapes)
        point = (function, argument, output)
        for index in range(builder.own):
            link = builder.links[index]
            replaced = _replace_equal(link.node, truth, want, at_output, problem)
            if replaced is not None:
                yield index, builder.atom(Link(replaced, link.label, link.step, point))
        for _path, group in groups_of(chain.term):
            if group.op != "*":
                continue
            for i in range(len(group.items)):
                for j in range(i + 2, len(group.items) + 1):
                    run = group.items[i:j]
                    if not all(isinstance(a, Atom) for a in run):
                        continue
                    values = [evaluate(placeholder(Group("*", run)), named(
                        [evaluate(link.node, p) for link in builder.links])) for p in samples]
                    if same_as_key(values, truth):
                        yield run, builder.atom(Link(at_output, None, False, point))


def _replace_equal(node: Node, truth, shape: Shape, replacement: Node, problem: Problem
                   ) -> Node | None:
    """``node`` with its largest sub-expression equal to σ′(input) put as σ′(output)."""
    if not isinstance(node, Name) and _names(node):
        try:
            fits = infer_shape(node, problem.shapes) == shape
        except EngineError:
            fits = False
        if fits and same_as_key([evaluate(node, p) for p in problem.samples], truth):
            return replacement
    parts = children(node)
    for index, child in enumerate(parts):
        inner = _replace_equal(child, truth, shape, replacement, problem)
        if inner is not None:
            return with_children(node, (*parts[:index], inner, *parts[index + 1:]))
    return None


def _names(node: Node) -> bool:
    return isinstance(node, Name) or any(_names(child) for child in children(node))


def same_as_key(values: Sequence[np.ndarray], key_values: Sequence[np.ndarray]) -> bool:
    """Equal to the key's values (exactly, up to rounding) wherever both are finite."""
    pairs = [(v, k) for v, k in zip(values, key_values, strict=True)
             if np.all(np.isfinite(k)) and np.all(np.isfinite(v))]
    return bool(pairs) and all(numbers.close(v, k, EXACT) for v, k in pairs)
