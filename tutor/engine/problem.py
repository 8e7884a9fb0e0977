"""A problem: named input quantities with shapes, and forward definitions in order.

It answers three questions the checker and the lesson validator ask: what shape
has each name, what value does each name take for given inputs (numerically, or as
explicit sympy components), and what is the true derivative of one name with
respect to another.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from tutor.engine import onehot
from tutor.engine.errors import EngineError
from tutor.engine.functions import FUNCTIONS, Shape, shape_text
from tutor.engine.nodes import (
    NUMBER_SCREEN,
    SCREEN,
    BinOp,
    Call,
    Glyphs,
    Matrix,
    Name,
    Node,
    children,
    names_in,
)
from tutor.engine.numeric import evaluate
from tutor.engine.parser import parse
from tutor.engine.shapes import infer_shape
from tutor.engine.tokens import MATRICES, NUMBERS, Wording

if TYPE_CHECKING:
    import sympy

Values = dict[str, np.ndarray]
Sampler = Callable[[np.random.Generator], Values]
SAMPLE_SEED = 20261124
# Past this estimated size (operations per entry), sympy's tree walks alone take longer
# than a student should wait, so the check stops at the numeric verdict.
MAX_SYMBOLIC_SIZE = 20000


@dataclass
class Problem:
    inputs: dict[str, Shape]
    definitions: list[tuple[str, Node]]
    sampler: Sampler | None = None
    sample_count: int = 4
    # One-hot labels, and the layout of a matrix's 1s ("row", "column"; None: column):
    # each group of entries (tutor.engine.onehot) sums to 1. A set of names is taken
    # as every one of them with the default layout.
    simplex: Mapping[str, str | None] = field(default_factory=dict)
    # What each input is, in the lesson's words ("first layer's weights"): the diagnoses
    # say what a quantity typed in the wrong place is.
    about: dict[str, str] = field(default_factory=dict, compare=False)
    shapes: dict[str, Shape] = field(init=False)
    sizes: dict[str, int] = field(init=False)
    _symbols: dict[str, sympy.Matrix] = field(init=False, repr=False, compare=False,
                                              default_factory=dict)
    _downstream_cache: dict[tuple[str, str], list[tuple[str, Node]]] = field(
        init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.simplex, Mapping):
            self.simplex = dict.fromkeys(self.simplex)
        self.shapes = dict(self.inputs)
        for name, node in self.definitions:
            if name in self.shapes:
                raise EngineError(f"{name} is defined twice.", kind="name")
            try:
                self.shapes[name] = infer_shape(node, self.shapes)
            except EngineError as problem:
                problem.message = f"definition of {name}: {problem.message}"
                raise
        self.sizes = dict.fromkeys(self.inputs, 1)
        for name, node in self.definitions:
            self.sizes[name] = self.symbolic_size(node)

    @property
    def numbers_only(self) -> bool:
        """Every quantity is 1×1: products are plain multiplication, nothing is a matrix."""
        return all(shape == (1, 1) for shape in self.shapes.values())

    @property
    def wording(self) -> Wording:
        """How the parser advises on products: for numbers, * multiplies and @ is unsaid."""
        return NUMBERS if self.numbers_only else MATRICES

    @property
    def glyphs(self) -> Glyphs:
        """How the screen writes an expression: for numbers, one product (·), never ⊙."""
        return NUMBER_SCREEN if self.numbers_only else SCREEN

    def symbolic_size(self, node: Node) -> int:
        """An estimate of the operations in each entry of ``node`` once expanded to inputs.

        Computed on the tree, without sympy, so that an expression too large to prove is
        recognised before sympy starts walking it (deep networks grow exponentially).
        """
        if isinstance(node, Name):
            return self.sizes[node.name]
        parts = [self.symbolic_size(child) for child in children(node)]
        if isinstance(node, BinOp) and node.op == "@":
            inner = infer_shape(node.left, self.shapes)[1]
            return inner * (parts[0] + parts[1] + 1)
        if isinstance(node, Call):
            return FUNCTIONS[node.func].size(
                parts, lambda index: infer_shape(node.args[index], self.shapes)
            )
        if isinstance(node, Matrix):
            return max(parts) + 1
        return sum(parts) + 1

    @classmethod
    def from_text(
        cls,
        inputs: Mapping[str, Shape],
        definitions: Mapping[str, str] | list[tuple[str, str]],
        sampler: Sampler | None = None,
        simplex: Mapping[str, str | None] | frozenset[str] = frozenset(),
    ) -> Problem:
        """Parse definitions in order; a definition may use the inputs and earlier names."""
        known = list(inputs)
        parsed: list[tuple[str, Node]] = []
        items = definitions.items() if isinstance(definitions, Mapping) else definitions
        for name, text in items:
            try:
                parsed.append((name, parse(text, known)))
            except EngineError as problem:
                problem.message = f"definition of {name}: {problem.message}"
                raise
            known.append(name)
        return cls(dict(inputs), parsed, sampler, simplex=simplex)

    @property
    def names(self) -> list[str]:
        return list(self.shapes)

    def forward(self, inputs: Mapping[str, np.ndarray], overrides: Mapping | None = None) -> Values:
        """All values (inputs and intermediates); ``overrides`` pins a name's value."""
        values: Values = {name: np.asarray(inputs[name], dtype=float) for name in self.inputs}
        for name, node in self.definitions:
            if overrides and name in overrides:
                values[name] = np.asarray(overrides[name], dtype=float)
            else:
                values[name] = evaluate(node, values)
        return values

    def draw(self, rng: np.random.Generator) -> Values:
        if self.sampler is not None:
            return self.sampler(rng)
        return {name: rng.normal(size=shape) for name, shape in self.inputs.items()}

    @cached_property
    def samples(self) -> list[Values]:
        """Random draws of every free quantity, the same on every run, with their forward pass."""
        rng = np.random.default_rng(SAMPLE_SEED)
        return [self.forward(self.draw(rng)) for _ in range(self.sample_count)]

    # -- symbolic ------------------------------------------------------------------
    def input_symbols(self) -> dict[str, sympy.Matrix]:
        """Each input as a matrix of component symbols.

        A one-hot label's entries sum to 1, per example in a batch (each column, or each
        row: tutor.engine.onehot); writing each group's last entry as 1 − (the others)
        lets sympy prove identities such as ∂L/∂z = p − y that hold only under that
        constraint.
        """
        import sympy

        from tutor.engine.symbolic import component_symbols

        env = {name: component_symbols(name, *shape) for name, shape in self.inputs.items()}
        for name, per in self.simplex.items():
            shape = self.inputs[name]
            entries = list(env[name])
            for group in onehot.groups(shape, per):
                entries[group[-1]] = 1 - sum(entries[index] for index in group[:-1])
            env[name] = sympy.Matrix(*shape, entries)
        return env

    def symbols(self, names: set[str] | frozenset[str]) -> dict[str, sympy.Matrix]:
        """Each input as a matrix of component symbols, and each definition that ``names``
        need (they and what they are computed from) expanded over them.

        Only those: a proof about the first layer of a deep network must not wait for sympy
        to build its last (each built once, and kept for the problem's later proofs).
        """
        from tutor.engine.symbolic import to_sympy

        needed = set(names)
        for name, node in reversed(self.definitions):
            if name in needed:
                needed |= names_in(node)
        env = self._symbols
        if not env:
            env.update(self.input_symbols())
        for name, node in self.definitions:
            if name in needed and name not in env:
                env[name] = to_sympy(node, env)
        return env

    # -- true derivatives ------------------------------------------------------------
    def derivative_shape(self, of: str, wrt: str) -> Shape:
        """Numerator layout; a scalar's gradient with respect to a matrix has its shape."""
        of_shape, wrt_shape = self.shapes[of], self.shapes[wrt]
        if of_shape == (1, 1):
            return wrt_shape if min(wrt_shape) > 1 else (1, wrt_shape[0] * wrt_shape[1])
        if min(of_shape) == 1 and min(wrt_shape) == 1:
            return (of_shape[0] * of_shape[1], wrt_shape[0] * wrt_shape[1])
        raise EngineError(
            f"∂{of}/∂{wrt} would be a tensor ({shape_text(of_shape)} by "
            f"{shape_text(wrt_shape)}); steps ask for vectors or a scalar's gradient.",
            kind="shape",
        )

    def depends_on(self, of: str, wrt: str) -> bool:
        reached = {wrt}
        for name, node in self.definitions:
            if names_in(node) & reached:
                reached.add(name)
        return of in reached

    def numeric_derivative(self, of: str, wrt: str, values: Values, h: float = 1e-6) -> np.ndarray:
        """Central finite differences of ``of`` in ``wrt``, everything upstream held fixed."""
        shape = self.derivative_shape(of, wrt)
        at = self._at(values)
        base = at[wrt]
        columns = []
        for index in np.ndindex(base.shape):
            plus, minus = base.copy(), base.copy()
            plus[index] += h
            minus[index] -= h
            up = self._value_with(of, wrt, plus, at)
            down = self._value_with(of, wrt, minus, at)
            columns.append(((up - down) / (2 * h)).reshape(-1))
        jacobian = np.stack(columns, axis=1)  # rows: entries of `of`, cols: entries of `wrt`
        return jacobian.reshape(shape)

    def value_with(self, of: str, wrt: str, pinned: np.ndarray, values: Values) -> np.ndarray:
        """``of`` with ``wrt`` pinned to ``pinned`` and every other input at ``values``': one
        forward pass through only the definitions between them (tutor.engine.differences)."""
        return self._value_with(of, wrt, pinned, self._at(values))

    def _at(self, values: Values) -> Values:
        """The forward pass at ``values``' inputs, for the passes that vary one name: the
        values themselves when they hold every name (a variant's or a sample's pass)."""
        if all(name in values for name in self.shapes):
            return values
        return self.forward({name: values[name] for name in self.inputs})

    def _value_with(self, of: str, wrt: str, pinned: np.ndarray, at: Values) -> np.ndarray:
        # Only the definitions wrt reaches, up to of, change; the rest are at's.
        values = dict(at)
        values[wrt] = np.asarray(pinned, dtype=float)
        for name, node in self.downstream(of, wrt):
            values[name] = evaluate(node, values)
        return values[of]

    def downstream(self, of: str, wrt: str) -> list[tuple[str, Node]]:
        """The definitions that wrt reaches, in order, up to of."""
        key, cache = (of, wrt), self._downstream_cache
        if key not in cache:
            reached, found = {wrt}, []
            for name, node in self.definitions:
                if name == wrt:
                    continue
                if names_in(node) & reached:
                    reached.add(name)
                    found.append((name, node))
                if name == of:
                    break
            cache[key] = found
        return cache[key]

    def symbolic_derivative(self, of: str, wrt: str) -> sympy.Matrix:
        """∂of/∂wrt by sympy differentiation of explicit components, expressed in the inputs."""
        import sympy

        from tutor.engine.symbolic import component_symbols, to_sympy

        shape = self.derivative_shape(of, wrt)
        stand_in = component_symbols(f"_{wrt}", *self.shapes[wrt])
        # Only what wrt reaches, up to of, is built again over the stand-in; the rest is the
        # forward pass's, built only as far as those definitions need (sympy builds slowly).
        downstream = self.downstream(of, wrt)
        reached = {wrt} | {name for name, _ in downstream}
        outside = {wrt, of}.union(*(names_in(node) for _, node in downstream)) - (reached - {wrt})
        env = dict(self.symbols(outside))
        actual = env[wrt]
        env[wrt] = stand_in
        for name, node in downstream:
            env[name] = to_sympy(node, env)
        target = env[of]
        jacobian = sympy.Matrix(
            [[sympy.diff(entry, variable) for variable in stand_in] for entry in target]
        )
        jacobian = jacobian.xreplace(dict(zip(stand_in, actual, strict=True)))
        return jacobian.reshape(*shape)
