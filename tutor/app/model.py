"""What the screens show, computed from a lesson and the student's progress.

No Textual here: the chain of factors, the forward graph's spine and where a
student resumes are plain data, so they are tested without a screen and the
widgets only lay them out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache, partial

from tutor.app.notation import pretty, shape_label
from tutor.engine import EngineError, Node, parse
from tutor.engine.nodes import (
    PRECEDENCE,
    SCREEN,
    BinOp,
    Call,
    Glyphs,
    Matrix,
    Name,
    Neg,
    Num,
    Transpose,
    children,
    mixes_products,
    names_in,
    needs_parentheses,
    operand_places,
)
from tutor.lessons.model import Lesson, Step
from tutor.progress import Attempt, LessonState
from tutor.session import (  # noqa: F401 - FactorState, resume_index: for the screens
    FactorState,
    StepName,
    goal_step,
    resume_index,
)
from tutor.session import factor_states as session_factor_states


@lru_cache(maxsize=4096)
def _parsed(text: str, names: tuple[str, ...]) -> Node:
    return parse(text, names)


def parse_once(text: str, names: Sequence[str]) -> Node:
    """``parse``, once per text and names: a redraw (after every verdict) reads the
    lesson's `composes` and every answer shown again, hundreds of parses on a deep
    network; a node never changes, so one can be shared."""
    return _parsed(text, tuple(names))


# -- factors ---------------------------------------------------------------------------
# What each step holds and where a student resumes are progress rules: they live in
# tutor.session. The screens see each answer in math notation, written by ``pretty``.
def pretty_or_none(text: str | None, names: Sequence[str], glyphs: Glyphs = SCREEN
                   ) -> str | None:
    if not text:
        return None
    try:
        return pretty(parse_once(text, names), glyphs)
    except EngineError:
        return None


def factor_states(
    lesson: Lesson, state: LessonState, attempts: Iterable[Attempt]
) -> dict[str, FactorState]:
    return session_factor_states(lesson, state, attempts, screen_notation(lesson))


def screen_notation(lesson: Lesson) -> Callable[[str], str | None]:
    """How the screens write a student's answer: in math notation, as the parser read it."""
    return partial(pretty_or_none, names=lesson.names, glyphs=lesson.problem.glyphs)


# -- the chain of factors ----------------------------------------------------------------
@dataclass(frozen=True)
class Piece:
    """One column of the chain: its label above, its value below.

    ``step_id`` is set for a factor's slot; ``owners`` holds every step whose
    product this piece is part of, so the current step's whole group lights up.
    """

    top: str
    bottom: str
    step_id: str | None = None
    owners: frozenset[str] = field(default_factory=frozenset)
    literal: bool = False  # a quantity or number of a `composes` (xᵀ), not a step's slot


def chain_step(lesson: Lesson, step: Step) -> Step:
    """The step whose chain the header shows while ``step`` is asked: the one it is a
    factor of. The goal's own chain for the goal and its factors; else the outermost
    product holding it (the first in the lesson, if several); ``step`` itself when it
    is in none."""
    within = _factors_within(lesson)
    goal = goal_step(lesson)
    if step.id == goal.id or step.id in within[goal.id]:
        return goal
    holding = [outer for outer in lesson.steps if step.id in within[outer.id]]
    if not holding:
        return step
    outermost = [outer for outer in holding
                 if not any(outer.id in within[other.id] for other in holding)]
    return (outermost or holding)[0]


def _factors_within(lesson: Lesson) -> dict[str, set[str]]:
    """Each step's factors, following `composes` all the way down (itself excluded)."""
    steps = {step.id: step for step in lesson.steps}
    names = list(lesson.names) + list(steps)
    direct: dict[str, set[str]] = {}
    for step in lesson.steps:
        try:
            node = parse_once(step.composes, names) if step.composes else None
        except EngineError:
            node = None
        direct[step.id] = ({name for name in _names_in_order(node) if name in steps}
                           if node is not None else set())
    within: dict[str, set[str]] = {}
    for step_id in steps:
        seen: set[str] = set()
        todo = list(direct[step_id])
        while todo:
            inner = todo.pop()
            if inner not in seen and inner != step_id:
                seen.add(inner)
                todo.extend(direct[inner])
        within[step_id] = seen
    return within


