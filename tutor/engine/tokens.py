"""Student text → tokens, refusing every character the answer language does not know.

Split from the grammar (``parser.py``) because most of its work is telling a student,
precisely, what a character or a pasted habit from numpy, MATLAB or a word processor
is, and what to type instead; the grammar only ever sees the tokens.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from tutor.engine.errors import EngineError
from tutor.engine.functions import FUNCTIONS
from tutor.engine.nodes import SCREEN

MAX_LENGTH = 2000
MAX_NAME_LENGTH = 40
MAX_NUMBER_DIGITS = 30
MAX_NUMBER = 1e12
MAX_POWER_OF_TEN = 300  # Fraction("1e-99999999") would build 10**99999999 exactly

# Unicode spellings that mean exactly one thing in this language: every glyph the screen
# prints (so · typed back means @, as in W2ᵀ · x), and two look-alikes of them.
SYNONYMS = (
    {glyph.strip(): op for op, glyph in SCREEN.operators.items() if glyph.strip() != op}
    | {SCREEN.negation: "-", SCREEN.transpose: "'", "∘": "*", "⋅": "@"}
    | {function.glyph: name for name, function in FUNCTIONS.items() if function.glyph}
)

@dataclass(frozen=True)
class Wording:
    """What the parser's advice says about products. In a lesson whose quantities are all
    numbers (1×1), "elementwise" and @ mean nothing to the student: * multiplies."""

    side_by_side: str  # two terms with no operator between them
    times_sign: str  # what × stands for
    matlab: str  # MATLAB's .* typed: {pair} is .*, {plain} is *
    quantity_call: str  # W(...): "for a product write …", {word} for the quantity
    dot: str  # np.dot(a, b) and np.matmul(a, b) in this language
    alphabet: str  # the language's operators, for a character that is none of them


MATRICES = Wording(
    side_by_side="Write * for an elementwise product or @ for a matrix product.",
    times_sign="* (elementwise) or @ (matrix product)",
    matlab="{pair} is MATLAB's elementwise operator; here {plain} is already elementwise "
           "(and @ is the matrix product): write {plain}.",
    quantity_call="{word} @ (...) or {word} * (...)",
    dot="A @ B",
    alphabet="+ - * / @ ^ ' ( ) [ ] , ;",
)
NUMBERS = Wording(
    side_by_side="Write * to multiply.",
    times_sign="*",
    matlab="{pair} is MATLAB's way to write {plain}; here {plain} alone does it: write "
           "{plain}.",
    quantity_call="{word} * (...)",
    dot="a * b",
    alphabet="+ - * / ^ ( ) [ ] , ;",
)

# Look-alikes a pasted answer often carries: we name the letter they resemble.
CONFUSABLES = {
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "х": "x", "у": "y", "і": "i",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
    "С": "C", "Т": "T", "Х": "X", "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H",
    "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Χ": "X",
    "Υ": "Y", "ο": "o", "ν": "v", "ι": "i", "ϲ": "c", "ⅹ": "x",
    "‘": "' (transpose)", "’": "' (transpose)", "“": "nothing: strings are not allowed",
    "”": "nothing: strings are not allowed",
}

# Unicode's pictures of the C0 controls and DEL (␀ … ␟, ␡; not ␠, which is a space).
# The TUI's answer box shows a pasted control character as its picture
# (tutor/app/widgets/answer.py), and the parser names the character it stands for.
CONTROL_PICTURES = {code: 0x2400 + code for code in range(0x20)} | {0x7F: 0x2421}
_PICTURED = {picture: code for code, picture in CONTROL_PICTURES.items()}

_NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPERATORS = ("**", "+", "-", "*", "/", "@", "^", "(", ")", "[", "]", ",", ";", "'")


@dataclass(frozen=True)
class Token:
    kind: str  # "num", "name", "op", "end"
    text: str
    start: int
    end: int
    space_before: bool


def tokenize(text: str, wording: Wording = MATRICES) -> list[Token]:
    """Split text into tokens, refusing every character the language does not know."""
    if len(text) > MAX_LENGTH:
        raise EngineError(
            f"The answer is {len(text):,} characters long; the limit is {MAX_LENGTH:,}.",
            kind="limit",
        )
    tokens: list[Token] = []
    position = 0
    space = False
    while position < len(text):
        char = text[position]
        if char in " \t\r\n":
            space = True
            position += 1
            continue
        token = _read_token(text, position, space, wording)
        tokens.append(token)
        position = token.end
        space = False
    tokens.append(Token("end", "", len(text), len(text), space))
    return tokens


def _read_token(text: str, position: int, space: bool, wording: Wording) -> Token:
    char = text[position]
    if char in SYNONYMS:
        meaning = SYNONYMS[char]
        kind = "name" if meaning.isalpha() else "op"
        return Token(kind, meaning, position, position + 1, space)
    if _is_digit(char) or (char == "." and _is_digit(text[position + 1 : position + 2])):
        return _read_number(text, position, space)
    if char == ".":
        if text[position + 1 : position + 2] == "T" and not _NAME.match(text, position + 2):
            return Token("op", "'", position, position + 2, space)
        raise _dot_error(text, position, wording)
    name = _NAME.match(text, position)
    if name:
        word = name.group()
        if len(word) > MAX_NAME_LENGTH:
            raise EngineError(
                f"This name is {len(word)} characters long; names have at most "
                f"{MAX_NAME_LENGTH}.",
                position,
                name.end(),
                kind="limit",
            )
        return Token("name", word, position, name.end(), space)
    for op in _OPERATORS:
        if text.startswith(op, position):
            return Token("op", "^" if op == "**" else op, position, position + len(op), space)
    raise _unknown_character(text, position, wording)


# What a student who knows numpy, PyTorch or MATLAB types, and what it is here.
MATLAB_OPERATORS = {".*": "*", "./": "/", ".^": "^"}
MODULES = ("np", "numpy", "torch", "math", "jnp", "tf", "sp", "sympy")
MODULE_FUNCTIONS = {"dot": None, "matmul": None, "multiply": "A * B",  # None: Wording.dot
                    "transpose": "A.T", "power": "A ^ 2", "divide": "A / B"}
_TRAILING_NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)$")


def _dot_error(text: str, position: int, wording: Wording) -> EngineError:
    pair = text[position : position + 2]
    if pair in MATLAB_OPERATORS:
        plain = MATLAB_OPERATORS[pair]
        return EngineError(
            wording.matlab.format(pair=pair, plain=plain),
            position, position + 2, kind="parse",
        )
    before = _TRAILING_NAME.search(text[:position])
    after = _NAME.match(text, position + 1)
    if before and after:
        owner, member = before.group(1), after.group()
        start, end = before.start(), after.end()
        if member in MODULE_FUNCTIONS:
            return EngineError(
                f"{owner}.{member}(...) is Python; in this language write "
                f"{MODULE_FUNCTIONS[member] or wording.dot}.",
                start, end, kind="parse",
            )
        if owner in MODULES:
            known = member in FUNCTIONS
            way = (f"write {member}(...), without the {owner}. in front." if known else
                   f"functions are written without a module: {', '.join(FUNCTIONS)}.")
            return EngineError(f"{owner}.{member} is Python, not part of the answer language; "
                               f"{way}", start, end, kind="parse")
    return EngineError(
        "A dot may only be followed by T (as in W2.T, the transpose) or by digits (as in .5).",
        position,
        kind="parse",
    )


def _is_digit(char: str) -> bool:
    """ASCII digits only: '²'.isdigit() is true, but it is no number of this language."""
    return len(char) == 1 and "0" <= char <= "9"


def _read_number(text: str, position: int, space: bool) -> Token:
    match = _NUMBER.match(text, position)
    assert match is not None  # the caller saw a digit
    literal = match.group()
    if len(literal) > MAX_NUMBER_DIGITS:
        raise EngineError(
            f"This number has {len(literal)} characters; numbers have at most "
            f"{MAX_NUMBER_DIGITS}.",
            position,
            match.end(),
            kind="limit",
        )
    value = float(literal)
    if not value < MAX_NUMBER:
        raise EngineError(
            f"The number {literal} is too large; numbers here stay below {MAX_NUMBER:.0e}.",
            position,
            match.end(),
            kind="limit",
        )
    if match.group(2) and abs(int(match.group(2)[1:])) > MAX_POWER_OF_TEN:
        raise EngineError(
            f"The power of ten in {literal} is out of range; write numbers with at most "
            f"e±{MAX_POWER_OF_TEN}.",
            position,
            match.end(),
            kind="limit",
        )
    return Token("num", literal, position, match.end(), space)


def _unknown_character(text: str, position: int, wording: Wording) -> EngineError:
    char = text[position]
    code = f"U+{ord(char):04X}"
    label = unicodedata.name(char, "unnamed character")
    category = unicodedata.category(char)
    if char in CONFUSABLES or char == "×":
        return EngineError(
            f"The character {char!r} ({label}) is not part of the language; "
            f"did you mean {wording.times_sign if char == '×' else CONFUSABLES[char]}?",
            position,
            kind="parse",
        )
    if category in ("Cf", "Zs", "Zl", "Zp"):
        return EngineError(
            f"An invisible character ({code}, {label}) is hidden here; delete it and retype.",
            position,
            kind="parse",
        )
    if category.startswith("C"):
        return EngineError(
            f"A control character ({code}) is in the answer; delete it and retype.",
            position,
            kind="parse",
        )
    if ord(char) in _PICTURED:
        return EngineError(
            f"{char} stands for a control character (U+{_PICTURED[ord(char)]:04X}), which a paste "
            "brought into the answer; delete it and retype.",
            position,
            kind="parse",
        )
    folded = unicodedata.normalize("NFKC", char)
    if folded != char and folded.isascii() and folded.isprintable():
        return EngineError(
            f"The character {char!r} ({label}) looks like {folded!r}; type {folded!r} instead.",
            position,
            kind="parse",
        )
    printable = repr(char) if char.isprintable() else code
    hint = ""
    if char in "\"{}`$#!&|~<>=%:?\\":
        hint = f" The answer language has only numbers, names, {wording.alphabet}."
    return EngineError(f"The character {printable} is not part of the language.{hint}",
                       position, kind="parse")
