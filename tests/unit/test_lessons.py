"""The shipped curriculum and the lesson format: keys, answers, validation, variants."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from answer_tables import SEED, TABLES, accepted, rejected

from tutor.cli.command import main
from tutor.engine import names_in, parse
from tutor.lessons.index import ENV_LESSONS, LessonError, shipped_lessons_dir
from tutor.lessons.load import load_catalog, load_lesson
from tutor.lessons.validation import validate_paths

CURRICULUM = [
    "scalar-chain-rule",
    "sigmoid-derivative",
    "linear-jacobian",
    "elementwise-activation",
    "scalar-gradient-vector",
    "weight-gradient",
    "one-hidden-layer",
    "two-layer-sigmoid",
    "two-layer-upstream",
    "squared-loss",
    "softmax-cross-entropy",
    "tanh-relu",
    "mini-batch",
]
FLAGSHIP = shipped_lessons_dir() / "08-two-layer-sigmoid.toml"
CONSOLE_SCRIPT = Path(sys.executable).parent / "chain-tutor"


@pytest.fixture(autouse=True)
def _only_shipped_lessons(monkeypatch):
    monkeypatch.delenv(ENV_LESSONS, raising=False)


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def _line_of(text: str, fragment: str) -> int:
    return text[: text.index(fragment)].count("\n") + 1


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# -- the answer tables -----------------------------------------------------------------
@pytest.mark.parametrize(("lesson_id", "step_id", "answer"), accepted())
def test_equivalent_answer_is_accepted(catalog, lesson_id, step_id, answer):
    verdict = catalog.get(lesson_id).check(step_id, answer, seed=SEED)
    assert verdict.verdict == "correct", verdict.feedback


@pytest.mark.parametrize(("lesson_id", "step_id", "answer", "code"), rejected())
def test_wrong_answer_is_rejected_with_its_diagnosis(catalog, lesson_id, step_id, answer, code):
    verdict = catalog.get(lesson_id).check(step_id, answer, seed=SEED)
    assert verdict.verdict == "incorrect", verdict.feedback
    if code:
        assert code in verdict.diagnosis, (verdict.diagnosis, verdict.feedback)
    else:
        assert verdict.diagnosis == (), (verdict.diagnosis, verdict.feedback)
    assert verdict.feedback.strip()


def test_answer_tables_cover_every_step_of_every_lesson(catalog):
    assert sorted(TABLES) == sorted(lesson.id for lesson in catalog.lessons)
    for lesson in catalog.lessons:
        table = TABLES[lesson.id]
        assert list(table) == [step.id for step in lesson.steps], lesson.id
        for step_id, answers in table.items():
            assert len(set(answers["accept"])) >= 2, (lesson.id, step_id)
            assert len({answer for answer, _ in answers["reject"]}) >= 2, (lesson.id, step_id)


def test_every_lesson_accepts_a_numbers_only_answer(catalog):
    for lesson in catalog.lessons:
        numeric = [
            answer
            for answers in TABLES[lesson.id].values()
            for answer in answers["accept"]
            if answer.lstrip().startswith("[") and not names_in(parse(answer, lesson.names))
        ]
        assert numeric, f"{lesson.id} has no numbers-only matrix literal in its table"


def test_every_declared_mistake_is_recognised_as_that_mistake(catalog):
    for lesson in catalog.lessons:
        for step in lesson.steps:
            for mistake in step.mistakes:
                verdict = lesson.check(step.id, mistake.answer, seed=SEED)
                assert verdict.verdict in ("incorrect", "invalid"), (lesson.id, step.id)
                if verdict.verdict == "incorrect":
                    assert "known-mistake" in verdict.diagnosis, (lesson.id, step.id, mistake)
                    assert mistake.feedback in verdict.feedback


# -- the curriculum --------------------------------------------------------------------
def test_shipped_lessons_validate_without_errors():
    findings = validate_paths([shipped_lessons_dir()])
    errors = [str(f) for f in findings if f.error]
    assert errors == []


def test_curriculum_has_thirteen_lessons_in_order(catalog):
    assert catalog.broken == []
    assert [lesson.id for lesson in catalog.lessons] == CURRICULUM
    prefixes = [lesson.path.name[:3] for lesson in catalog.lessons]
    assert prefixes == [f"{n:02d}-" for n in range(1, 14)]


def test_every_lesson_has_three_to_eight_steps_and_states_the_convention(catalog):
    for lesson in catalog.lessons:
        assert 3 <= len(lesson.steps) <= 8, lesson.id
        assert "numerator layout" in lesson.intro, lesson.id
        assert lesson.goal in {step.id for step in lesson.steps}, lesson.id


def test_every_step_has_hints_and_a_prompt_that_states_the_shape(catalog):
    for lesson in catalog.lessons:
        for step in lesson.steps:
            assert 1 <= len(step.hints) <= 3, (lesson.id, step.id)
            assert step.mistakes, (lesson.id, step.id)
            rows, cols = step.shape
            assert f"{rows}×{cols}" in step.prompt, (lesson.id, step.id, step.prompt)


# -- validation finds wrong keys and broken files --------------------------------------
def test_planted_wrong_key_is_reported_with_file_line_and_step(tmp_path):
    text = FLAGSHIP.read_text(encoding="utf-8")
    planted = text.replace('answer = "W2"', 'answer = "W2.T"', 1)
    assert planted != text
    path = _write(tmp_path, "08-two-layer-sigmoid.toml", planted)
    line = _line_of(planted, 'id = "dz2_dh1"')

    errors = [f for f in validate_paths([path]) if f.error]

    assert any(
        f.path == path and f.line == line and f.step == "dz2_dh1" and "W2.T" in f.message
        for f in errors
    ), [str(f) for f in errors]


def test_validate_command_exits_1_on_a_planted_wrong_key(tmp_path):
    text = FLAGSHIP.read_text(encoding="utf-8")
    planted = text.replace('answer = "W2"', 'answer = "W2.T"', 1)
    path = _write(tmp_path, "08-two-layer-sigmoid.toml", planted)
    line = _line_of(planted, 'id = "dz2_dh1"')

    run = subprocess.run(
        [str(CONSOLE_SCRIPT), "validate", str(path)], capture_output=True, text=True, timeout=120
    )

    assert run.returncode == 1, run.stdout + run.stderr
    assert f"{path}:{line} [step dz2_dh1]: error:" in run.stdout


def test_validate_command_exits_0_on_the_shipped_lessons():
    run = subprocess.run(
        [str(CONSOLE_SCRIPT), "validate"], capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "All 13 lesson file(s) valid" in run.stdout


def test_validate_reports_an_id_a_shipped_lesson_already_uses(tmp_path, capsys):
    """The catalog would list such a file as broken; validate says so, at the id's line."""
    path = _write(tmp_path, "my-copy.toml", FLAGSHIP.read_text(encoding="utf-8"))

    errors = [f for f in validate_paths([path]) if f.error]

    assert [(f.path, f.line, f.step) for f in errors] == [(path, 2, None)]
    assert errors[0].message.startswith(
        f"lesson id 'two-layer-sigmoid' is already used by the shipped lesson {FLAGSHIP}")
    assert main(["validate", str(path)]) == 1
    assert f"{path}:2: error: lesson id 'two-layer-sigmoid' is already used" in (
        capsys.readouterr().out)