def chain_pieces(lesson: Lesson, factors: dict[str, FactorState],
                 top: Step | None = None, *, as_solved: bool = False) -> list[Piece]:
    """``top``'s derivative (the goal's by default) as a product of the leaf factors,
    expanded from `composes`.

    ``as_solved`` (the summary, "from your factors"): a step whose `composes` writes a
    factor out itself (∂f/∂z2 = ∂f/∂h2 · diag(h2 ⊙ (1 − h2)), with no step for the
    diagonal) stays one slot with the student's own answer, so that no form of the
    lesson's is passed off as the student's."""
    goal = top or goal_step(lesson)
    steps = {step.id: step for step in lesson.steps}
    expression = goal.composes or goal.id
    try:
        node = parse_once(expression, list(lesson.names) + list(steps))
    except EngineError:  # validation reports it to the author; the student still gets a slot
        return [_slot(goal, factors, frozenset({goal.id}))]
    names = list(lesson.names) + list(steps)
    context = _Context(names, steps, factors, lesson.problem.glyphs, as_solved)
    pieces = _pieces(node, context, frozenset({goal.id}), 0, {goal.id})
    return [_hidden_while_open(piece, factors) for piece in pieces]


def _hidden_while_open(piece: Piece, factors: dict[str, FactorState]) -> Piece:
    """A quantity written into a product (the xᵀ of δ xᵀ) is part of that step's answer:
    shown as ? until every step it belongs to is done, or the header gives it away."""
    if not piece.literal:
        return piece
    if all(factors[owner].done for owner in piece.owners if owner in factors):
        return piece
    return Piece("?", "?", None, piece.owners)


@dataclass(frozen=True)
class _Context:
    names: list[str]  # what a `composes` may mention: quantities and step ids
    steps: dict[str, Step]
    factors: dict[str, FactorState]
    glyphs: Glyphs = SCREEN  # the lesson's math notation (· for every product of numbers)
    as_solved: bool = False  # only the student's answers and the lesson's bare quantities


def _slot(step: Step, factors: dict[str, FactorState], owners: frozenset[str],
          outer: int = 0, names: Sequence[str] = ()) -> Piece:
    """A factor's slot holds the student's answer, in parentheses when the chain needs them.

    ``outer`` is the precedence the slot's place demands: `p - y` in a product must
    read `(p - y)`, or the chain would say something the student did not write.
    """
    factor = factors.get(step.id)
    value = factor.answer if factor and factor.answer else "?"
    if value != "?" and _needs_parentheses(value, outer, names):
        value = f"({value})"
    return Piece(step.label, value, step.id, owners | {step.id})


def _needs_parentheses(text: str, outer: int, names: Sequence[str]) -> bool:
    try:
        node = parse_once(text, names)
    except EngineError:
        return outer > 0  # unreadable: keep it apart from its neighbours
    return needs_parentheses(node, outer, whole=True)


def _pieces(
    node: Node, context: _Context, owners: frozenset[str], outer: int, expanding: set[str]
) -> list[Piece]:
    def text(value: str, literal: bool = False) -> Piece:
        return Piece(value, value, None, owners, literal)

    def inner(child: Node, outer_: int) -> list[Piece]:
        return _pieces(child, context, owners, outer_, expanding)

    if isinstance(node, Name) and node.name in context.steps:
        return _step_pieces(context.steps[node.name], context, owners, outer, expanding)
    glyphs = context.glyphs
    if isinstance(node, (Name, Num, Matrix)):
        return [text(pretty(node, glyphs), literal=True)]
    if not names_in(node) & context.steps.keys():
        # Written out in the lesson's names (w2ᵀ, diag(h1 ⊙ (1 − h1))): one piece, so that
        # while its step is open it is one ?, not a form that gives the answer away.
        shown = pretty(node, glyphs)
        return [text(f"({shown})" if needs_parentheses(node, outer) else shown, literal=True)]
    places = operand_places(node)
    if isinstance(node, Transpose):
        return [*inner(node.operand, places[0]), text(glyphs.transpose)]
    if isinstance(node, Neg):
        body = [text(glyphs.negation), *inner(node.operand, places[0])]
        return _parenthesised(body, owners) if needs_parentheses(node, outer) else body
    if isinstance(node, Call):
        call: list[Piece] = [text(f"{glyphs.function(node.func)}(")]
        for index, arg in enumerate(node.args):
            if index:
                call.append(text(", "))
            call.extend(inner(arg, 0))
        return [*call, text(")")]
    if isinstance(node, BinOp):
        left = inner(node.left, places[0])
        if mixes_products(node, _expanded(node.left, context)):
            left = _parenthesised(left, owners)
        body = [*left, text(glyphs.operators[node.op]), *inner(node.right, places[1])]
        return _parenthesised(body, owners) if needs_parentheses(node, outer) else body
    return [text(pretty(node, glyphs))]


