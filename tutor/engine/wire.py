"""What a proof request looks like on its way to the proof worker: plain data, never pickle.

A lab's shared proof service (tutor.engine.proof_service) runs as its own account and
serves every student's tutor on the machine, so what reaches it is read as data from a
process it does not trust: a pickle would let any student run code as the service, and,
the other way, let a stranger's service run code in a student's tutor. So a request is
msgpack of lists, strings and numbers, checked node by node as it is read back; anything
else is refused with ValueError.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import msgspec

from tutor.engine.functions import FUNCTIONS
from tutor.engine.nodes import BinOp, Call, Matrix, Name, Neg, Node, Num, Transpose

OPERATIONS = frozenset("+-*/@^")
MAX_DEPTH = 400  # deeper than any answer the parser accepts; a bound on the reader's stack
# What a lesson can hold (the lesson format's limits, with room): a request past them is
# no tutor's, and would only make the worker build symbols until its memory runs out.
MAX_SIDE = 20  # rows or columns of one quantity (tutor.lessons.schema.MAX_SIZE)
MAX_NAMES = 1000  # inputs, or definitions, of one problem


def encode(value: Any) -> bytes:
    return msgspec.msgpack.encode(value)


def decode(data: bytes) -> Any:
    try:
        return msgspec.msgpack.decode(data)
    except msgspec.DecodeError as error:
        raise ValueError(f"not a request: {error}") from None


def node_data(node: Node) -> list:
    """``node`` as nested lists (its spans are the parser's business, and not sent)."""
    match node:
        case Num(text=text):
            return ["num", text]
        case Name(name=name):
            return ["name", name]
        case Neg(operand=operand):
            return ["neg", node_data(operand)]
        case Transpose(operand=operand):
            return ["T", node_data(operand)]
        case BinOp(op=op, left=left, right=right):
            return ["op", op, node_data(left), node_data(right)]
        case Call(func=func, args=args):
            return ["call", func, [node_data(arg) for arg in args]]
        case Matrix(rows=rows):
            return ["matrix", [[node_data(entry) for entry in row] for row in rows]]
    raise ValueError(f"not a node: {type(node).__name__}")


def node_from(data: Any, depth: int = 0) -> Node:
    """The node that ``node_data`` wrote; ValueError for anything else."""
    if depth > MAX_DEPTH:
        raise ValueError("a node nested too deeply")
    if not isinstance(data, list) or not data or not isinstance(data[0], str):
        raise ValueError("not a node")
    kind, rest = data[0], data[1:]
    inner = depth + 1
    if kind == "num" and _strings(rest, 1):
        Fraction(rest[0])  # a number's text, or ValueError
        return Num(0, 0, rest[0])
    if kind == "name" and _strings(rest, 1) and rest[0].isidentifier():
        return Name(0, 0, rest[0])
    if kind in ("neg", "T") and len(rest) == 1:
        operand = node_from(rest[0], inner)
        return Neg(0, 0, operand) if kind == "neg" else Transpose(0, 0, operand)
    if kind == "op" and len(rest) == 3 and rest[0] in OPERATIONS:
        return BinOp(0, 0, rest[0], node_from(rest[1], inner), node_from(rest[2], inner))
    if (kind == "call" and len(rest) == 2 and rest[0] in FUNCTIONS
            and isinstance(rest[1], list)):
        return Call(0, 0, rest[0], tuple(node_from(arg, inner) for arg in rest[1]))
    if kind == "matrix" and len(rest) == 1 and isinstance(rest[0], list) and all(
            isinstance(row, list) for row in rest[0]):
        return Matrix(0, 0, tuple(tuple(node_from(entry, inner) for entry in row)
                                  for row in rest[0]))
    raise ValueError(f"not a node: {kind!r}")


def problem_data(inputs: dict[str, tuple[int, int]], definitions: list[tuple[str, Node]],
                 simplex: dict[str, str | None]) -> list:
    """A problem's inputs, definitions and one-hot layouts (sorted: one problem, one
    encoding)."""
    return [[[name, list(shape)] for name, shape in inputs.items()],
            [[name, node_data(node)] for name, node in definitions],
            sorted([name, layout] for name, layout in simplex.items())]


def problem_from(data: Any) -> tuple[dict, list, dict]:
    """(inputs, definitions, simplex) as ``problem_data`` wrote them; ValueError else."""
    if not isinstance(data, list) or len(data) != 3 or not all(
            isinstance(part, list) for part in data):
        raise ValueError("not a problem")
    if len(data[0]) > MAX_NAMES or len(data[1]) > MAX_NAMES:
        raise ValueError("a problem larger than any lesson")
    inputs: dict[str, tuple[int, int]] = {}
    for entry in data[0]:
        if not (isinstance(entry, list) and len(entry) == 2 and _name(entry[0])
                and isinstance(entry[1], list) and len(entry[1]) == 2
                and all(type(side) is int and 1 <= side <= MAX_SIDE for side in entry[1])):
            raise ValueError("not an input")
        inputs[entry[0]] = (entry[1][0], entry[1][1])
    definitions = []
    for entry in data[1]:
        if not (isinstance(entry, list) and len(entry) == 2 and _name(entry[0])):
            raise ValueError("not a definition")
        definitions.append((entry[0], node_from(entry[1])))
    simplex = {}
    for entry in data[2]:
        if not (isinstance(entry, list) and len(entry) == 2 and _name(entry[0])
                and entry[1] in (None, "row", "column")):
            raise ValueError("not a one-hot label")
        simplex[entry[0]] = entry[1]
    return inputs, definitions, simplex


def _strings(values: list, count: int) -> bool:
    return len(values) == count and all(isinstance(value, str) for value in values)


def _name(value: Any) -> bool:
    return isinstance(value, str) and value.isidentifier()
