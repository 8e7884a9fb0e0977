"""The input language: every construct parses to the right tree, every error says where and why.

Assertions are on key phrases and on the error's span, never on whole sentences.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flagship import NAMES, SHAPES

from tutor.engine import FUNCTIONS, EngineError, infer_shape, parse
from tutor.engine.nodes import BinOp, Call, Matrix, Name, Neg, Num, Transpose
from tutor.engine.parser import (
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_LITERAL_ENTRIES,
    MAX_LITERAL_SIDE,
    MAX_NAME_LENGTH,
    MAX_NUMBER_DIGITS,
    MAX_TREE_DEPTH,
)


def tree(text: str, names=NAMES):
    return parse(text, names)


def error(text: str, names=NAMES) -> EngineError:
    with pytest.raises(EngineError) as caught:
        parse(text, names)
    return caught.value


X, H2, W1, W2, W3 = (Name(0, 0, n) for n in ("x", "h2", "W1", "W2", "W3"))


def num(text: str) -> Num:
    return Num(0, 0, text)


# -- numbers, names, parentheses, unary minus ------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [("2", 2.0), ("0.25", 0.25), ("1e-3", 1e-3), (".5", 0.5), ("1.", 1.0), ("2E+3", 2000.0),
     ("007", 7.0)],
)
def test_numbers(text, value):
    node = tree(text)
    assert isinstance(node, Num)
    assert node.value == value
    assert (node.start, node.end) == (0, len(text))


@pytest.mark.parametrize("name", NAMES)
def test_every_lesson_name_is_a_name(name):
    assert tree(name) == Name(0, 0, name)


def test_parentheses_widen_the_span_but_add_no_node():
    node = tree("(W1)")
    assert node == W1
    assert (node.start, node.end) == (0, 4)


def test_unary_minus():
    assert tree("-x") == Neg(0, 0, X)
    assert tree("--x") == Neg(0, 0, Neg(0, 0, X))
    assert tree("+x") == X


def test_unary_minus_binds_looser_than_power():
    assert tree("-x^2") == Neg(0, 0, BinOp(0, 0, "^", X, num("2")))


def test_whitespace_and_newlines_are_ignored():
    assert tree("  W3\n@\th2  ") == BinOp(0, 0, "@", W3, H2)


# -- operators ---------------------------------------------------------------------------


@pytest.mark.parametrize("op", ["@", "*", "/", "+", "-", "^"])
def test_binary_operators(op):
    assert tree(f"x {op} 2") == BinOp(0, 0, op, X, num("2"))


@pytest.mark.parametrize(("text", "op"), [("x ** 2", "^"), ("x ⊙ h2", "*"), ("x ∘ h2", "*"),
                                          ("x − h2", "-")])
def test_operator_spellings(text, op):
    node = tree(text)
    assert isinstance(node, BinOp)
    assert node.op == op


def test_products_bind_tighter_than_sums():
    assert tree("x + W1 @ x") == BinOp(0, 0, "+", X, BinOp(0, 0, "@", W1, X))
    assert tree("x - h2 * x") == BinOp(0, 0, "-", X, BinOp(0, 0, "*", H2, X))


def test_matrix_and_elementwise_products_share_a_level_left_to_right():
    assert tree("W1 @ x * h2") == BinOp(0, 0, "*", BinOp(0, 0, "@", W1, X), H2)


def test_sums_are_left_associative():
    assert tree("x - x - x") == BinOp(0, 0, "-", BinOp(0, 0, "-", X, X), X)


def test_power_is_right_associative():
    assert tree("2^3^2") == BinOp(0, 0, "^", num("2"), BinOp(0, 0, "^", num("3"), num("2")))


def test_binary_node_spans_cover_both_operands():
    node = tree("f + W3 @ h2")
    assert (node.start, node.end) == (0, 11)
    assert (node.right.start, node.right.end) == (4, 11)


# -- transpose ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["W3.T", "W3^T", "W3'", "W3ᵀ", "W3 ^ T", "W3**T"])
def test_transpose_spellings(text):
    assert tree(text) == Transpose(0, 0, W3)


def test_transpose_of_a_parenthesised_product():
    assert tree("(W1 @ x).T") == Transpose(0, 0, BinOp(0, 0, "@", W1, X))


def test_transpose_chains():
    assert tree("x.T'") == Transpose(0, 0, Transpose(0, 0, X))


def test_caret_t_is_a_power_when_the_lesson_names_t():
    node = tree("x^T", names=[*NAMES, "T"])
    assert node == BinOp(0, 0, "^", X, Name(0, 0, "T"))


def test_transpose_binds_tighter_than_unary_minus_and_products():
    assert tree("-x'") == Neg(0, 0, Transpose(0, 0, X))
    assert tree("W1 @ x'") == BinOp(0, 0, "@", W1, Transpose(0, 0, X))


# -- functions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "func", [name for name, f in FUNCTIONS.items() if f.arity == 1 and not f.constant_args]
)
def test_one_argument_functions(func):
    assert tree(f"{func}(h2)") == Call(0, 0, func, (H2,))


def test_sigma_letter_is_sigma():
    assert tree("σ(h2)") == Call(0, 0, "sigma", (H2,))


def test_size_functions():
    assert tree("ones(2, 1)") == Call(0, 0, "ones", (num("2"), num("1")))
    assert tree("eye(2)") == Call(0, 0, "eye", (num("2"),))


def test_call_span_covers_the_parentheses():
    node = tree("x + sigma(h2)")
    assert (node.right.start, node.right.end) == (4, 13)


def test_nested_calls():
    assert tree("diag(sigma(W1 @ x))") == Call(
        0, 0, "diag", (Call(0, 0, "sigma", (BinOp(0, 0, "@", W1, X),)),)
    )


# -- matrix literals -----------------------------------------------------------------------


def rows_of(node) -> list[list[str]]:
    assert isinstance(node, Matrix)
    return [[_cell(c) for c in row] for row in node.rows]


def _cell(node) -> str:
    if isinstance(node, Num):
        return node.text
    if isinstance(node, Neg) and isinstance(node.operand, Num):
        return "-" + node.operand.text
    return type(node).__name__


@pytest.mark.parametrize(
    ("text", "rows"),
    [
        ("[[1, 2], [3, 4]]", [["1", "2"], ["3", "4"]]),
        ("[1 2; 3 4]", [["1", "2"], ["3", "4"]]),
        ("[1, 2; 3, 4]", [["1", "2"], ["3", "4"]]),
        ("[1; 2]", [["1"], ["2"]]),
        ("[1 2]", [["1", "2"]]),
        ("[[1, 2]]", [["1", "2"]]),
        ("[1 -2]", [["1", "-2"]]),
        ("[1 - 2]", [["BinOp"]]),
        ("[1-2]", [["BinOp"]]),
        ("[1 +2]", [["1", "2"]]),
        ("[1 -2; -3 4]", [["1", "-2"], ["-3", "4"]]),
        ("[1, 2;]", [["1", "2"]]),
        ("[0.25 1e-3]", [["0.25", "1e-3"]]),
    ],
)
def test_matrix_literals(text, rows):
    assert rows_of(tree(text)) == rows


def test_matrix_literal_spaced_minus_makes_two_entries_but_binary_minus_one():
    two = tree("[f -f]")
    one = tree("[f - f]")
    assert len(two.rows[0]) == 2 and isinstance(two.rows[0][1], Neg)
    assert len(one.rows[0]) == 1 and isinstance(one.rows[0][0], BinOp)


def test_matrix_literal_space_before_parenthesis_starts_a_new_entry():
    node = tree("[f (f)]")
    assert len(node.rows[0]) == 2


def test_matrix_literal_cells_may_be_expressions():
    node = tree("[f, 2*f; sum(x), f^2]")
    assert infer_shape(node, SHAPES) == (2, 2)


def test_matrix_literal_shape():
    assert infer_shape(tree("[1 2 3; 4 5 6]"), SHAPES) == (2, 3)
    assert infer_shape(tree("[1; 2; 3]"), SHAPES) == (3, 1)


# -- errors: empty, characters, positions ------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_empty_answer(text):
    problem = error(text)
    assert "empty" in problem.message
    assert problem.kind == "parse"


def test_unknown_character_points_at_it_and_lists_the_language():
    problem = error("x $ h2")
    assert (problem.start, problem.end) == (2, 3)
    assert "'$' is not part of the language" in problem.message
    assert "@" in problem.message


@pytest.mark.parametrize("text", ['"x"', "`x`", "x = 1", "x{1}", "x # c", "a:b"])
def test_python_punctuation_is_refused(text):
    assert "not part of the language" in error(text).message


@pytest.mark.parametrize(
    ("text", "position", "letter"),
    [("W1 @ х", 5, "x"), ("Ꮃ1", 0, None), ("W1 @ Х", 5, "X"), ("һ2", 0, None),
     ("Wа", 1, "a"), ("σ(ｚ1)", 2, "z")],
)
def test_confusable_letters_are_named(text, position, letter):
    problem = error(text)
    assert problem.start == position
    if letter is not None:
        assert f"'{letter}'" in problem.message or f"mean {letter}" in problem.message


def test_cyrillic_confusable_says_which_letter_it_resembles():
    problem = error("W1 @ х")
    assert "CYRILLIC" in problem.message
    assert "did you mean x?" in problem.message


@pytest.mark.parametrize("char", ["\u200b", "\u200d", "\ufeff", "\u00a0", "\u2028"])
def test_invisible_characters(char):
    problem = error(f"W3{char} @ h2")
    assert problem.start == 2
    assert "invisible" in problem.message
    assert f"U+{ord(char):04X}" in problem.message


@pytest.mark.parametrize("char", ["\x1b", "\x00", "\x07", "\x7f", "\ud800"])
def test_control_characters(char):
    problem = error(f"W3 {char}[31m")
    assert problem.start == 3
    assert "control character" in problem.message
    assert f"U+{ord(char):04X}" in problem.message


@pytest.mark.parametrize(("char", "code"), [("␛", "U+001B"), ("␀", "U+0000"),
                                           ("␡", "U+007F")])
def test_a_control_picture_is_named_for_what_it_stands_for(char, code):
    # The TUI's answer box shows a pasted control character as its picture.
    problem = error(f"W3{char}")
    assert problem.start == 2
    assert "control character" in problem.message and code in problem.message


def test_the_picture_of_a_space_is_not_called_a_control_character():
    problem = error("W3␠")
    assert problem.start == 2
    assert "control character" not in problem.message


def test_escape_sequence_never_reaches_the_description():
    text = "W3 @ \x1b[31mh2\x1b[0m"
    described = error(text).describe(text)
    assert "\x1b" not in described
    assert all(c.isprintable() or c == "\n" for c in described)


def test_caret_lines_up_under_the_offending_character():
    text = "W3 @ h2 $ x"
    caret = error(text).caret(text).split("\n")
    assert caret[1].index("^") == text.index("$")


def test_caret_in_multiline_text_stays_on_one_line():
    text = "W3\n@ h2\n$"
    lines = error(text).caret(text).split("\n")
    assert len(lines) == 2
    assert lines[1].index("^") == text.index("$")


def test_fullwidth_and_superscript_digits_say_what_to_type():
    assert "type 'x'" in error("ｘ").message
    problem = error("h2²")
    assert problem.start == 2
    assert "'2'" in problem.message


def test_unicode_digits_are_not_numbers():
    assert error("x * ٣").start == 4


def test_dot_needs_t_or_digits():
    problem = error("W1.x")
    assert problem.start == 2
    assert "dot" in problem.message and ".T" in problem.message


# -- errors: grammar --------------------------------------------------------------------------


def test_unclosed_parenthesis_names_the_column_it_was_opened_at():
    problem = error("x + (h2 * 2")
    assert problem.start == len("x + (h2 * 2")
    assert "Expected ')'" in problem.message
    assert "column 5" in problem.message
    assert "end of the answer" in problem.message


def test_unclosed_call():
    problem = error("sigma(z1, z2")
    assert "Expected ')'" in problem.message and "column 6" in problem.message


def test_closing_parenthesis_with_nothing_to_close():
    problem = error("x + h2)")
    assert problem.start == 6
    assert "nothing to close" in problem.message


def test_missing_operand_at_the_end():
    problem = error("W3 @")
    assert problem.start == 4
    assert "ends too early" in problem.message


def test_operator_where_an_operand_belongs():
    problem = error("x + * h2")
    assert (problem.start, problem.end) == (4, 5)
    assert "Expected a number, a name, '(' or '['" in problem.message
    assert "'*'" in problem.message


def test_two_terms_side_by_side_suggest_an_operator():
    problem = error("W3 h2")
    assert (problem.start, problem.end) == (3, 5)
    assert "'W3'" in problem.message and "'h2'" in problem.message
    assert "@" in problem.suggestion and "*" in problem.suggestion


def test_number_then_name_is_two_terms():
    problem = error("2x")
    assert problem.start == 1
    assert "no operator" in problem.message


@pytest.mark.parametrize(("text", "position"), [("x, h2", 1), ("x; h2", 1)])
def test_stray_separators(text, position):
    problem = error(text)
    assert problem.start == position
    assert "Unexpected" in problem.message


def test_quote_where_an_operand_belongs():
    problem = error("'x'")
    assert problem.start == 0
    assert "quote" in problem.message and "transpose" in problem.message


# -- errors: names and functions --------------------------------------------------------------


def test_unknown_name_lists_known_names_and_suggests_a_near_miss():
    problem = error("w1 @ x")
    assert (problem.start, problem.end) == (0, 2)
    assert problem.kind == "name"
    assert "Unknown name 'w1'" in problem.message
    assert "Did you mean W1?" in problem.message
    assert "W1, W2, W3" in problem.message


def test_unknown_name_inside_an_expression_points_at_it():
    problem = error("W3 @ sigma(zz2)")
    assert (problem.start, problem.end) == (11, 14)
    assert "Did you mean z2?" in problem.message


def test_unknown_name_without_a_near_miss():
    problem = error("banana")
    assert "Did you mean" not in problem.message
    assert "Names this lesson knows" in problem.message


def test_unknown_name_when_the_lesson_knows_none():
    assert "knows: none" in error("x", names=()).message


def test_unknown_function_suggests_the_builtin():
    problem = error("sigmoid(z2)")
    assert (problem.start, problem.end) == (0, 7)
    assert "Unknown function 'sigmoid'" in problem.message
    assert "Did you mean sigma?" in problem.message
    assert "softmax" in problem.message  # the list of functions


def test_a_quantity_is_not_a_function():
    problem = error("W3(h2)")
    assert (problem.start, problem.end) == (0, 2)
    assert "quantity, not a function" in problem.message


@pytest.mark.parametrize("text", ["sigma", "sigma + 1", "diag @ x"])
def test_a_function_needs_parentheses(text):
    problem = error(text)
    assert problem.start == 0
    assert "is a function" in problem.message


@pytest.mark.parametrize("word", ["lambda", "import", "__import__", "__class__", "not"])
def test_python_words_are_called_python(word):
    problem = error(word)
    assert problem.kind == "name"
    assert "is Python" in problem.message


def test_python_call_is_called_python():
    problem = error("__import__('os')")
    assert (problem.start, problem.end) == (0, 10)
    assert "is Python" in problem.message


# -- errors: matrix literals ------------------------------------------------------------------


def test_unequal_rows_name_the_row():
    problem = error("[1 2; 3]")
    assert "Row 2" in problem.message and "row 1 has 2" in problem.message
    assert (problem.start, problem.end) == (6, 7)


def test_unequal_python_style_rows_name_the_row():
    problem = error("[[1, 2], [3, 4], [5]]")
    assert "Row 3" in problem.message
    assert problem.start == len("[[1, 2], [3, 4], [")


def test_empty_matrix():
    problem = error("[]")
    assert "empty matrix" in problem.message
    assert (problem.start, problem.end) == (0, 2)


def test_empty_row():
    problem = error("[1; ; 2]")
    assert "Row 2" in problem.message and "empty" in problem.message


@pytest.mark.parametrize(("text", "position"), [("[, 1]", 1), ("[1, , 2]", 4), ("[1,,2]", 3)])
def test_comma_without_an_entry(text, position):
    problem = error(text)
    assert problem.start == position
    assert "comma needs an entry" in problem.message


def test_unclosed_matrix():
    problem = error("x + [1, 2")
    assert problem.start == 4
    assert "never closed" in problem.message and "column 5" in problem.message


# -- limits --------------------------------------------------------------------------------------


def test_input_length_limit():
    problem = error("x" * (MAX_LENGTH + 1))
    assert problem.kind == "limit"
    assert f"{MAX_LENGTH + 1:,} characters" in problem.message
    assert f"{MAX_LENGTH:,}" in problem.message


def test_input_at_the_length_limit_is_read():
    text = "x" + " " * (MAX_LENGTH - 1)
    assert tree(text) == X


@pytest.mark.parametrize(
    "text",
    [
        "(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1),
        "sigma(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1),
        "-" * (MAX_DEPTH + 1) + "x",
        "[" * (MAX_DEPTH + 1) + "1" + "]" * (MAX_DEPTH + 1),
        "2^" * (MAX_DEPTH + 1) + "2",
    ],
    ids=["parentheses", "calls", "minus", "brackets", "powers"],
)
def test_nesting_depth_limit(text):
    problem = error(text)
    assert problem.kind == "limit"
    assert f"more than {MAX_DEPTH} levels" in problem.message


def test_nesting_just_under_the_limit_is_read():
    depth = MAX_DEPTH - 1
    assert tree("(" * depth + "x" + ")" * depth) == X


@pytest.mark.parametrize(
    "text",
    ["1" + "+1" * MAX_TREE_DEPTH, "x" + "'" * (MAX_TREE_DEPTH + 1),
     "x" + ".T" * (MAX_TREE_DEPTH + 1), "x" + " @ f" * (MAX_TREE_DEPTH + 1),
     "x" + "^T" * (MAX_TREE_DEPTH + 1)],
    ids=["sum", "quote", "dot-T", "matmul", "caret-T"],
)
def test_long_operator_chains_are_a_limit_not_a_crash(text):
    """Chains nest without parentheses; 1000 of them once overflowed Python's stack."""
    assert len(text) <= MAX_LENGTH
    problem = error(text)
    assert problem.kind == "limit"
    assert "operations" in problem.message


