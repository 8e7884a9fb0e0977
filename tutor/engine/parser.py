"""Student text → expression tree, by an allow-list grammar.

Hand-written rather than generated: the matrix-literal rules are whitespace
sensitive as in MATLAB (``[1 -2]`` has two entries, ``[1 - 2]`` one), and every
error must point at a precise span with a sentence a student can act on. Nothing
here, or anywhere downstream, hands the text to Python's ``eval``, ``exec`` or
sympy's parsers: the text becomes tokens, the tokens become ``nodes``, and only
nodes are ever evaluated.
"""

from __future__ import annotations

import difflib
import keyword
from collections.abc import Collection

from tutor.engine.errors import EngineError
from tutor.engine.functions import FUNCTIONS
from tutor.engine.nodes import (
    BinOp,
    Call,
    Matrix,
    Name,
    Neg,
    Node,
    Num,
    Transpose,
    children,
)
from tutor.engine.tokens import (  # noqa: F401 - re-exported: the limits a student meets here
    MATRICES,
    MAX_LENGTH,
    MAX_NAME_LENGTH,
    MAX_NUMBER_DIGITS,
    NUMBERS,
    Token,
    Wording,
    tokenize,
)

MAX_DEPTH = 60
MAX_LITERAL_SIDE = 50
MAX_LITERAL_ENTRIES = 400
MAX_TREE_DEPTH = 150  # a chain like 1+1+1+… nests without parentheses; checks recurse on it
BUILTIN_FUNCTIONS = tuple(FUNCTIONS)


