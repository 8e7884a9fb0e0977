"""Hostile lesson files: each is one broken entry with its reason, located at file:line.

A lesson folder may hold anything: a file nested too deeply for tomllib, a range
upside down, a number where a string belongs. None may take down the other lessons,
`lessons`, `check`, `validate` or `show`; `validate` names the file and line and exits 1.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tutor.cli.command import main
from tutor.lessons.index import ENV_LESSONS, LessonError, read_index
from tutor.lessons.load import load_catalog, load_lesson
from tutor.lessons.validation import validate_paths

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
QUANTITY = 'x = { shape = [1, 1], draw = "decimal", low = 0.5, high = 2.0, about = "a number" }'
DEEP = "deep = " + "[" * 500 + "]" * 500 + "\n"


@pytest.fixture(autouse=True)
def _only_shipped_lessons(monkeypatch):
    monkeypatch.delenv(ENV_LESSONS, raising=False)


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _line_of(text: str, fragment: str) -> int:
    return text[: text.index(fragment)].count("\n") + 1


def _quantity(spec: str) -> str:
    return TINY.replace(QUANTITY, "x = { shape = [1, 1], " + spec + " }")


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


# -- ranges ---------------------------------------------------------------------------
def test_an_upside_down_int_range_is_reported_at_its_line(tmp_path):
    text = _quantity('draw = "int", low = 2, high = -2')
    path = _write(tmp_path, "tiny.toml", text)

    with pytest.raises(LessonError) as caught:
        load_lesson(path)

    assert "low = 2 must be below high = -2" in caught.value.message
    assert str(caught.value).startswith(f"{path}:{_line_of(text, 'x = {')}: quantity x")


def test_validate_and_show_report_an_upside_down_range_without_a_traceback(tmp_path, capsys):
    path = _write(tmp_path, "tiny.toml", _quantity('draw = "int", low = 2, high = -2'))

    assert main(["validate", str(path)]) == 1
    assert f"{path}:7: error: quantity x: low = 2 must be below" in capsys.readouterr().out
    assert main(["show", "tiny", "--lessons", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"chain-tutor: lesson 'tiny' is broken: {path}:7: quantity x: low = 2 must be below "
        "high = -2\n")


def test_validation_draws_within_the_declared_range(tmp_path):
    """log(x) is undefined below 0: samples outside [0.5, 2] gave finite differences of nan."""
    path = _write(tmp_path, "tiny.toml", TINY)
    lesson = load_lesson(path)

    assert [str(f) for f in validate_paths([path]) if f.error] == []
    for values in lesson.problem.samples:
        assert 0.5 <= values["x"].item() <= 2.0
    assert lesson.check("dy_dx", "1/x").verdict == "correct"


def test_variants_stay_within_a_range_that_is_not_in_tenths(tmp_path):
    lesson = load_lesson(_write(tmp_path, "tiny.toml",
                                _quantity('draw = "positive", low = 0.01, high = 0.04')))
    for seed in range(1, 40):
        assert 0.01 <= lesson.variant(seed).inputs["x"].item() <= 0.04


# -- wrong types and meaningless fields -----------------------------------------------
HOSTILE_FIELDS = [
    # (what, text replaced, replacement, words the message must hold)
    ("low a string", QUANTITY, 'x = { shape = [1, 1], low = "a" }', "low must be a number"),
    ("high a list", QUANTITY, "x = { shape = [1, 1], high = [1] }", "high must be a number"),
    ("low true", QUANTITY, "x = { shape = [1, 1], low = true }", "low must be a number"),
    ("low nan", QUANTITY, "x = { shape = [1, 1], low = nan }", "low must be a number"),
    ("an infinite range", QUANTITY, "x = { shape = [1, 1], low = -inf, high = inf }",
     "low must be a number"),
    ("a huge range", QUANTITY, "x = { shape = [1, 1], low = -1e308, high = 1e308 }",
     "between -1000000 and 1000000"),
    ("an int range of fractions", QUANTITY,
     'x = { shape = [1, 1], draw = "int", low = 0.5, high = 0.7 }', "whole numbers"),
    ("a decimal range upside down", QUANTITY,
     "x = { shape = [1, 1], low = 2.0, high = -2.0 }", "must be below high"),
    ("a negative positive draw", QUANTITY,
     'x = { shape = [1, 1], draw = "positive", low = -2.0, high = -1.0 }', "above 0"),
    ("a low above the default high", QUANTITY,
     'x = { shape = [1, 1], draw = "positive", low = 3.0 }',
     "low = 3.0 must be below high = 2.0 (the default for draw = \"positive\")"),
    ("a range for a normal draw", QUANTITY,
     'x = { shape = [1, 1], draw = "normal", low = 3.0 }', "low and high apply only to"),
    ("values without draw = fixed", QUANTITY, "x = { shape = [1, 1], values = [[1.0]] }",
     'values apply only to draw = "fixed"'),
    ("fixed values a string", QUANTITY,
     'x = { shape = [1, 1], draw = "fixed", values = "ab" }', "values must be rows of numbers"),
    ("fixed values strings", QUANTITY,
     'x = { shape = [1, 1], draw = "fixed", values = [["1"]] }',
     "values must be rows of numbers"),
    ("fixed values ragged", QUANTITY,
     'x = { shape = [1, 1], draw = "fixed", values = [[1.0], [2.0, 3.0]] }',
     "values must be rows of numbers"),
    ("fixed values a table", QUANTITY,
     'x = { shape = [1, 1], draw = "fixed", values = { a = 1 } }',
     "values must be rows of numbers"),
    ("about a number", QUANTITY, "x = { shape = [1, 1], about = 5 }", "about must be a string"),
    ("shape of booleans", QUANTITY, "x = { shape = [true, true] }", "shape must be [rows, cols]"),
    ("a quantity named like a function", QUANTITY, "exp = { shape = [1, 1] }",
     "'exp' is the name of a function"),
    ("a note a number", 'note = "a note"', "note = 3", "note must be a string"),
    ("a note nested deep", 'note = "a note"', "note = " + "[" * 200 + "]" * 200,
     "note must be a string"),
    ("composes a number", 'composes = "dz_dy * dy_dx"', "composes = 7",
     "composes must be a string"),
    ("feedback a number", 'feedback = "That is x."', "feedback = 5",
     "feedback must be a string"),
    ("a step id a number", 'id = "dz_dy"', "id = 5", "id must be a string"),
    ("of a list", 'of = "z"', 'of = ["z"]', "of must be a string"),
    ("of a table", 'of = "z"', "of = { a = 1 }", "of must be a string"),
    ("prompt a number", 'prompt = "dz/dy (1×1)?"', "prompt = 1", "prompt must be a string"),
    ("goal a list", 'goal = "dz_dx"', 'goal = ["dz_dx"]', "goal must be a string"),
    ("title a list", 'title = "Tiny"', 'title = ["Tiny"]', "title must be a string"),
    ("a definition a number", 'z = "3 * y"', "z = 3", "must map names to expressions"),
]


@pytest.mark.parametrize(("old", "new", "words"), [case[1:] for case in HOSTILE_FIELDS],
                         ids=[case[0] for case in HOSTILE_FIELDS])
def test_a_wrong_field_is_refused_at_its_line(tmp_path, old, new, words):
    text = TINY.replace(old, new, 1)
    assert text != TINY
    path = _write(tmp_path, "tiny.toml", text)

    with pytest.raises(LessonError) as caught:
        load_lesson(path)

    assert words in caught.value.message
    assert caught.value.line == _line_of(text, new), str(caught.value)
    assert str(caught.value).startswith(f"{path}:{caught.value.line}")


@pytest.mark.parametrize(("old", "new"), [case[1:3] for case in HOSTILE_FIELDS],
                         ids=[case[0] for case in HOSTILE_FIELDS])
def test_validate_exits_1_and_check_2_on_a_wrong_field(tmp_path, capsys, old, new):
    path = _write(tmp_path, "tiny.toml", TINY.replace(old, new, 1))
    folder = ["--lessons", str(tmp_path)]

    assert main(["validate", str(path)]) == 1
    assert f"{path}:" in capsys.readouterr().out
    assert main(["check", "tiny", "dy_dx", "1/x", *folder]) == 2
    assert "broken" in capsys.readouterr().err
    assert main(["check", "scalar-chain-rule", "du_dx", "3", *folder]) == 0


def test_the_picker_index_keeps_a_wrongly_typed_file_listed_until_loaded(tmp_path):
    """The index reads titles only; the full load is what refuses the file."""
    _write(tmp_path, "tiny.toml", TINY.replace('note = "a note"', "note = 3"))
    assert "tiny" in [info.id for info in read_index([tmp_path]) if info.error is None]
    catalog = load_catalog([tmp_path])
    assert [b.path.name for b in catalog.broken] == ["tiny.toml"]


def test_a_wrong_field_deep_in_a_file_is_refused_at_its_own_line(tmp_path):
    """msgspec names $.steps[1].mistakes[1].feedback; that is the second step's second mistake."""
    flagship = (Path(__file__).parents[2] / "lessons" / "08-two-layer-sigmoid.toml").read_text(
        encoding="utf-8")
    wrong = 'feedback = "σ is applied twice here'
    text = flagship.replace(wrong, "feedback = 5 #", 1)
    path = _write(tmp_path, "flagship.toml", text)

    with pytest.raises(LessonError) as caught:
        load_lesson(path)

    assert caught.value.message == "a mistake: feedback must be a string (in quotes)"
    assert caught.value.line == _line_of(text, "feedback = 5 #")
    assert caught.value.step == "dh2_dz2"