def _step_pieces(
    step: Step, context: _Context, owners: frozenset[str], outer: int, expanding: set[str]
) -> list[Piece]:
    """A leaf factor is one slot; a product of factors opens into its own factors."""
    if not step.composes or step.id in expanding:
        return [_slot(step, context.factors, owners, outer, context.names)]
    try:
        node = parse_once(step.composes, context.names)
    except EngineError:
        return [_slot(step, context.factors, owners, outer, context.names)]
    if context.as_solved and _writes_a_factor(node, context.steps.keys()):
        return [_slot(step, context.factors, owners, outer, context.names)]
    grouped = owners | {step.id}
    body = _pieces(node, context, grouped, PRECEDENCE["@"], expanding | {step.id})
    return _parenthesised(body, grouped) if outer > PRECEDENCE["@"] else body


def _writes_a_factor(node: Node, steps) -> bool:
    """A part of a `composes` in the lesson's names that is more than a quantity (xᵀ, W2):
    a factor the student derived and typed inside that step's answer."""
    if not names_in(node) & steps:
        bare = node.operand if isinstance(node, Transpose) else node
        return not isinstance(bare, (Name, Num))
    return any(_writes_a_factor(child, steps) for child in children(node))


def _expanded(node: Node, context: _Context) -> Node:
    """A product of factors stands for its `composes` expression; anything else for itself."""
    if isinstance(node, Name) and node.name in context.steps:
        composes = context.steps[node.name].composes
        if composes:
            try:
                return parse_once(composes, context.names)
            except EngineError:
                return node
    return node


def _parenthesised(body: list[Piece], owners: frozenset[str]) -> list[Piece]:
    return [Piece("(", "(", None, owners), *body, Piece(")", ")", None, owners)]


@dataclass(frozen=True)
class IdSpan:
    """A step id the chain header writes under its factor: pieces ``first``..``last``."""

    step_id: str
    label: str
    first: int
    last: int  # inclusive

    @property
    def single(self) -> bool:
        return self.first == self.last


def id_spans(lesson: Lesson, pieces: Sequence[Piece], typeable: Iterable[str],
             top: str | None = None) -> list[IdSpan]:
    """Which ids the student may type now the header writes, under which pieces.

    One row holds them, so the widest go first: at ∂f/∂W1 = (… · …)ᵀ · xᵀ the id of the
    whole product in parentheses (df_dz1) is written under it, and its factors' ids,
    inside that span, are left to the Factors panel and F1. ``top`` (the header's own
    left side) gets none. An id whose pieces are apart (a factor written twice) gets
    one span for each run.
    """
    labels = {step.id: step.label for step in lesson.steps}
    runs: list[IdSpan] = []
    for step_id in typeable:
        if step_id == top or step_id not in labels:
            continue
        held = [index for index, piece in enumerate(pieces) if step_id in piece.owners]
        start = None
        for position, index in enumerate(held):
            if start is None:
                start = index
            if position + 1 == len(held) or held[position + 1] != index + 1:
                runs.append(IdSpan(step_id, labels[step_id], start, index))
                start = None
    chosen: list[IdSpan] = []
    for span in sorted(runs, key=lambda s: (s.first - s.last, s.first, s.step_id)):
        if all(span.last < other.first or span.first > other.last for other in chosen):
            chosen.append(span)
    return sorted(chosen, key=lambda s: s.first)


def assembled(pieces: Sequence[Piece]) -> str:
    """The bottom row without padding: the derivative written with the student's factors."""
    return "".join(piece.bottom for piece in pieces)


# -- the step ids, in the F1 help -------------------------------------------------------------
def step_ids_help(names: Sequence[StepName]) -> str:
    """The lesson's part of the F1 help: each step's id, what it stands for, and whether this
    step's answer may use it now. Empty for a lesson of one step, whose id no answer uses."""
    if len(names) < 2:
        return ""
    usable = [name.step.id for name in names if name.usable]
    example = usable[-1] if usable else names[0].step.id
    rows = [
        "## This lesson's step ids",
        "",
        "Once a step is solved or revealed, its id can be typed in the answers of the steps "
        f"after it: {_code(example)} then stands for {_escaped(_label(names, example))}, at "
        "its right value, whatever you typed there. The chain at the top shows the ids you "
        "may type now under their factors.",
        "",
    ]
    rows += [f"* {_code(name.step.id)} — {_escaped(name.step.label)}, "
             f"{shape_label(name.step.shape)}: {_use(name)}" for name in names]
    return "\n".join(rows) + "\n"


