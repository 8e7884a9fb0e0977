"""README's promises: its example lesson validates and CI runs its test command."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tutor.lessons import parse_lesson
from tutor.validation import validate_lesson

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_example_lesson_is_valid():
    example = README.split("```toml\n", 1)[1].split("```", 1)[0]
    lesson = parse_lesson(example)
    assert [f for f in validate_lesson(lesson) if f.error] == []
    assert lesson.check("df_dx", "a.T @ W").correct


def test_ci_extracts_exactly_the_readme_test_command():
    block = README.split("<!-- test-command -->", 1)[1].split("<!-- /test-command -->", 1)[0]
    command = block.strip().strip("`").strip()
    extracted = subprocess.run(
        ["bash", "-c", "sed -n '/<!-- test-command -->/,/<!-- \\/test-command -->/p' README.md"
         " | sed -n '/^```/,/^```/p' | sed '/^```/d'"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert extracted == command
    assert "pytest" in command


def test_every_test_a_readme_promise_names_exists():
    tests = "".join(path.read_text(encoding="utf-8") for path in (ROOT / "tests").rglob("*.py"))
    named = set(re.findall(r"`(test_[a-z0-9_]+)`", README))
    assert named
    assert sorted(name for name in named if f"def {name}(" not in tests) == []
    for path in re.findall(r"`(tests/[\w/]+\.py)`", README):
        assert (ROOT / path).is_file(), path
