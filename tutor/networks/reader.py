"""Network files: a student's or instructor's own network, read by a small hand-written reader.

A network file is what a person writes on paper before backpropagating by hand:

    # a residual block with a squared loss
    x  : 3x1          # an input and its shape; "3" means 3x1, "1" a scalar
    W1 : 3x3
    z1 = W1 @ x       # a definition, in the answer language
    h1 = x + tanh(z1)
    goal: dL/dW1      # also ∂L/∂W1

Hand-written (not TOML) because this is the syntax people already write, and every
mistake in it must be told at its line and column, in words. Expressions go through
the engine's allow-list parser and strict shape rules, never through eval. Turning a
network into a lesson is tutor.networks.generator's job; nothing here imports Textual or sympy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from tutor.engine import EngineError, Node, Shape, infer_shape, parse, shape_text
from tutor.engine.functions import FUNCTIONS
from tutor.engine.onehot import contradiction
from tutor.networks.domains import ANY, DRAW_SIGNS, POSITIVE, DomainError, Signs, signs_of
from tutor.networks.ids import network_lesson_id, normalized
from tutor.progress.limits import MAX_TITLE, clean_text

__all__ = ["NetworkError", "Network", "network_lesson_id", "normalized", "parse_network"]

MAX_SIDE = 20  # rows or columns of any quantity: the lesson format's own limit
MAX_INPUTS = 40
MAX_DEFINITIONS = 60
MAX_GOALS = 8
MAX_NAME = 30  # characters of a name: its copies (x_a, x_aa) stay within the parser's 40
MAX_TEXT = 20_000  # characters of a whole file
DRAWS = ("decimal", "int", "normal", "positive", "onehot")  # "fixed" needs values: not here
LAYOUTS = {"rows": "row", "row": "row", "columns": "column", "column": "column"}

NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_INPUT = re.compile(rf"^(?P<name>{NAME})\s*:\s*(?P<rest>.*)$")
_DEFINITION = re.compile(rf"^(?P<name>{NAME})\s*=(?!=)\s*(?P<rest>.*)$")
_GOAL = re.compile(r"^goal\s*:\s*(?P<rest>.*)$")
_SHAPE = re.compile(r"^(?P<rows>\d+)(?:\s*[x×X*]\s*(?P<cols>\d+))?$")
_DERIVATIVE = re.compile(rf"^[d∂]\s*(?P<of>{NAME})\s*/\s*[d∂]\s*(?P<wrt>{NAME})$")


class NetworkError(Exception):
    """A network that cannot become a lesson: what is wrong, at which line and column."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Input:
    name: str
    shape: Shape
    draw: str
    line: int
    per: str | None = None  # a one-hot matrix: one 1 per "row" or per "column" (an example)


@dataclass(frozen=True)
class Definition:
    name: str
    text: str
    node: Node
    shape: Shape
    line: int


@dataclass(frozen=True)
class Goal:
    of: str
    wrt: str
    line: int


@dataclass(frozen=True)
class Network:
    inputs: tuple[Input, ...]
    definitions: tuple[Definition, ...]
    goals: tuple[Goal, ...]
    title: str = ""  # the file's first comment, if it opens with one

    @property
    def shapes(self) -> dict[str, Shape]:
        return {i.name: i.shape for i in self.inputs} | {d.name: d.shape for d in self.definitions}

    def definition(self, name: str) -> Definition | None:
        return next((d for d in self.definitions if d.name == name), None)

    def depends_on(self, of: str, wrt: str) -> bool:
        reached = {wrt}
        for definition in self.definitions:
            if _names(definition.node) & reached:
                reached.add(definition.name)
        return of in reached


def _names(node: Node) -> set[str]:
    from tutor.engine import names_in

    return names_in(node)