class Parser:
    """Pratt parser over the token list; one instance parses one text."""

    def __init__(self, text: str, names: Collection[str], functions: Collection[str],
                 wording: Wording = MATRICES) -> None:
        self.text = text
        self.names = set(names)
        self.functions = set(functions)
        self.wording = wording
        self.tokens = tokenize(text, wording)
        self.index = 0
        self.depth = 0

    # -- token helpers -------------------------------------------------------------
    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    @property
    def following(self) -> Token:
        return self.tokens[min(self.index + 1, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.current
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def is_op(self, text: str) -> bool:
        return self.current.kind == "op" and self.current.text == text

    def expect(self, text: str, opened: Token | None = None) -> Token:
        if self.is_op(text):
            return self.advance()
        found = self._describe(self.current)
        if opened is not None:
            raise EngineError(
                f"Expected {text!r} to close the {opened.text!r} opened at column "
                f"{opened.start + 1}, but found {found}.",
                self.current.start,
                self.current.end,
            )
        raise EngineError(f"Expected {text!r} here, but found {found}.", self.current.start,
                          self.current.end)

    @staticmethod
    def _describe(token: Token) -> str:
        return "the end of the answer" if token.kind == "end" else repr(token.text)

    # -- grammar -------------------------------------------------------------------
    def parse(self) -> Node:
        if self.current.kind == "end":
            raise EngineError("The answer is empty: type an expression or a matrix of numbers.",
                              kind="parse")
        node = self.expression(0)
        if self.current.kind != "end":
            self._complain_about_leftover(node)
        _check_tree_depth(node)
        return node

    def _complain_about_leftover(self, node: Node) -> None:
        token = self.current
        if token.kind in ("num", "name") or (token.kind == "op" and token.text in "(["):
            left = self.text[node.start : node.end]
            raise EngineError(
                f"Two terms stand side by side with no operator between {left!r} and "
                f"{token.text!r}.",
                token.start,
                token.end,
                suggestion=self.wording.side_by_side,
            )
        if token.kind == "op" and token.text in ")]":
            raise EngineError(f"This {token.text!r} has nothing to close.", token.start)
        raise EngineError(f"Unexpected {token.text!r}.", token.start, token.end)

    BINDING = {"+": 10, "-": 10, "*": 20, "/": 20, "@": 20, "^": 40, "'": 50}

    def expression(self, right_binding: int, spaced: bool = False) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise EngineError(
                f"The answer is nested more than {MAX_DEPTH} levels deep.",
                self.current.start,
                kind="limit",
            )
        left = self.prefix(spaced)
        while True:
            token = self.current
            if token.kind != "op" or token.text not in self.BINDING:
                break
            if spaced and self._starts_new_entry(token):
                break
            binding = self.BINDING[token.text]
            if binding <= right_binding:
                break
            left = self.infix(left, spaced)
        self.depth -= 1
        return left

    def _starts_new_entry(self, token: Token) -> bool:
        """Inside [ ], ``1 -2`` is two entries, as in MATLAB; ``1 - 2`` and ``1-2`` are one."""
        if token.text not in "+-":
            return False
        following = self.following
        return token.space_before and not following.space_before and following.kind != "end"

    def prefix(self, spaced: bool) -> Node:
        token = self.current
        if token.kind == "num":
            self.advance()
            return Num(token.start, token.end, token.text)
        if token.kind == "name":
            return self.name_or_call(spaced)
        if token.kind == "op":
            if token.text in "-+":
                self.advance()
                operand = self.expression(30, spaced)
                if token.text == "+":
                    return operand
                return Neg(token.start, operand.end, operand)
            if token.text == "(":
                self.advance()
                inner = self.expression(0)
                closing = self.expect(")", token)
                return _respan(inner, token.start, closing.end)
            if token.text == "[":
                return self.matrix()
            if token.text == "'":
                raise EngineError(
                    "A quote is not allowed here: strings are not part of the language, and "
                    "' after an expression means transpose (as in W2').",
                    token.start,
                )
        if token.kind == "end":
            raise EngineError("The answer ends too early: an operand is missing here.",
                              token.start, kind="parse")
        raise EngineError(f"Expected a number, a name, '(' or '[' here, but found "
                          f"{self._describe(token)}.", token.start, token.end)

    def name_or_call(self, spaced: bool) -> Node:
        token = self.advance()
        word = token.text
        if self.is_op("(") and not (spaced and self.current.space_before):
            return self.call(token)
        if word in self.names:
            return Name(token.start, token.end, word)
        if word in self.functions:
            example = sorted(self.names)[0] if self.names else "2"  # a name of this lesson
            raise EngineError(
                f"{word} is a function: give it its argument in parentheses, e.g. "
                f"{word}({example}).",
                token.start,
                token.end,
                kind="name",
            )
        raise self._unknown_name(token)

    def _unknown_name(self, token: Token) -> EngineError:
        word = token.text
        known = sorted(self.names)
        listing = ", ".join(known) if known else "none"
        if keyword.iskeyword(word) or word.startswith("__"):
            return EngineError(
                f"{word!r} is Python, not part of the answer language. Names this lesson "
                f"knows: {listing}.",
                token.start,
                token.end,
                kind="name",
            )
        suggestion = _near_miss(word, known + sorted(self.functions))
        hint = f" Did you mean {suggestion}?" if suggestion else ""
        return EngineError(
            f"Unknown name {word!r}.{hint} Names this lesson knows: {listing}.",
            token.start,
            token.end,
            kind="name",
        )

    def call(self, name: Token) -> Node:
        word = name.text
        if word not in self.functions:
            if keyword.iskeyword(word) or word.startswith("__"):
                raise self._unknown_name(name)
            if word in self.names:
                raise EngineError(
                    f"{word} is a quantity, not a function: for a product write "
                    f"{self.wording.quantity_call.format(word=word)}.",
                    name.start,
                    name.end,
                    kind="name",
                )
            suggestion = _near_miss(word, sorted(self.functions))
            hint = f" Did you mean {suggestion}?" if suggestion else ""
            raise EngineError(
                f"Unknown function {word!r}.{hint} Functions: {', '.join(sorted(self.functions))}.",
                name.start,
                name.end,
                kind="name",
            )
        opened = self.advance()
        args: list[Node] = []
        if not self.is_op(")"):
            args.append(self.expression(0))
            while self.is_op(","):
                self.advance()
                args.append(self.expression(0))
        closing = self.expect(")", opened)
        return Call(name.start, closing.end, word, tuple(args))

    def infix(self, left: Node, spaced: bool) -> Node:
        token = self.advance()
        if token.text == "'":
            return Transpose(left.start, token.end, left)
        if token.text == "^":
            if self.current.kind == "name" and self.current.text == "T" and "T" not in self.names:
                marker = self.advance()
                return Transpose(left.start, marker.end, left)
            right = self.expression(39, spaced)  # right-associative
            return BinOp(left.start, right.end, "^", left, right)
        right = self.expression(self.BINDING[token.text], spaced)
        return BinOp(left.start, right.end, token.text, left, right)

    def matrix(self) -> Node:
        opened = self.advance()
        rows: list[list[Node]] = [[]]
        row_starts = [self.current.start]
        while not self.is_op("]"):
            if self.current.kind == "end":
                raise EngineError(
                    f"The matrix opened at column {opened.start + 1} is never closed with ']'.",
                    opened.start,
                )
            if self.is_op(";"):
                self.advance()
                rows.append([])
                row_starts.append(self.current.start)
                continue
            if self.is_op(","):
                if not rows[-1] or self.tokens[self.index - 1].text == ",":
                    raise EngineError("A comma needs an entry before it.", self.current.start)
                self.advance()
                continue
            rows[-1].append(self.expression(0, spaced=True))
        closing = self.advance()
        if rows and not rows[-1] and len(rows) > 1:  # a trailing ';' closes the last row
            rows.pop()
            row_starts.pop()
        if not rows[0]:
            raise EngineError("An empty matrix [] has no value; put numbers inside.",
                              opened.start, closing.end)
        if len(rows) == 1 and all(_is_single_row(cell) for cell in rows[0]):
            # [[1, 2], [3, 4]]: Python-style rows.
            row_starts = [cell.start for cell in rows[0]]
            rows = [list(cell.rows[0]) for cell in rows[0]]  # type: ignore[attr-defined]
        _check_literal(rows, row_starts, opened, closing)
        return Matrix(opened.start, closing.end, tuple(tuple(row) for row in rows))


def _check_tree_depth(node: Node) -> None:
    """Long operator chains nest without parentheses; shape and value checks recurse on them."""
    stack = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        if depth > MAX_TREE_DEPTH:
            raise EngineError(
                f"The answer chains more than {MAX_TREE_DEPTH} operations one inside another; "
                "write it more briefly.",
                current.start,
                current.end,
                kind="limit",
            )
        stack.extend((child, depth + 1) for child in children(current))


def _is_single_row(node: Node) -> bool:
    return isinstance(node, Matrix) and len(node.rows) == 1


def _check_literal(
    rows: list[list[Node]], starts: list[int], opened: Token, closing: Token
) -> None:
    width = len(rows[0])
    for number, (row, start) in enumerate(zip(rows, starts, strict=True), start=1):
        if not row:
            raise EngineError(f"Row {number} of the matrix is empty.", start, kind="parse")
        if len(row) != width:
            raise EngineError(
                f"Row {number} of the matrix has {len(row)} entries, but row 1 has {width}; "
                "every row needs the same number of entries.",
                row[0].start,
                row[-1].end,
                kind="parse",
            )
    if len(rows) > MAX_LITERAL_SIDE or width > MAX_LITERAL_SIDE or len(rows) * width > (
        MAX_LITERAL_ENTRIES
    ):
        raise EngineError(
            f"A {len(rows)}×{width} matrix is larger than this tutor accepts "
            f"(at most {MAX_LITERAL_ENTRIES} entries, {MAX_LITERAL_SIDE} per side).",
            opened.start,
            closing.end,
            kind="limit",
        )


def _respan(node: Node, start: int, end: int) -> Node:
    """Widen a node's span to include the parentheses around it."""
    values = {name: getattr(node, name) for name in node.__dataclass_fields__}
    values.update(start=start, end=end)
    return type(node)(**values)


def _near_miss(word: str, candidates: list[str]) -> str | None:
    lowered = {candidate.lower(): candidate for candidate in candidates}
    if word.lower() in lowered:
        return lowered[word.lower()]
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return close[0] if close else None


def parse(
    text: str,
    names: Collection[str] = (),
    functions: Collection[str] = BUILTIN_FUNCTIONS,
    wording: Wording = MATRICES,
) -> Node:
    """Parse an answer in the input language; raises ``EngineError`` with a position.
    ``wording``: NUMBERS for a problem of numbers only, whose advice never says @."""
    if not isinstance(text, str):
        raise EngineError("The answer must be text.")
    return Parser(text, names, functions, wording).parse()
