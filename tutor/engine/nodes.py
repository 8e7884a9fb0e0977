"""The typed expression tree that student text parses into.

Every node remembers the span of text it came from, so that errors found later
(shapes, limits) can still point at the right place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction


@dataclass(frozen=True)
class Node:
    start: int = field(compare=False, repr=False)
    end: int = field(compare=False, repr=False)


@dataclass(frozen=True)
class Num(Node):
    text: str = ""

    @property
    def value(self) -> float:
        return float(self.text)

    @property
    def exact(self) -> Fraction:
        return Fraction(self.text)


@dataclass(frozen=True)
class Name(Node):
    name: str = ""


@dataclass(frozen=True)
class Neg(Node):
    operand: Node = None  # type: ignore[assignment]


@dataclass(frozen=True)
class BinOp(Node):
    op: str = ""  # one of + - * / @ ^
    left: Node = None  # type: ignore[assignment]
    right: Node = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Transpose(Node):
    operand: Node = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Call(Node):
    func: str = ""
    args: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Matrix(Node):
    rows: tuple[tuple[Node, ...], ...] = ()


PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "@": 2, "neg": 3, "^": 4}


def to_text(node: Node) -> str:
    """Print a tree back in the input language, with only the parentheses it needs."""
    return _text(node, 0)


def _text(node: Node, outer: int) -> str:
    if isinstance(node, Num):
        return node.text
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Transpose):
        inner = _text(node.operand, 5)
        # "2.T" would read as the number "2." followed by the name T.
        return f"({inner}).T" if isinstance(node.operand, Num) else f"{inner}.T"
    if isinstance(node, Call):
        return f"{node.func}({', '.join(_text(a, 0) for a in node.args)})"
    if isinstance(node, Matrix):
        return "[" + "; ".join(", ".join(_text(c, 0) for c in row) for row in node.rows) + "]"
    if isinstance(node, Neg):
        inner = f"-{_text(node.operand, PRECEDENCE['neg'])}"
        return f"({inner})" if outer > PRECEDENCE["neg"] else inner
    if isinstance(node, BinOp):
        mine = PRECEDENCE[node.op]
        if node.op == "^":  # right-associative
            left, right = _text(node.left, mine + 1), _text(node.right, mine)
            text = f"{left}^{right}"
        else:
            left = _text(node.left, mine)
            if _mixes_products(node, node.left):
                left = f"({left})"  # (a * b) @ c: correct without, but misread without
            right = _text(node.right, mine + 1)
            text = f"{left} {node.op} {right}"
        return f"({text})" if outer > mine else text
    raise TypeError(f"not an expression node: {node!r}")


def _mixes_products(parent: BinOp, child: Node) -> bool:
    return (
        isinstance(child, BinOp)
        and PRECEDENCE[child.op] == PRECEDENCE[parent.op] == PRECEDENCE["@"]
        and "@" in (child.op, parent.op)
        and child.op != parent.op
    )


def names_in(node: Node) -> set[str]:
    """Every quantity name the expression mentions."""
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Name):
            found.add(current.name)
        stack.extend(children(current))
    return found


def children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, (Neg, Transpose)):
        return (node.operand,)
    if isinstance(node, BinOp):
        return (node.left, node.right)
    if isinstance(node, Call):
        return node.args
    if isinstance(node, Matrix):
        return tuple(cell for row in node.rows for cell in row)
    return ()