def parse_network(text: str) -> Network:
    """Read a network file; raises NetworkError at the first problem, with line and column."""
    if len(text) > MAX_TEXT:
        raise NetworkError(f"the file is {len(text)} characters long, past the limit of "
                           f"{MAX_TEXT} characters for a network")
    lines = text.splitlines()
    defined_at = _all_definitions(lines)
    inputs: list[Input] = []
    definitions: list[Definition] = []
    goals: list[Goal] = []
    first: dict[str, int] = {}
    shapes: dict[str, Shape] = {}
    signs: dict[str, Signs] = {}  # the signs each quantity's entries can take
    title = ""
    for number, raw in enumerate(lines, start=1):
        body, _, comment = raw.partition("#")
        if not body.strip():
            if not title and not inputs and not goals and comment.strip() and _opening(
                    lines, number):
                title = clean_text(comment, MAX_TITLE)  # one line, as stored and exported
            continue
        offset = len(body) - len(body.lstrip())
        body = body.strip()
        if (match := _GOAL.match(body)) is not None:
            goals.append(_goal(match, number, offset, shapes))
            continue
        match = _DEFINITION.match(body) or _INPUT.match(body)
        if match is None:
            raise NetworkError(
                "expected an input (x : 3x1), a definition (z1 = W1 @ x) or a goal "
                f"(goal: dL/dW1), not {body!r}", number, offset + 1)
        name = match.group("name")
        rest_column = offset + match.start("rest")
        if match.re is _INPUT:
            _not_a_slip(name, match.group("rest"), number, offset, rest_column)
        _new_name(name, number, offset, first)
        if match.re is _INPUT:
            if definitions:
                raise NetworkError(f"the input {name} comes after a definition; declare every "
                                   "input first, then the definitions", number, offset + 1)
            item = _input(name, match.group("rest"), number, rest_column)
            inputs.append(item)
            shapes[name] = item.shape
            signs[name] = DRAW_SIGNS.get(item.draw, ANY)
        else:
            item = _definition(name, match.group("rest"), number, rest_column, shapes,
                               defined_at)
            signs[name] = _defined_everywhere(item, rest_column, signs, inputs, definitions)
            definitions.append(item)
            shapes[name] = item.shape
        first[name] = number
    _check_counts(inputs, definitions, goals)
    return Network(_laid_out(inputs), tuple(definitions), tuple(goals), title)


def _all_definitions(lines: list[str]) -> dict[str, int]:
    """Where each name is first defined, so a use before it is told as such."""
    found: dict[str, int] = {}
    for number, raw in enumerate(lines, start=1):
        match = _DEFINITION.match(raw.partition("#")[0].strip())
        if match is not None:
            found.setdefault(match.group("name"), number)
    return found


def _opening(lines: list[str], number: int) -> bool:
    """Whether line ``number`` is the file's first line that is not blank."""
    return all(not line.strip() for line in lines[:number - 1])


def _not_a_slip(name: str, rest: str, number: int, offset: int, rest_column: int) -> None:
    """What reads as an input but was meant as a goal or a definition."""
    if name.lower() == "goal":
        raise NetworkError(f"a goal line starts with goal: in lowercase, not {name}:", number,
                           offset + 1)
    if rest.startswith("="):
        raise NetworkError(f"write {name} = … for a definition: = alone, not :=", number,
                           rest_column)


def _new_name(name: str, number: int, offset: int, first: dict[str, int]) -> None:
    if len(name) > MAX_NAME:
        raise NetworkError(f"the name {name[:12]}… has {len(name)} characters: names in a "
                           f"network have at most {MAX_NAME} (the lesson names a quantity's "
                           "copies x_a, x_b, … and a name has at most 40)", number, offset + 1)
    if name in first:
        raise NetworkError(f"{name} is defined twice: first at line {first[name]}. Give one of "
                           "them another name (z1, z2, …).", number, offset + 1)
    if name in FUNCTIONS:
        raise NetworkError(f"{name!r} is a function of the answer language; call the quantity "
                           "something else", number, offset + 1)
    if name == "goal":
        raise NetworkError("'goal' is the word of goal lines (goal: dL/dW1); call the quantity "
                           "something else", number, offset + 1)


