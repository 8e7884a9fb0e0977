"""A network (tutor.networks.reader) turned into an ordinary Lesson, factor by factor.

For each goal ∂OF/∂WRT the generator walks from OF back to WRT through the
definitions, as a student does on paper: a step for each local factor (∂h2/∂z2 =
diag(σ'(z2)), ∂z2/∂h1 = W2), the accumulated upstream factor where the chain needs it
(∂f/∂z1, with `composes` naming the factors), and the goal in the shipped lessons'
layouts: numerator layout for vectors, and for a scalar by a matrix the matrix's
shape (δ xᵀ, `df_dz1.T @ x.T`; ∂f/∂Z for a batch Z).

A quantity that reaches OF along several paths (a skip connection, a weight used
twice, xᵀ A x) gets one copy per use, written into the lesson's definitions
(h1_a = h1), so that each path's contribution is an honest derivative ∂OF/∂h1_a the
validator can check; a step then asks for their sum. The lesson is validated like a
shipped one (finite differences and sympy) before it is returned.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from tutor.engine import EngineError, Node, Shape, names_in, shape_text, to_text
from tutor.engine.nodes import Name, children, with_children
from tutor.engine.tokens import MAX_NAME_LENGTH
from tutor.lessons.model import Lesson, Quantity, Step
from tutor.networks.derivatives import Rules, Unsupported, is_vector, name, size, tr
from tutor.networks.generator_checks import (
    GeneratorError,
    beyond_differences,
    defined_everywhere,
    not_too_long,
    storable,
    within_copies,
    within_limits,
    within_work,
)
from tutor.networks.reader import Network, parse_network
from tutor.networks.step_texts import Texts

# A lesson made from a network is done within TIME_LIMIT s (`new` and the editor's Start;
# the worst network the limits admit takes ~30 s on a loaded 2-core machine): the
# validation work is bounded before it starts (validation.MAX_WORK), sympy's share by
# SYMBOLIC_TOTAL (a proof it cuts rests on finite differences, which bound their own
# error: tutor.engine.differences), and the deadline stops anything else with a message.
SYMBOLIC_TOTAL = 6.0
TIME_LIMIT = 120.0


def layout(gradient: Node, shape: Shape) -> Node:
    """A scalar's gradient (the quantity's shape) in the lessons' layout, and back.

    A column's gradient is asked as a row (numerator layout); rows, scalars and
    matrices keep their shape. The map is its own inverse.
    """
    return tr(gradient) if shape[1] == 1 and shape[0] > 1 else gradient


def factor_shape(of: Shape, wrt: Shape) -> Shape:
    if of == (1, 1):
        return wrt if min(wrt) > 1 else (1, size(wrt))
    return (size(of), size(wrt))


@dataclass
class _Prepared:
    """The network with each multiply-used quantity split into copies, in order."""

    inputs: dict[str, Shape]
    definitions: dict[str, Node]
    shapes: dict[str, Shape]
    copies: dict[str, list[str]] = field(default_factory=dict)


def _between(network: Network, of: str, wrt: str) -> set[str]:
    """The names on a path from wrt up to of, both included."""
    shapes = network.shapes
    return {n for n in shapes
            if (n == wrt or network.depends_on(n, wrt)) and (n == of or network.depends_on(of, n))}


def _rename(node: Node, choose) -> Node:
    """The tree with each Name replaced by choose(name) (called in reading order)."""
    if isinstance(node, Name):
        return dataclasses.replace(node, name=choose(node.name))
    kids = children(node)
    return with_children(node, tuple(_rename(child, choose) for child in kids)) if kids else node


def _prepare(network: Network) -> _Prepared:
    relevant: set[str] = set()
    for goal in network.goals:
        relevant |= _between(network, goal.of, goal.wrt)
    uses: dict[str, int] = {}
    for definition in network.definitions:
        if definition.name in relevant:
            for leaf in _leaves(definition.node):
                if leaf in relevant:
                    uses[leaf] = uses.get(leaf, 0) + 1
            within_copies(uses, definition)
    taken = set(network.shapes)
    copies: dict[str, list[str]] = {}
    for quantity, count in uses.items():
        if count > 1:
            copies[quantity] = [_fresh(f"{quantity}_{_letters(i)}", taken)
                                for i in range(count)]
    inputs = {i.name: i.shape for i in network.inputs}
    shapes = dict(inputs)
    definitions: dict[str, Node] = {}
    pending = {quantity: list(names) for quantity, names in copies.items()}

    def add_copies(quantity: str) -> None:
        for copy in copies.get(quantity, ()):
            definitions[copy] = name(quantity)
            shapes[copy] = shapes[quantity]

    for quantity in inputs:
        add_copies(quantity)
    for definition in network.definitions:
        node = definition.node
        if definition.name in relevant:
            node = _rename(node, lambda n: pending[n].pop(0) if pending.get(n) else n)
        definitions[definition.name] = node
        shapes[definition.name] = definition.shape
        add_copies(definition.name)
    return _Prepared(inputs, definitions, shapes, copies)


def _leaves(node: Node) -> list[str]:
    if isinstance(node, Name):
        return [node.name]
    return [leaf for child in children(node) for leaf in _leaves(child)]


def _letters(index: int) -> str:
    """a, b, …, z, aa, ab, …: a copy's suffix, a name the parser reads (past z, chr
    would give '{')."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