def test_validate_reports_an_id_used_twice_among_the_files_it_reads(tmp_path):
    text = FLAGSHIP.read_text(encoding="utf-8").replace(
        'id = "two-layer-sigmoid"', 'id = "my-network"', 1)
    first = _write(tmp_path, "a.toml", text)
    second = _write(tmp_path, "b.toml", text)

    errors = [str(f) for f in validate_paths([tmp_path]) if f.error]

    assert errors == [f"{second}:2: error: lesson id 'my-network' is already used by {first}, "
                      "so the tutor would list this file as broken: give it an id of its own"]


def test_validate_reads_a_shipped_lesson_given_twice_without_a_clash():
    assert [str(f) for f in validate_paths([FLAGSHIP, FLAGSHIP]) if f.error] == []


def test_unknown_field_suggests_the_known_one(tmp_path):
    text = FLAGSHIP.read_text(encoding="utf-8")
    broken = text.replace("hints = [", "hint = [", 1)
    path = _write(tmp_path, "lesson.toml", broken)

    with pytest.raises(LessonError) as caught:
        load_lesson(path)

    assert "did you mean 'hints'" in caught.value.message
    assert caught.value.line == _line_of(broken, "hint = [")
    assert caught.value.step == "df_dh2"


def test_malformed_toml_is_reported_with_its_line(tmp_path):
    text = FLAGSHIP.read_text(encoding="utf-8")
    broken = text.replace('answer = "W2"', 'answer = "W2', 1)
    path = _write(tmp_path, "lesson.toml", broken)

    with pytest.raises(LessonError) as caught:
        load_lesson(path)

    assert "not valid TOML" in caught.value.message
    assert caught.value.line == _line_of(broken, 'answer = "W2\n')
    assert re.search(rf":{caught.value.line}:", str(caught.value))