def _input(name: str, rest: str, number: int, column: int) -> Input:
    words = rest.split()
    if not words:
        raise NetworkError(f"the input {name} needs a shape, like {name} : 3x1", number,
                           column + 1)
    shape_text_ = words[0]
    if len(words) >= 3 and words[1].lower() in ("x", "×"):  # "3 x 1"
        shape_text_, words = "".join(words[:3]), [words[0] + "x" + words[2], *words[3:]]
    match = _SHAPE.match(shape_text_)
    if match is None:
        raise NetworkError(f"{shape_text_!r} is not a shape: write rows x cols, like 3x1 (or 3 "
                           "for a 3x1 column, 1 for a scalar)", number, column + 1)
    rows = int(match.group("rows"))
    cols = int(match.group("cols") or 1)
    for side, size in (("rows", rows), ("columns", cols)):
        if not 1 <= size <= MAX_SIDE:
            raise NetworkError(f"{name} has {size} {side}: sizes go from 1 to {MAX_SIDE}",
                               number, column + 1)
    draw = "decimal"
    if len(words) > 1:
        draw = words[1].lower()
        at = column + rest.index(words[1]) + 1
        if draw == "fixed":
            raise NetworkError("draw fixed needs its values, which a network file cannot "
                               "hold; write the lesson file (chain-tutor new) and edit it",
                               number, at)
        if draw not in DRAWS:
            raise NetworkError(f"unknown draw {words[1]!r}; the draws are {', '.join(DRAWS)}",
                               number, at)
    per = None
    if len(words) > 2:
        after = rest.index(words[2], rest.index(words[1]) + len(words[1]))
        per = _layout(name, (rows, cols), draw, words[2], number, column + after + 1)
        if len(words) > 3:
            raise NetworkError(f"unexpected {words[3]!r} after {words[2]!r}", number,
                               column + rest.index(words[3], after + len(words[2])) + 1)
    return Input(name, (rows, cols), draw, number, per)


def _layout(name: str, shape: Shape, draw: str, word: str, number: int, at: int) -> str | None:
    """The word after onehot: where a batch's examples lie, so where each 1 goes."""
    if draw != "onehot":
        raise NetworkError(f"unexpected {word!r} after the draw: rows or columns comes only "
                           "after onehot (y : 3x4 onehot columns)", number, at)
    per = LAYOUTS.get(word.lower())
    if per is None:
        raise NetworkError(f"unknown layout {word!r} for the one-hot {name}: write rows (one "
                           "1 per row: examples are rows) or columns (one 1 per column: "
                           "examples are columns)", number, at)
    wrong = contradiction(shape, per)
    if wrong is not None:
        raise NetworkError(f"{name} : {shape_text(shape)} onehot {word}: {wrong}; drop "
                           f"{word!r}", number, at)
    return per if min(shape) > 1 else None


def _laid_out(inputs: list[Input]) -> tuple[Input, ...]:
    """Each one-hot matrix with the layout of its 1s: the file's word, else the data's.

    The data input is the first declared that is not one-hot; when it shares the label's
    row count and not its column count (X : 4x2 beside Y : 4x3), the examples are rows;
    otherwise they are columns, the tutor's own layout (X : 2x4 beside Y : 3x4). A vector
    is one example: its one 1 is anywhere in it, and it has no layout.
    """
    data = next((i for i in inputs if i.draw != "onehot"), None)
    laid = []
    for item in inputs:
        if item.draw == "onehot" and item.per is None and min(item.shape) > 1:
            rows = data is not None and data.shape[0] == item.shape[0] and (
                data.shape[1] != item.shape[1])
            item = replace(item, per="row" if rows else "column")
        laid.append(item)
    return tuple(laid)


def _definition(name: str, rest: str, number: int, column: int, shapes: dict[str, Shape],
                defined_at: dict[str, int]) -> Definition:
    text = rest.rstrip()
    try:
        node = parse(text, list(shapes))
        shape = infer_shape(node, shapes)
    except EngineError as error:
        at = column + 1 + (error.start or 0)
        word = text[error.start:error.end] if error.start is not None else ""
        if error.kind == "name" and word == name:
            raise NetworkError(f"{name} is defined in terms of itself (a cycle): a definition "
                               "may use only names defined above it", number, at) from None
        if error.kind == "name" and word in defined_at and defined_at[word] > number:
            raise NetworkError(
                f"{word} is used before its definition at line {defined_at[word]}: a "
                "definition may use only names defined above it, so there are no cycles",
                number, at) from None
        message = error.message if error.kind != "name" else error.message.replace(
            "Names this lesson knows", "Names known here")
        raise NetworkError(f"{name} = {text}: {message}", number, at) from None
    for side, size in zip(("rows", "columns"), shape, strict=True):
        if size > MAX_SIDE:
            raise NetworkError(f"{name} is {shape_text(shape)}: {size} {side} is past the limit "
                               f"of {MAX_SIDE} per side", number, column + 1)
    return Definition(name, text, node, shape, number)