def test_longest_allowed_chain_is_shape_checked():
    node = tree("1" + "+1" * (MAX_TREE_DEPTH - 1))
    assert infer_shape(node, SHAPES) == (1, 1)


def test_name_length_limit():
    problem = error("a" * (MAX_NAME_LENGTH + 1))
    assert problem.kind == "limit"
    assert (problem.start, problem.end) == (0, MAX_NAME_LENGTH + 1)
    assert f"at most {MAX_NAME_LENGTH}" in problem.message


def test_number_length_limit():
    problem = error("x + " + "1" * (MAX_NUMBER_DIGITS + 1))
    assert problem.kind == "limit"
    assert (problem.start, problem.end) == (4, 4 + MAX_NUMBER_DIGITS + 1)
    assert f"at most {MAX_NUMBER_DIGITS}" in problem.message


@pytest.mark.parametrize("text", ["1e13", "1e999999", "9999999999999"])
def test_number_size_limit(text):
    problem = error(text)
    assert problem.kind == "limit"
    assert "too large" in problem.message


@pytest.mark.parametrize("text", ["1e-400", "0e999999", "1e-99999999999999999999999"])
def test_power_of_ten_limit(text):
    """Fraction("1e-99999999999") builds 10**99999999999 exactly, which never finishes."""
    problem = error(text)
    assert problem.kind == "limit"
    assert "power of ten" in problem.message