def test_undefined_name_in_a_definition_is_reported_at_its_definition(tmp_path):
    text = FLAGSHIP.read_text(encoding="utf-8")
    broken = text.replace('z2 = "W2 @ h1"', 'z2 = "W2 @ h0"')
    path = _write(tmp_path, "lesson.toml", broken)

    with pytest.raises(LessonError) as caught:
        load_lesson(path)

    assert "h0" in caught.value.message
    assert "z2" in caught.value.message
    # The definition's own line, not the intro's drawing of the network.
    assert caught.value.line == _line_of(broken, 'z2 = "W2 @ h0"')


def test_shape_clash_in_a_definition_names_the_definition_and_its_line(tmp_path):
    text = FLAGSHIP.read_text(encoding="utf-8")
    broken = text.replace('z2 = "W2 @ h1"', 'z2 = "W2 @ h1.T"')
    path = _write(tmp_path, "lesson.toml", broken)

    with pytest.raises(LessonError) as caught:
        load_lesson(path)

    assert "definition of z2" in caught.value.message
    assert "2×2" in caught.value.message and "1×2" in caught.value.message
    assert caught.value.line == _line_of(broken, 'z2 = "W2 @ h1.T"')


def test_answer_of_the_wrong_shape_is_reported_at_its_step(tmp_path):
    text = FLAGSHIP.read_text(encoding="utf-8")
    broken = text.replace('answer = "W2"', 'answer = "W2 @ h1"', 1)
    path = _write(tmp_path, "lesson.toml", broken)

    with pytest.raises(LessonError) as caught:
        load_lesson(path)

    assert caught.value.step == "dz2_dh1"
    assert "2×1" in caught.value.message and "2×2" in caught.value.message
    assert caught.value.line == _line_of(broken, 'id = "dz2_dh1"')


def test_broken_file_in_an_extra_folder_does_not_stop_the_catalog(tmp_path):
    _write(tmp_path, "99-broken.toml", 'id = "broken"\ntitle = "unfinished\n')
    good = FLAGSHIP.read_text(encoding="utf-8").replace(
        'id = "two-layer-sigmoid"', 'id = "extra-copy"', 1
    )
    _write(tmp_path, "98-extra.toml", good)

    catalog = load_catalog([tmp_path])

    ids = [lesson.id for lesson in catalog.lessons]
    assert ids[: len(CURRICULUM)] == CURRICULUM
    assert "extra-copy" in ids
    assert [b.path.name for b in catalog.broken] == ["99-broken.toml"]
    assert catalog.broken[0].error.line == 2


# -- variants --------------------------------------------------------------------------
def test_same_seed_gives_the_same_numbers(catalog):
    for lesson in catalog.lessons:
        first, second = lesson.variant(7), lesson.variant(7)
        assert first.values.keys() == second.values.keys()
        for name in first.values:
            np.testing.assert_array_equal(first.values[name], second.values[name])


def test_different_seeds_give_different_numbers(catalog):
    for lesson in catalog.lessons:
        one, two = lesson.variant(1).inputs, lesson.variant(2).inputs
        assert any(not np.array_equal(one[n], two[n]) for n in one), lesson.id


def test_show_json_holds_every_value_as_rows(catalog):
    run = subprocess.run(
        [str(CONSOLE_SCRIPT), "show", "two-layer-sigmoid", "--seed", "7", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    shown = json.loads(run.stdout)

    lesson = catalog.get("two-layer-sigmoid")
    expected = lesson.variant(7).values
    assert shown["seed"] == 7
    assert (
        set(shown["values"])
        == set(lesson.names)
        == {"x", "W1", "W2", "W3", "z1", "h1", "z2", "h2", "f"}
    )
    for name, rows in shown["values"].items():
        assert isinstance(rows, list) and all(isinstance(row, list) for row in rows), name
        assert (len(rows), len(rows[0])) == lesson.problem.shapes[name], name
        np.testing.assert_allclose(np.array(rows), expected[name], rtol=0, atol=0)