# -- the format version ---------------------------------------------------------------
def test_a_lesson_without_format_is_read_as_format_1(tmp_path):
    bare = load_lesson(_write(tmp_path, "bare.toml", TINY))
    declared = load_lesson(_write(tmp_path, "declared.toml", "format = 1\n" + TINY))
    assert [replace(step, line=None) for step in bare.steps] == [
        replace(step, line=None) for step in declared.steps]  # one line further down
    assert bare.quantities == declared.quantities


def test_every_shipped_lesson_declares_format_1():
    shipped = sorted((Path(__file__).parents[2] / "lessons").glob("*.toml"))
    assert len(shipped) == 13
    for path in shipped:
        assert path.read_text(encoding="utf-8").startswith("format = 1\n"), path.name


def test_a_newer_format_is_refused_as_written_for_a_newer_chain_tutor(tmp_path, capsys):
    """Before its fields: a newer format's new fields are no reason to call it misspelt."""
    text = "format = 2\nsparkle = true\n" + TINY
    path = _write(tmp_path, "tiny.toml", text)

    with pytest.raises(LessonError) as caught:
        load_lesson(path)

    assert "written for a newer chain-tutor" in caught.value.message
    assert "format = 2" in caught.value.message
    assert caught.value.line == 1
    assert main(["validate", str(path)]) == 1
    assert f"{path}:1: error: this lesson is written for a newer chain-tutor" in (
        capsys.readouterr().out)
    assert main(["check", "tiny", "dy_dx", "1/x", "--lessons", str(tmp_path)]) == 2
    assert "newer chain-tutor" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["0", '"1"', "1.0", "true"])
