"""Hostile lesson files: each is one broken entry with its reason, located at file:line.

A lesson folder may hold anything: a file nested too deeply for tomllib, a range
upside down, a number where a string belongs. None may take down the other lessons,
`lessons`, `check`, `validate` or `show`; `validate` names the file and line and exits 1.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.cli import main
from tutor.lesson_index import read_index
from tutor.lessons import ENV_LESSONS, load_catalog

# Correct everywhere in its declared range, undefined (log of a negative) outside it.
TINY = """\
id = "tiny"
title = "Tiny"
intro = "Everything is 1×1 here (numerator layout)."
goal = "dz_dx"

[quantities]
x = { shape = [1, 1], draw = "decimal", low = 0.5, high = 2.0, about = "a number" }

[definitions]
y = "log(x)"
z = "3 * y"

[[steps]]
id = "dy_dx"
of = "y"
wrt = "x"
prompt = "dy/dx (1×1)?"
answer = "1 / x"
hints = ["the derivative of log"]
note = "a note"

[[steps.mistakes]]
answer = "x"
feedback = "That is x."

[[steps]]
id = "dz_dy"
of = "z"
wrt = "y"
prompt = "dz/dy (1×1)?"
answer = "3"

[[steps]]
id = "dz_dx"
of = "z"
wrt = "x"
prompt = "dz/dx (1×1)?"
answer = "3 / x"
composes = "dz_dy * dy_dx"
"""
DEEP = "deep = " + "[" * 500 + "]" * 500 + "\n"


@pytest.fixture(autouse=True)
def _only_shipped_lessons(monkeypatch):
    monkeypatch.delenv(ENV_LESSONS, raising=False)


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# -- a file nested too deeply for tomllib ---------------------------------------------
def test_a_deeply_nested_file_is_one_broken_entry_in_the_index_and_the_catalog(tmp_path):
    deep = _write(tmp_path, "deep.toml", DEEP)
    _write(tmp_path, "tiny.toml", TINY)

    index = read_index([tmp_path])
    catalog = load_catalog([tmp_path])

    broken = [info for info in index if info.error is not None]
    assert [info.path for info in broken] == [deep]
    assert "nested too deeply" in broken[0].error
    assert [b.path for b in catalog.broken] == [deep]
    assert "nested too deeply" in catalog.broken[0].error.message
    assert "tiny" in [lesson.id for lesson in catalog.lessons]
    assert len(catalog.lessons) == 14  # the shipped thirteen and tiny


def test_a_deeply_nested_file_leaves_lessons_check_and_validate_working(tmp_path, capsys):
    deep = _write(tmp_path, "deep.toml", DEEP)
    folder = ["--lessons", str(tmp_path)]

    assert main(["lessons", *folder]) == 0
    listed = capsys.readouterr().out
    assert "two-layer-sigmoid" in listed and "✗ deep.toml: " in listed

    assert main(["check", "two-layer-sigmoid", "df_dh2", "W3", *folder]) == 0
    assert main(["check", "deep", "s", "1", *folder]) == 2
    assert "broken" in capsys.readouterr().err

    assert main(["validate", str(deep)]) == 1
    assert f"{deep}: error: " in capsys.readouterr().out


# -- files that cannot be read as lesson text ---------------------------------------
def test_a_lesson_file_that_is_not_a_regular_file_is_broken(tmp_path):
    (tmp_path / "folder.toml").mkdir()
    catalog = load_catalog([tmp_path])
    index = read_index([tmp_path])
    assert [b.path.name for b in catalog.broken] == ["folder.toml"]
    assert [info.path.name for info in index if info.error] == ["folder.toml"]


def test_an_oversized_lesson_file_is_broken_without_being_parsed(tmp_path):
    _write(tmp_path, "huge.toml", TINY + "# " + "x" * 2_000_000 + "\n")
    catalog = load_catalog([tmp_path])
    assert [b.path.name for b in catalog.broken] == ["huge.toml"]
    assert "at most 1 MB" in catalog.broken[0].error.message


