"""Hostile and odd answers: each gets a clear message, nothing runs, nothing breaks."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from tutor.cli.command import main
from tutor.lessons.load import load_catalog

SENTINEL = Path("/tmp/chain-tutor-pwned")
LESSON = load_catalog().get("two-layer-sigmoid")

HOSTILE = [
    # Python escapes
    f"__import__('os').system('touch {SENTINEL}')",
    "().__class__.__bases__[0].__subclasses__()",
    "lambda: 0",
    "f'{W3}'",
    'f"{__import__(\'os\')}"',
    "open('x')",
    "exec('1')",
    "eval('W3')",
    "import os",
    "W3.__class__",
    "W3.T.__dict__",
    "globals()",
    "getattr(W3, 'T')",
    "[x for x in W3]",
    "W3 if W3 else W2",
    "W3; import os",
    "W3 # comment",
    "W3 and W2",
    "`ls`",
    "$(id)",
    "W3 | id",
    "W3 := 1",
    "W3 = 1",
    "sympify('W3')",
    "parse_expr('W3')",
    # size and depth
    "W3 + " * 25_000 + "W3",
    "(" * 10_000 + "W3" + ")" * 10_000,
    "(" * 61 + "W3" + ")" * 61,
    "-" * 500 + "W3",
    "9^9^9^9",
    "W3^100000",
    "W3^1e10",
    "1e999999",
    "123456789012345678901234567890123",
    "[" + "; ".join(" ".join("1" for _ in range(1000)) for _ in range(3)) + "]",
    "[" + ", ".join("1" for _ in range(500)) + "]",
    "ones(1000, 1000)",
    "eye(100000)",
    "W3 @ W3 @ W3",
    "diag(W2)",
    "sum(W3, W2)",
    "sigma()",
    "x" * 100,
    # unicode: confusables, invisible, look-alikes
    "Wз",  # Cyrillic ze
    "W3 @ һ2",  # Cyrillic shha
    "Ｗ３",  # fullwidth
    "W3\u200b",
    "W\u200d3",
    "\ufeffW3",
    "W3\u202e",
    "W3 × h2",
    "W3 · h2",
    "“W3”",
    "𝑊3",
    # terminal control and escapes
    "\x1b[2J\x1b[31mW3",
    "W3\x1b]0;title\x07",
    "\x9b31m",
    "W3\x00",
    "\x00",
    "W3\r\x1b[K",
    "\x08\x08W3",
    # empty, whitespace, multi-line
    "",
    "   ",
    "\t\n",
    "W3\n+ W3\nimport os",
    "[1 2\n3 4]",
    # odd but harmless
    "[]",
    "[[1, 2], [3]]",
    "[1, 2; 3]",
    "((W3)",
    "W3)",
    "W3 ++ W3",
    ".T",
    "W3..T",
    "W3.TT",
    "W3.t",
    "'W3'",
    "sigma",
    "W3(h2)",
    "log(-W3)",
    "sqrt(-1) * W3",
    "W3 / 0",
    "exp(1e11) * W3",
]


def _has_control(text: str) -> bool:
    return any(unicodedata.category(c) == "Cc" and c != "\n" for c in text)


def test_the_corpus_is_large_enough():
    assert len(HOSTILE) >= 60


@pytest.mark.parametrize("text", HOSTILE, ids=[repr(t[:30]) for t in HOSTILE])
def test_hostile_answer_gets_a_clear_message_and_runs_nothing(text):
    SENTINEL.unlink(missing_ok=True)
    verdict = LESSON.check("df_dh2", text, seed=1)
    assert verdict.verdict in ("invalid", "incorrect")
    assert verdict.feedback.strip()
    assert len(verdict.feedback) < 2000, "a message for a person, not a dump"
    assert not _has_control(verdict.feedback), "control characters must never reach a terminal"
    json.dumps(verdict.to_json())
    assert not SENTINEL.exists()


@pytest.mark.parametrize("text", HOSTILE[:20] + HOSTILE[-20:])
def test_hostile_answer_through_the_command(capsys, text):
    code = main(["check", "--json", "two-layer-sigmoid", "dz2_dh1", "--", text])
    result = json.loads(capsys.readouterr().out)
    assert code in (1, 2)
    assert result["verdict"] in ("invalid", "incorrect")


def test_a_hostile_answer_leaves_the_engine_usable():
    for text in HOSTILE:
        LESSON.check("df_dW1", text)
    assert LESSON.check("df_dh2", "W3").correct


def test_slow_to_prove_answer_returns_with_a_numeric_verdict():
    slow = ("diag(h2*(1-h2)) + diag((0.1*(h2+z1+z2+h1))^2)^20 - diag(0.01*(h2^2+z1^2+z2^2+h1^2"
            "+2*h2*z1+2*h2*z2+2*h2*h1+2*z1*z2+2*z1*h1+2*z2*h1))^20")
    verdict = LESSON.check("dh2_dz2", slow)
    assert verdict.correct
    assert verdict.numeric is True
    assert verdict.symbolic == "timeout"
    assert "timed out" in verdict.feedback