def test_small_numbers_are_fine():
    assert tree("1e-300").value == 1e-300


def test_literal_side_limit():
    text = "[" + "; ".join(["1"] * (MAX_LITERAL_SIDE + 1)) + "]"
    problem = error(text)
    assert problem.kind == "limit"
    assert (problem.start, problem.end) == (0, len(text))
    assert f"{MAX_LITERAL_SIDE + 1}×1" in problem.message


def test_literal_entry_limit():
    side = 21
    assert side * side > MAX_LITERAL_ENTRIES and side <= MAX_LITERAL_SIDE
    text = "[" + "; ".join(" ".join(["1"] * side) for _ in range(side)) + "]"
    problem = error(text)
    assert problem.kind == "limit"
    assert f"at most {MAX_LITERAL_ENTRIES} entries" in problem.message


def test_literal_at_the_entry_limit_is_read():
    text = "[" + "; ".join(" ".join(["1"] * 20) for _ in range(20)) + "]"
    assert infer_shape(tree(text), SHAPES) == (20, 20)


# -- hostile inputs ----------------------------------------------------------------------------

SENTINEL = Path("/tmp/chain-tutor-test-parser-pwned")

HOSTILE = {
    "python import": f"__import__('os').system('touch {SENTINEL}')",
    "dunder class": "().__class__",
    "dunder chain": "W3.__class__.__bases__",
    "lambda": "lambda: 0",
    "f-string": "f'{W3}'",
    "f-string double": 'f"{__import__(\'os\')}"',
    "open": "open('x')",
    "eval": "eval('W3')",
    "exec": "exec('import os')",
    "sympify": "sympify('W3')",
    "getattr": "getattr(W3, 'T')",
    "comprehension": "[v for v in W3]",
    "walrus": "(W3 := 1)",
    "subscript": "W3[0]",
    "huge input": "W3 + " * 20_000 + "W3",
    "deep parentheses": "(" * 10_000 + "x" + ")" * 10_000,
    "tower of powers": "9^9^9^9",
    "big exponent": "x^100000",
    "huge number": "1e999999",
    "thousand square literal": "[" + "; ".join(" ".join(["1"] * 1000) for _ in range(1000)) + "]",
    "cyrillic": "W3 @ һ2",
    "greek": "Ꮃ3 @ h2",
    "zero-width space": "W3\u200b@ h2",
    "escape": "\x1b[31mW3\x1b[0m",
    "nul": "W3\x00",
    "bell": "\x07",
    "bidi override": "W3 \u202e@ h2",
    "empty": "",
    "whitespace": " \t\n ",
    "surrogate": "\udcff",
    "emoji": "W3 @ 🙂",
    "multi-line": "W3\n@\nh2",
    "windows newlines": "W3\r\n@ h2",
    "backslash": "W3 \\ h2",
}


