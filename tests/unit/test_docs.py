"""README's promises: its example lesson validates and CI runs its test command."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tutor.lessons.load import parse_lesson
from tutor.lessons.validation import validate_lesson

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


def _quick_start_commands() -> list[str]:
    """The install-and-start command and the test command, as README prints them."""
    start = README.split("Install and start the tutor", 1)[1].split("```\n", 2)[1].split("```")[0]
    test = README.split("<!-- test-command -->", 1)[1].split("```\n", 2)[1].split("```")[0]
    return [start.strip(), test.strip()]


def test_readme_quick_start_works_on_a_fresh_debian_as_printed():
    # A fresh Debian has python3 but no `python`, and its pip refuses to install into the
    # system's Python (externally-managed-environment): each command first makes and
    # activates a virtual environment, and only then says `python` or `pip`.
    for command in _quick_start_commands():
        steps = [step.strip() for step in command.split("&&")]
        assert steps[:2] == ["python3 -m venv .venv", ". .venv/bin/activate"], command
        assert "pip install" in command
        before = " ".join(steps[:2])
        assert not re.search(r"(^|\s)(python|pip)\s", before), command


def test_ci_sets_up_nothing_the_readme_command_does_not():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    code = "\n".join(line for line in ci.splitlines() if not line.lstrip().startswith("#"))
    assert not re.search(r"\bpip\b|\bvenv\b|activate", code)


def test_the_readme_test_command_makes_its_environment_under_ci_shell_options(tmp_path):
    # .ci/run runs the command with `bash -euo pipefail -c`; venv's activate script must
    # survive `set -u` there. The make-and-activate part runs for real here.
    make_and_activate = " && ".join(_quick_start_commands()[1].split(" && ")[:2])
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c",
         make_and_activate + ' && python -c "import sys; print(sys.prefix)"'],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()) == tmp_path / ".venv"


def test_readme_states_every_limit_of_the_answer_language():
    from tutor.engine import parser

    limits = README.split("Limits, each with its own message:", 1)[1].split("\n\n", 1)[0]
    limits = " ".join(limits.split())
    assert f"{parser.MAX_DEPTH} levels of nesting" in limits
    assert f"{parser.MAX_TREE_DEPTH} operations chained" in limits