def _fresh(wanted: str, taken: set[str]) -> str:
    while wanted in taken:
        wanted += "_"
    taken.add(wanted)
    return wanted


class _Walk:
    """The steps for the goals of one network, each factor made once and reused."""

    def __init__(self, prepared: _Prepared, network: Network) -> None:
        self.p = prepared
        self.network = network
        self.steps: list[Step] = []
        self.expanded: dict[str, Node] = {}  # each step's key, in the network's names
        self.lazy: dict[tuple[str, str], tuple[str | None, list[str]]] = {}
        self.made: dict[tuple[str, str], str] = {}
        self.texts = Texts(prepared.definitions, prepared.shapes, prepared.copies)

    # -- the graph ------------------------------------------------------------------
    def reaches(self, of: str, node: str) -> bool:
        if node == of:
            return True
        reached = {node}
        for quantity, expression in self.p.definitions.items():
            if names_in(expression) & reached:
                reached.add(quantity)
        return of in reached

    def consumer(self, of: str, node: str) -> str:
        users = [q for q, e in self.p.definitions.items()
                 if node in names_in(e) and self.reaches(of, q)]
        assert len(users) == 1, (node, users)  # copies leave one use on the way to of
        return users[0]

    # -- steps ----------------------------------------------------------------------
    def step_id(self, of: str, wrt: str) -> str:
        """d{of}_d{wrt}, a name a student can type in a product of factors; step{n} when
        that would be past the parser's 40 characters of a name."""
        wanted = f"d{of}_d{wrt}"
        if len(wanted) > MAX_NAME_LENGTH - 3:
            wanted = f"step{len(self.steps) + 1}"
        while wanted in self.p.shapes:
            wanted += "_"
        return wanted

    def add(self, of: str, wrt: str, key: Node, composes: str | None, kind: str,
            **context) -> str:
        made = self.made.get((of, wrt))
        if made is not None:
            return made
        try:
            not_too_long(key, of, wrt)
        except GeneratorError as error:  # said at the definition that makes it, if one does
            where = self.network.definition(of if kind == "local" else context.get("user") or "")
            if where is not None:
                error.line, error.column = where.line, 1
            raise
        step_id = self.step_id(of, wrt)
        storable(len(self.steps), step_id, of, wrt)
        shape = factor_shape(self.p.shapes[of], self.p.shapes[wrt])
        within_limits(self.network, [*self.p.shapes, *(s.id for s in self.steps)], to_text(key),
                      composes, of, wrt, kind, context.get("user"))
        words = self.texts.for_step(kind, of, wrt, shape, key, composes=composes, **context)
        self.steps.append(Step(id=step_id, of=of, wrt=wrt, prompt=words.prompt,
                               answer=to_text(key), shape=shape, hints=words.hints,
                               mistakes=words.mistakes, note=words.note, composes=composes))
        self.expanded[step_id] = key
        self.made[(of, wrt)] = step_id
        return step_id

    def rules(self, target: str) -> Rules:
        shapes = dict(self.p.shapes) | {s.id: s.shape for s in self.steps}
        return Rules(shapes, target)

    def chain(self, of: str, node: str) -> tuple[str | None, list[str]]:
        """The upstream factor ∂of/∂node as (a step, the local steps still to multiply)."""
        if node == of:
            return (None, [])
        cached = self.lazy.get((of, node))
        if cached is not None:
            return cached
        result = self._chain(of, node)
        self.lazy[(of, node)] = result
        return result

    def _chain(self, of: str, node: str) -> tuple[str | None, list[str]]:
        copies = [c for c in self.p.copies.get(node, ()) if self.reaches(of, c)]
        if len(copies) == 1:
            return self.chain(of, copies[0])
        if copies:
            parts = [self.upstream(of, copy) for copy in copies]
            key = self.expanded[parts[0]]
            for part in parts[1:]:
                key = _plus(key, self.expanded[part])
            return (self.add(of, node, key, " + ".join(parts), "sum", parts=parts), [])
        user = self.consumer(of, node)
        shapes = self.p.shapes
        if is_vector(shapes[node]) and is_vector(shapes[user]):
            try:
                local = self.rules(user).jacobian(self.p.definitions[user], node)
            except Unsupported as error:
                if shapes[of] != (1, 1):  # no gradient to fall back on: say why, where
                    raise self._unsupported(of, node, user, error) from None
                local = None
            if local is not None:
                base, factors = self.chain(of, user)
                step = self.add(user, node, local, None, "local")
                if base is None and not factors:
                    return (step, [])
                return (base, [*factors, step])
        return (self.gradient_step(of, node, user), [])

    def upstream(self, of: str, node: str) -> str:
        """∂of/∂node as one step: the accumulated factor, asked for where it is needed."""
        base, factors = self.chain(of, node)
        if not factors:
            assert base is not None
            return base
        ids = ([base] if base else []) + factors
        key = self.expanded[ids[0]]
        for part in ids[1:]:
            key = _matmul(key, self.expanded[part])
        return self.add(of, node, key, " @ ".join(ids), "chain", parts=ids)

    def gradient_step(self, of: str, node: str, user: str) -> str:
        if self.p.shapes[of] != (1, 1):
            if is_vector(self.p.shapes[node]) and not is_vector(self.p.shapes[user]):
                raise self._through_matrix(of, node, user)
            raise _tensor(of, node, self.p.shapes, self.network)
        user_shape = self.p.shapes[user]
        if user == of:
            upstream_key = upstream_id = _one()
            composes = None
        else:
            up = self.upstream(of, user)
            upstream_key = layout(self.expanded[up], user_shape)
            upstream_id = layout(name(up), user_shape)
        rules = self.rules(user)
        expression = self.p.definitions[user]
        shape = self.p.shapes[node]
        try:
            key = layout(rules.backward(expression, node, upstream_key), shape)
            if user != of:
                composes = to_text(layout(rules.backward(expression, node, upstream_id), shape))
        except Unsupported as error:
            raise self._unsupported(of, node, user, error) from None
        return self.add(of, node, key, composes, "gradient", user=user,
                        upstream=None if user == of else up)


    def _through_matrix(self, of: str, node: str, user: str) -> GeneratorError:
        """A Jacobian between vectors whose path passes a matrix: the tensor is there, so
        it is said at that definition (∂h/∂c is 3×3, but ∂h/∂M is not a matrix)."""
        shapes, network = self.p.shapes, self.network
        original = next((q for q, names in self.p.copies.items() if node in names), node)
        goal = next((g for g in network.goals if g.of == of), None)
        wrt = goal.wrt if goal is not None else original
        where = network.definition(user)
        top = _unused("L", network)
        return GeneratorError(
            f"∂{of}/∂{wrt} passes through {user}, a {shape_text(shapes[user])} matrix, and "
            f"∂{of}/∂{user} would be a 3-tensor ({shape_text(shapes[of])} by "
            f"{shape_text(shapes[user])}): the tutor asks only for Jacobians between vectors "
            f"and for gradients of a scalar, each step a matrix. Put a scalar on top of {of}, "
            f"such as {top} = sum({of}), and ask for d{top}/d{wrt}.",
            where.line if where is not None else None, 1)

    def _unsupported(self, of: str, node: str, user: str, error: Unsupported
                     ) -> GeneratorError:
        """A rule that failed, said at the definition it failed on (user, or the quantity
        it copies), not at the goal."""
        where = self.network.definition(user)
        message = f"cannot write ∂{of}/∂{node}: {error}.".replace("..", ".")
        for quantity, names in self.p.copies.items():  # in the network's names, not x_a
            for copy in names:
                message = re.sub(rf"\b{re.escape(copy)}\b", quantity, message)
        return GeneratorError(message, where.line if where is not None else None, 1)