@pytest.mark.parametrize("text", list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_input_is_an_engine_error_or_harmless(text):
    try:
        node = parse(text, NAMES)
        infer_shape(node, SHAPES)
    except EngineError as problem:
        described = problem.describe(text)
        assert isinstance(described, str)
        assert "\x1b" not in described and "\x00" not in described
    assert not SENTINEL.exists()


@pytest.mark.parametrize(
    ("key", "kind"),
    [("python import", "parse"), ("huge input", "limit"), ("deep parentheses", "limit"),
     ("big exponent", "limit"), ("tower of powers", "limit"), ("huge number", "limit"),
     ("thousand square literal", "limit"), ("f-string", "parse"), ("open", "name"),
     ("escape", "parse"), ("nul", "parse"), ("zero-width space", "parse"),
     ("cyrillic", "parse"), ("dunder class", "parse")],
)
def test_hostile_inputs_are_refused_with_the_right_kind(key, kind):
    text = HOSTILE[key]
    with pytest.raises(EngineError) as caught:
        infer_shape(parse(text, NAMES), SHAPES)
    assert caught.value.kind == kind


def test_multi_line_answer_parses_as_one_expression():
    assert parse(HOSTILE["multi-line"], NAMES) == BinOp(0, 0, "@", W3, H2)


def test_non_text_is_an_engine_error():
    with pytest.raises(EngineError):
        parse(None, NAMES)  # type: ignore[arg-type]
    with pytest.raises(EngineError):
        parse(b"W3", NAMES)  # type: ignore[arg-type]