def _defined_everywhere(item: Definition, column: int, signs: dict[str, Signs],
                        inputs: list[Input], definitions: list[Definition]) -> Signs:
    """The signs of a definition's entries; refused at its line where some draw of the
    inputs makes it, or its derivative, not a number (tutor.networks.domains)."""
    try:
        return signs_of(item.node, signs)
    except DomainError as error:
        at = column + 1 + error.node.start
        said = f"{item.name} = {item.text}"
        if error.kind == "limit":
            raise NetworkError(f"{said}: {error.message}", item.line, at) from None
        below = [i for i in _inputs_under(error.node, inputs, definitions)
                 if i.draw != "positive"]
        if not _helps(item, signs, {i.name for i in below}):
            below = []  # 1 - p is no more positive for a positive p: say the remedy only
        declare = ", ".join(f"{i.name} : {i.shape[0]}x{i.shape[1]} positive" for i in below[:2])
        raise NetworkError(
            f"{said} is not a number for every draw of its inputs: {error.message}. "
            + (f"Declare the inputs it takes as positive ({declare}), or {error.remedy}."
               if declare else f"{error.remedy[0].upper()}{error.remedy[1:]}."),
            item.line, at) from None


def _helps(item: Definition, signs: dict[str, Signs], declared: set[str]) -> bool:
    """Whether declaring ``declared`` positive would make the definition a number
    everywhere: a suggestion that would be refused again is no suggestion."""
    if not declared:
        return False
    assumed = dict(signs) | {name: POSITIVE for name in declared}
    try:
        signs_of(item.node, assumed)
    except DomainError:
        return False
    return True


def _inputs_under(node: Node, inputs: list[Input], definitions: list[Definition]
                  ) -> list[Input]:
    """The inputs ``node`` is computed from, in the file's order."""
    wanted = _names(node)
    for definition in reversed(definitions):
        if definition.name in wanted:
            wanted |= _names(definition.node)
    return [i for i in inputs if i.name in wanted]


def _goal(match: re.Match, number: int, offset: int, shapes: dict[str, Shape]) -> Goal:
    rest = match.group("rest").strip()
    column = offset + match.start("rest") + 1
    derivative = _DERIVATIVE.match(rest)
    if derivative is None:
        raise NetworkError(f"a goal is written dL/dW1 or ∂L/∂W1, not {rest!r}", number, column)
    of, wrt = derivative.group("of"), derivative.group("wrt")
    for name, key in ((of, "of"), (wrt, "wrt")):
        if name not in shapes:
            known = ", ".join(shapes) or "none"
            raise NetworkError(f"the goal names {name}, which is not defined above it (known: "
                               f"{known})", number, column + derivative.start(key))
    return Goal(of, wrt, number)


def _check_counts(inputs: list[Input], definitions: list[Definition], goals: list[Goal]) -> None:
    if not inputs:
        raise NetworkError("a network needs at least one input, like x : 3x1")
    if not goals:
        raise NetworkError("a network needs a goal line, like goal: dL/dW1")
    for what, items, limit in (("inputs", inputs, MAX_INPUTS),
                               ("definitions", definitions, MAX_DEFINITIONS),
                               ("goals", goals, MAX_GOALS)):
        if len(items) > limit:
            raise NetworkError(f"{len(items)} {what} is past the limit of {limit}",
                               items[limit].line, 1)
    network = Network(tuple(inputs), tuple(definitions), tuple(goals))
    for goal in goals:
        if goal.of == goal.wrt:
            raise NetworkError(f"the goal d{goal.of}/d{goal.wrt} asks for a quantity by itself",
                               goal.line, 1)
        if not network.depends_on(goal.of, goal.wrt):
            raise NetworkError(f"{goal.of} does not depend on {goal.wrt}, so d{goal.of}/"
                               f"d{goal.wrt} is zero: choose a goal whose first name is "
                               f"computed from {goal.wrt}", goal.line, 1)