def _one() -> Node:
    from tutor.networks.derivatives import number

    return number(1)


def _plus(left: Node, right: Node) -> Node:
    from tutor.networks.derivatives import plus

    return plus(left, right)


def _matmul(left: Node, right: Node) -> Node:
    from tutor.networks.derivatives import matmul

    return matmul(left, right)


def _tensor(of: str, node: str, shapes: dict[str, Shape], network: Network) -> GeneratorError:
    goal = next((g for g in network.goals if g.of == of), None)
    vectors = [n for n, s in shapes.items() if is_vector(s) and n != of and n in network.shapes
               and network.depends_on(of, n)]
    example = f"d{of}/d{vectors[0]}" if vectors else None
    wrt = goal.wrt if goal else node
    scalars = [d.name for d in network.definitions
               if shapes.get(d.name) == (1, 1) and network.depends_on(d.name, of)]
    if scalars:  # the network has its scalar on top already
        return GeneratorError(
            f"∂{of}/∂{node} would be a 3-tensor ({shape_text(shapes[of])} by "
            f"{shape_text(shapes[node])}): the tutor asks only for Jacobians between vectors "
            f"and for gradients of a scalar. {scalars[-1]} is a scalar computed from {of}: "
            f"ask for d{scalars[-1]}/d{wrt}" + (f"; or for a vector, such as {example}."
                                                if example else "."),
            goal.line if goal else None, 1)
    top, target = _unused("L", network), _unused("y", network)
    return GeneratorError(
        f"∂{of}/∂{node} would be a 3-tensor ({shape_text(shapes[of])} by "
        f"{shape_text(shapes[node])}): the tutor asks only for Jacobians between vectors and "
        f"for gradients of a scalar. Put a scalar on top of {of}, such as {top} = sum({of}) "
        f"or a loss {top} = 0.5 * sum(({of} - {target})^2) (with an input {target} of "
        f"{of}'s shape), and ask for d{top}/d{wrt}"
        + (f"; or ask for a vector, such as {example}." if example else "."),
        goal.line if goal else None, 1)


