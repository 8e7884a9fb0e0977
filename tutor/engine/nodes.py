"""The typed expression tree that student text parses into.

Every node remembers the span of text it came from, so that errors found later
(shapes, limits) can still point at the right place.

The tree is printed here too, by one printer with a glyph table per notation (the
input language, the screen's math notation), so that the precedence table and the
rule for parentheses exist once; the chain header (tutor.app.model) lays out its
columns with the same rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from tutor.engine.functions import FUNCTIONS


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


# How tightly each operation holds its operands; numbers, names, calls, literals and
# transposes ("postfix") hold tightest.
PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "@": 2, "neg": 3, "^": 4, "postfix": 5}


@dataclass(frozen=True)
class Glyphs:
    """How one notation writes the operations; ``to_text`` prints a tree in any of them."""

    operators: Mapping[str, str]  # each binary operator with its spacing: " @ ", "^"
    negation: str
    transpose: str  # written after its operand
    function: Callable[[str], str]  # a function's name as this notation writes it
    bracket_transposed_numbers: bool  # "2.T" would read as the number "2." then the name T


# The input language, in ASCII: what the student types, and what lesson files hold.
TEXT = Glyphs(
    {"+": " + ", "-": " - ", "*": " * ", "/": " / ", "@": " @ ", "^": "^"},
    negation="-", transpose=".T", function=lambda name: name, bracket_transposed_numbers=True,
)
# Math notation, as the screen echoes an answer: the matrix product as a centred dot and
# the elementwise product as ⊙, the two symbols the seed problem's accepted answer
# confused. Every glyph here parses back (tutor.engine.tokens.SYNONYMS).
SCREEN = Glyphs(
    {"+": " + ", "-": " − ", "*": " ⊙ ", "/": " / ", "@": " · ", "^": "^"},
    negation="−", transpose="ᵀ",
    function=lambda name: FUNCTIONS[name].written if name in FUNCTIONS else name,
    bracket_transposed_numbers=False,
)
# Math notation for a lesson of numbers only (every quantity 1×1): there the two products
# are one, written as the centred dot; ⊙ would ask a distinction the lesson never makes.
NUMBER_SCREEN = Glyphs(
    {**SCREEN.operators, "*": " · "},
    negation=SCREEN.negation, transpose=SCREEN.transpose, function=SCREEN.function,
    bracket_transposed_numbers=False,
)


def to_text(node: Node, glyphs: Glyphs = TEXT) -> str:
    """Print a tree (in the input language unless told), with only the parentheses it needs."""
    if isinstance(node, Num):
        return node.text
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Call):
        return f"{glyphs.function(node.func)}({', '.join(to_text(a, glyphs) for a in node.args)})"
    if isinstance(node, Matrix):
        rows = (", ".join(to_text(cell, glyphs) for cell in row) for row in node.rows)
        return "[" + "; ".join(rows) + "]"
    operands = [
        _operand(child, place, glyphs)
        for child, place in zip(children(node), operand_places(node), strict=True)
    ]
    if isinstance(node, Transpose):
        if glyphs.bracket_transposed_numbers and isinstance(node.operand, Num):
            return f"({operands[0]}){glyphs.transpose}"
        return f"{operands[0]}{glyphs.transpose}"
    if isinstance(node, Neg):
        return f"{glyphs.negation}{operands[0]}"
    if isinstance(node, BinOp):
        left, right = operands
        if mixes_products(node, node.left):
            left = f"({left})"
        return f"{left}{glyphs.operators[node.op]}{right}"
    raise TypeError(f"not an expression node: {node!r}")


def _operand(node: Node, place: int, glyphs: Glyphs) -> str:
    text = to_text(node, glyphs)
    return f"({text})" if needs_parentheses(node, place) else text


def binding(node: Node) -> int:
    """The precedence of the node's outermost operation."""
    if isinstance(node, BinOp):
        return PRECEDENCE[node.op]
    if isinstance(node, Neg):
        return PRECEDENCE["neg"]
    return PRECEDENCE["postfix"]


def operand_places(node: Node) -> tuple[int, ...]:
    """The precedence each operand's place demands, in the order of ``children``.

    Left to right, an operand of equal precedence may stand unbracketed on the left
    (a - b - c) but not on the right (a - (b - c)); ``^`` groups the other way.
    """
    if isinstance(node, BinOp):
        mine = PRECEDENCE[node.op]
        return (mine + 1, mine) if node.op == "^" else (mine, mine + 1)
    if isinstance(node, Neg):
        return (PRECEDENCE["neg"],)
    if isinstance(node, Transpose):
        return (PRECEDENCE["postfix"],)
    return (0,) * len(children(node))  # call arguments and literal entries stand alone


def needs_parentheses(node: Node, place: int, whole: bool = False) -> bool:
    """Whether ``node`` needs parentheses at a place demanding precedence ``place``.

    ``whole=True`` also brackets an operation of the place's own precedence: a student's
    factor in the chain is shown as one unit, even where the grouping would be implied.
    """
    mine = binding(node)
    return mine < place or (whole and mine == place and isinstance(node, (BinOp, Neg)))


def mixes_products(parent: BinOp, left: Node) -> bool:
    """`a * b @ c` is `(a * b) @ c` to the parser, but a reader needs the parentheses."""
    return (
        isinstance(left, BinOp)
        and PRECEDENCE[left.op] == PRECEDENCE[parent.op] == PRECEDENCE["@"]
        and "@" in (left.op, parent.op)
        and left.op != parent.op
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


def substitute(node: Node, name: str, value: Node) -> Node:
    """``node`` with every occurrence of the name ``name`` replaced by ``value``."""
    if isinstance(node, Name):
        return value if node.name == name else node
    parts = children(node)
    if not parts:
        return node
    return with_children(node, tuple(substitute(child, name, value) for child in parts))


def with_children(node: Node, parts: tuple[Node, ...]) -> Node:
    """The same operation over new operands, in the order of ``children``."""
    if isinstance(node, Neg):
        return Neg(node.start, node.end, parts[0])
    if isinstance(node, Transpose):
        return Transpose(node.start, node.end, parts[0])
    if isinstance(node, BinOp):
        return BinOp(node.start, node.end, node.op, parts[0], parts[1])
    if isinstance(node, Call):
        return Call(node.start, node.end, node.func, parts)
    if isinstance(node, Matrix):
        cells = iter(parts)
        return Matrix(node.start, node.end, tuple(tuple(next(cells) for _ in row)
                                                  for row in node.rows))
    return node
