"""The suite runs on every core (README's `pytest -n auto`): each test has a home folder of
its own (tests/conftest.py), so that tests run in parallel never share a progress database
or a lesson index cache, and none writes to the real user's."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from tutor.progress import default_cache_dir, default_data_dir

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
REAL_HOME = Path(os.path.expanduser("~"))  # read while collecting, before any test's fixture
PROBE = ("from tutor.progress import default_cache_dir, default_data_dir; "
         "print(default_data_dir()); print(default_cache_dir())")


def test_the_tutors_folders_in_a_test_are_not_the_users():
    for folder in (default_data_dir(), default_cache_dir()):
        assert not folder.is_relative_to(REAL_HOME), folder


def test_a_command_a_test_runs_uses_the_tests_own_folders_too():
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                            check=True, timeout=60)
    for line in result.stdout.splitlines():
        assert Path(os.environ["HOME"]) in Path(line).parents, line
        assert not Path(line).is_relative_to(REAL_HOME), line


def test_the_readme_test_command_runs_the_suite_on_every_core():
    block = README.split("<!-- test-command -->", 1)[1].split("<!-- /test-command -->", 1)[0]
    assert block.strip().strip("`").strip().endswith("python -m pytest -q -n auto")
    assert "-p no:xdist" in README  # and says how to run it in one process
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]["test"]
    assert any(re.match(r"pytest-xdist\b", requirement) for requirement in extra)