def _unused(wanted: str, network: Network) -> str:
    """A name the network does not use yet, for a line the student is told to add."""
    taken = set(network.shapes)
    return next(f"{wanted}{n or ''}" for n in range(len(taken) + 2)
                if n != 1 and f"{wanted}{n or ''}" not in taken)


def generate(network: Network, lesson_id: str = "your-network", title: str | None = None,
             symbolic_budget: float = 2.0, *, validate: bool = True,
             progress: Callable[[int, int], None] | None = None,
             time_limit: float | None = None) -> Lesson:
    """The lesson for ``network``, validated; raises GeneratorError with the reason.

    ``validate=False`` only builds it (what a network editor needs as the student types:
    whether it can be asked, and its steps); a student never works on such a lesson.
    ``progress`` is validate_lesson's. Past ``time_limit`` seconds it stops with a
    GeneratorError saying how far it got.
    """
    import time

    from tutor.lessons.validation import FD_UNDECIDED, OutOfTime, validate_lesson

    deadline = None if time_limit is None else time.monotonic() + time_limit

    prepared = _prepare(network)
    walk = _Walk(prepared, network)
    goal_ids, ends = [], []
    for goal in network.goals:
        shapes = prepared.shapes
        if min(shapes[goal.of]) > 1:
            raise GeneratorError(
                f"{goal.of} is a {shape_text(shapes[goal.of])} matrix: ∂{goal.of}/∂{goal.wrt} "
                f"would be a tensor. Ask for the gradient of a scalar computed from "
                f"{goal.of} ({_unused('L', network)} = sum({goal.of}), say).", goal.line, 1)
        try:
            goal_ids.append(walk.upstream(goal.of, goal.wrt))
        except GeneratorError as error:
            if error.line is None:
                error.line = goal.line
            raise
        except EngineError as error:  # a rule met a limit of the answer language
            raise GeneratorError(f"cannot write the steps of d{goal.of}/d{goal.wrt}: "
                                 f"{error.message}", goal.line, 1) from None
        ends.append(len(walk.steps))
    texts = walk.texts
    lesson = Lesson(
        id=lesson_id,
        title=title or network.title or texts.title(network.goals),
        intro=texts.intro(network, prepared.definitions),
        quantities={i.name: Quantity(i.name, i.shape, i.draw, per=i.per,
                                     about=f"an input, {shape_text(i.shape)}")
                    for i in network.inputs},
        definitions={q: to_text(e) for q, e in prepared.definitions.items()},
        steps=walk.steps,
        goal=goal_ids[-1],
    )
    defined_everywhere(lesson, network)
    within_work(lesson, network, ends)
    if not validate:
        return lesson
    try:
        findings = validate_lesson(lesson, symbolic_budget, progress=progress, notes=False,
                                   deadline=deadline, symbolic_total=SYMBOLIC_TOTAL)
    except OutOfTime as stopped:
        raise GeneratorError(
            f"making the lesson took longer than its time limit of {time_limit:g} s "
            f"({stopped.done} of {stopped.total} factors checked), so it stopped. Ask fewer "
            "goals, or make the network shallower or its sizes smaller") from None
    errors = [f for f in findings if f.error]
    if errors and all(FD_UNDECIDED in f.message for f in errors):
        raise beyond_differences(lesson, network, [f.step or "" for f in errors])
    if errors:
        shown = [_shortened(str(f)) for f in errors[:3]]
        more = f"\n… and {len(errors) - 3} more" if len(errors) > 3 else ""
        raise GeneratorError("the generated lesson failed its own checks, so it is not shown "
                             "(a fault of the generator: please report this network):\n"
                             + "\n".join(shown) + more)
    return lesson


def _shortened(text: str, most: int = 400) -> str:
    return text if len(text) <= most else text[:most - 1] + "…"


def generate_from_text(text: str, lesson_id: str = "your-network",
                       symbolic_budget: float = 2.0, **options) -> Lesson:
    return generate(parse_network(text), lesson_id, symbolic_budget=symbolic_budget, **options)