def test_a_format_that_is_not_a_version_is_refused(tmp_path, value):
    text = f"format = {value}\n" + TINY
    with pytest.raises(LessonError) as caught:
        load_lesson(_write(tmp_path, "tiny.toml", text))
    assert caught.value.message.startswith("format must be 1")
    assert caught.value.line == 1


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


def test_the_samples_of_an_undeclared_range_are_unchanged(tmp_path):
    """Without low/high, a quantity is taken to be valid everywhere: the wide normal draw."""
    lesson = load_lesson(_write(tmp_path, "tiny.toml",
                                _quantity('draw = "decimal"').replace("log(x)", "x^2")))
    spread = np.array([values["x"].item() for values in lesson.problem.samples])
    assert spread.min() < -1 or spread.max() > 1


def test_a_lesson_or_step_id_longer_than_an_import_accepts_is_refused_at_its_line():
    from tutor.lessons.index import LessonError
    from tutor.lessons.load import parse_lesson
    from tutor.progress import MAX_ID_LENGTH

    shipped = (Path(__file__).resolve().parents[2] / "lessons" / "01-scalar-chain-rule.toml")
    text = shipped.read_text(encoding="utf-8")
    for old in ('id = "scalar-chain-rule"', 'id = "du_dx"'):
        long_id = "a" * (MAX_ID_LENGTH + 1)
        with pytest.raises(LessonError) as raised:
            parse_lesson(text.replace(old, f'id = "{long_id}"'))
        assert f"of 1 to {MAX_ID_LENGTH} characters" in raised.value.message
        assert raised.value.line is not None


@pytest.mark.parametrize(("title", "words"), [
    ("T\\u001b[31mRED", "a control character (U+001B)"),
    ("one\\ttwo", "a tab (U+0009)"),
    ("right\\u202eleft", "an invisible formatting character (U+202E"),
])
def test_a_title_with_a_control_character_is_refused_at_its_line(tmp_path, capsys, title,
                                                                   words):
    # It passed validate and was printed raw by `lessons` and `show`: a terminal obeyed it.
    (tmp_path / "tiny.toml").write_text(TINY.replace('title = "Tiny"', f'title = "{title}"'))
    with pytest.raises(LessonError) as raised:
        load_lesson(tmp_path / "tiny.toml")
    assert raised.value.line == 2 and words in raised.value.message
    assert main(["validate", str(tmp_path / "tiny.toml")]) == 1
    assert f"tiny.toml:2: error: the title holds {words}" in capsys.readouterr().out
    for argv in (["lessons"], ["show", "tiny"]):
        main([*argv, "--lessons", str(tmp_path)])
        captured = capsys.readouterr()
        assert "\x1b" not in captured.out + captured.err
        assert "\t" not in captured.out + captured.err


def test_a_lessons_folder_that_is_missing_or_a_device_is_warned_about(tmp_path, capsys,
                                                                      monkeypatch):
    # They were passed over without a word: the author's lessons simply were not there.
    monkeypatch.setenv(ENV_LESSONS, str(tmp_path / "gone-too"))
    (tmp_path / "tiny.toml").write_text(TINY)
    argv = ["lessons", "--lessons", str(tmp_path / "gone"), "--lessons", "/dev/zero",
            "--lessons", str(tmp_path)]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "tiny" in captured.out  # the command goes on over the rest
    assert captured.err.splitlines() == [
        f"chain-tutor: warning: --lessons {tmp_path / 'gone'}: no such folder; its lessons "
        "are left out",
        "chain-tutor: warning: --lessons /dev/zero: not a folder of lesson files; left out",
        f"chain-tutor: warning: {ENV_LESSONS} {tmp_path / 'gone-too'}: no such folder; its "
        "lessons are left out"]