def _use(name: StepName) -> str:
    """Where the student may type one id, in words."""
    status = {"solved": "✓ solved", "revealed": "◇ revealed"}.get(name.status or "", "open")
    if name.usable:
        return f"{status} · **type it now**"
    if name.place == "here":
        return "this step: write it out"
    if name.place == "after":
        return f"{status} · usable " + ("in the steps after it" if name.status
                                         else "after it, once solved")
    return f"{status} · usable here once solved"


def _label(names: Sequence[StepName], step_id: str) -> str:
    return next(name.step.label for name in names if name.step.id == step_id)


def _code(text: str) -> str:
    """``text`` as inline code, whatever backticks it holds."""
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    return f"{fence} {text} {fence}" if "`" in text else f"{fence}{text}{fence}"


def _escaped(text: str) -> str:
    """An author's label as Markdown shows it literally: each mark that could start
    emphasis, code, a link, an entity or a table cell escaped (∂f/∂h2 stays as it is)."""
    return re.sub(r"([\\`*_\[\]()|<>~!&])", r"\\\1", text)


# -- the forward graph ---------------------------------------------------------------------
@dataclass(frozen=True)
class Link:
    """One arrow of the forward pass: `source` → `target`, labelled by what acts on it."""

    source: str
    target: str
    label: str  # the other inputs (W1) or the function (σ)


@dataclass(frozen=True)
class Graph:
    spine: list[str]  # x, z1, h1, z2, h2, f
    links: list[Link]  # between consecutive spine nodes
    side: dict[str, str]  # side input (W1) → the spine node it feeds (z1)


def forward_graph(lesson: Lesson) -> Graph:
    """The main path of the forward computation, walked back from the last definition."""
    problem = lesson.problem
    definitions = dict(problem.definitions)
    if not definitions:
        return Graph(list(problem.inputs), [], {})
    end = goal_step(lesson).of if goal_step(lesson).of in definitions else list(definitions)[-1]
    spine = [end]
    links: list[Link] = []
    side: dict[str, str] = {}
    while spine[0] in definitions:
        target = spine[0]
        node = definitions[target]
        parents = _names_in_order(node)
        source = _main_parent(parents, definitions, problem.shapes)
        if source is None or source in spine:
            break
        others = [p for p in parents if p != source]
        for other in others:
            side.setdefault(other, target)
        links.insert(0, Link(source, target, _link_label(node, source, others)))
        spine.insert(0, source)
    return Graph(spine, links, side)


def _names_in_order(node: Node) -> list[str]:
    found: list[str] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Name) and current.name not in found:
            found.append(current.name)
        stack.extend(reversed(children(current)))
    return found


def _main_parent(parents: list[str], definitions: dict, shapes: dict) -> str | None:
    """The parent on the main path: a computed value if any, else the input vector."""
    computed = [p for p in parents if p in definitions]
    if computed:
        return computed[-1]
    vectors = [p for p in parents if shapes[p][1] == 1]
    if vectors:
        return vectors[0]  # W @ x + b: the input comes before the bias
    return parents[-1] if parents else None


def _link_label(node: Node, source: str, others: list[str]) -> str:
    """What acts on ``source``: the functions applied to it (σ), then the other inputs
    (W1): h3 = h2 + σ(z3) is z3 ─σ, h2→ h3, L = −sum(y ⊙ log(p)) is p ─log, y→ L."""
    functions = [SCREEN.function(call.func) for call in _calls_on(node, source)]
    return ", ".join([*functions, *others])


def _calls_on(node: Node, name: str) -> list[Call]:
    """The calls whose argument is ``name`` itself, in reading order."""
    found = []
    if isinstance(node, Call) and any(isinstance(a, Name) and a.name == name
                                      for a in node.args):
        found.append(node)
    for child in children(node):
        found.extend(call for call in _calls_on(child, name) if call not in found)
    return found


def path_between(graph: Graph, wrt: str, of: str) -> set[str]:
    """Spine nodes from where `wrt` enters to `of`: the stretch a factor differentiates."""
    start = graph.side.get(wrt, wrt)
    if start not in graph.spine or of not in graph.spine:
        return {wrt, of}
    first, last = graph.spine.index(start), graph.spine.index(of)
    if first > last:
        first, last = last, first
    return set(graph.spine[first : last + 1]) | {wrt}
