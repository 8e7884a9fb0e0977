"""Every step carries skills of one list: the shipped lessons declare theirs, a file that
declares none and every generated step get them read off the step, `validate` proposes
them, and a diagnosed slip blames only the skills it concerns."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.lessons.index import LessonError
from tutor.lessons.load import load_catalog, load_lesson
from tutor.lessons.skill_guess import propose_skills
from tutor.lessons.skills import SKILLS, SkillError, blamed, checked_skills
from tutor.lessons.writer import lesson_toml
from tutor.networks.drawn import random_network
from tutor.networks.generator import generate_from_text

LESSONS = Path(__file__).resolve().parents[2] / "lessons"
SCRIPT = Path(sys.executable).with_name("chain-tutor")


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_the_skills_are_the_issues_eleven_in_one_list():
    assert list(SKILLS) == [
        "scalar-derivative", "linear-jacobian", "elementwise-jacobian", "chain-product",
        "weight-gradient", "loss-gradient", "softmax-jacobian", "batch-sum", "sum-of-paths",
        "product-rule", "layout"]


def test_every_shipped_step_declares_skills_of_the_list(catalog):
    assert len(catalog.lessons) == 13 and not catalog.broken
    for lesson in catalog.lessons:
        assert not lesson.proposed_skills, lesson.id  # declared in the file, none guessed
        for step in lesson.steps:
            assert step.skills, (lesson.id, step.id)
            assert set(step.skills) <= set(SKILLS), (lesson.id, step.id, step.skills)


def test_the_flagships_steps_carry_the_issues_skills(catalog):
    flagship = catalog.get("two-layer-sigmoid")
    assert [step.skills for step in flagship.steps] == [
        ("linear-jacobian",), ("elementwise-jacobian",), ("linear-jacobian",),
        ("elementwise-jacobian",), ("chain-product",), ("weight-gradient",)]


def test_every_generated_step_carries_skills_read_off_its_construct():
    seen: set[str] = set()
    for seed in range(1, 41):
        lesson = generate_from_text(random_network(seed), symbolic_budget=0)
        for step in lesson.steps:
            assert step.skills and set(step.skills) <= set(SKILLS), (seed, step)
            seen.update(step.skills)
            if step.wrt.startswith("W") and lesson.problem.shapes[step.of] == (1, 1):
                assert "weight-gradient" in step.skills, (seed, step.id, step.skills)
            if step.composes and " + " in step.composes:  # paths through a skip, summed
                assert "sum-of-paths" in step.skills, (seed, step.id, step.skills)
    assert {"linear-jacobian", "elementwise-jacobian", "chain-product", "weight-gradient",
            "loss-gradient", "softmax-jacobian", "batch-sum", "sum-of-paths"} <= seen


@pytest.mark.parametrize(("definitions", "shapes", "step", "expected"), [
    ({"y": "exp(x)"}, {"x": (1, 1), "y": (1, 1)}, ("y", "x", "y", None),
     ("scalar-derivative",)),
    ({"h": "tanh(z)"}, {"z": (3, 1), "h": (3, 1)}, ("h", "z", "diag(1 - h^2)", None),
     ("elementwise-jacobian",)),
    ({"z": "W @ x"}, {"W": (2, 3), "x": (3, 1), "z": (2, 1)}, ("z", "x", "W", None),
     ("linear-jacobian",)),
    ({"p": "softmax(z)"}, {"z": (3, 1), "p": (3, 1)}, ("p", "z", "diag(p) - p @ p.T", None),
     ("softmax-jacobian",)),
    ({"L": "0.5 * (f - y)^2"}, {"f": (1, 1), "y": (1, 1), "L": (1, 1)},
     ("L", "f", "f - y", None), ("loss-gradient",)),
    ({"q": "u * v", "u": "sigma(x)", "v": "tanh(x)"},
     {"x": (1, 1), "u": (1, 1), "v": (1, 1), "q": (1, 1)},
     ("q", "u", "v", None), ("scalar-derivative",)),
    ({"z": "W @ x", "f": "v.T @ z"}, {"W": (3, 2), "x": (2, 1), "v": (3, 1), "z": (3, 1),
                                      "f": (1, 1)},
     ("f", "W", "v @ x.T", "df_dz.T @ x.T"), ("weight-gradient",)),
    ({"z": "W @ x", "f": "v.T @ z"}, {"W": (3, 2), "x": (2, 1), "v": (3, 1), "z": (3, 1),
                                      "f": (1, 1)},
     ("f", "z", "v.T", None), ("linear-jacobian", "layout")),
])
def test_a_step_is_read_for_its_skills(definitions, shapes, step, expected):
    assert propose_skills(*step, definitions, shapes) == expected


def test_a_product_of_two_terms_of_wrt_is_the_product_rule():
    shapes = {"x": (3, 1), "q": (3, 1)}
    assert propose_skills("q", "x", "diag(sigma(x) + x * sigma(x) * (1 - sigma(x)))", None,
                          {"q": "x * sigma(x)"}, shapes) == ("product-rule",)


def test_a_file_without_skills_gets_them_proposed_and_validate_says_which(tmp_path):
    text = (LESSONS / "04-elementwise-activation.toml").read_text()
    bare = "\n".join(line for line in text.splitlines() if not line.startswith("skills ="))
    path = tmp_path / "bare.toml"
    path.write_text(bare.replace('id = "elementwise-activation"', 'id = "bare-lesson"', 1))
    lesson = load_lesson(path)
    assert lesson.proposed_skills == {step.id for step in lesson.steps}
    assert [step.skills for step in lesson.steps] == [
        ("elementwise-jacobian",), ("elementwise-jacobian",), ("linear-jacobian",),
        ("chain-product",)]
    done = subprocess.run([str(SCRIPT), "validate", str(path)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert ('[step dz_dx]: note: declares no skills; read off the step: skills = '
            '["linear-jacobian"]') in done.stdout


def test_a_skill_not_in_the_list_is_refused_at_its_line(tmp_path):
    text = (LESSONS / "04-elementwise-activation.toml").read_text()
    path = tmp_path / "typo.toml"
    path.write_text(text.replace('skills = ["linear-jacobian"]', 'skills = ["linear-jacobians"]'))
    with pytest.raises(LessonError) as raised:
        load_lesson(path)
    assert "skills must be a list of skills" in str(raised.value)
    assert "layout" in str(raised.value)
    with pytest.raises(SkillError, match="'jacobian' is not a skill"):
        checked_skills(["layout", "jacobian"])


def test_a_written_lesson_keeps_its_skills(tmp_path, catalog):
    lesson = generate_from_text(random_network(3), symbolic_budget=0)
    path = tmp_path / "written.toml"
    path.write_text(lesson_toml(lesson))
    again = load_lesson(path)
    assert not again.proposed_skills  # written out, so declared
    assert [s.skills for s in again.steps] == [s.skills for s in lesson.steps]


def test_lessons_json_lists_each_steps_skills():
    done = subprocess.run([str(SCRIPT), "lessons", "--json"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    lessons = json.loads(done.stdout)["lessons"]
    flagship = next(lesson for lesson in lessons if lesson["id"] == "two-layer-sigmoid")
    assert [step["skills"] for step in flagship["steps"]][-2:] == [["chain-product"],
                                                                  ["weight-gradient"]]


@pytest.mark.parametrize(("skills", "codes", "expected"), [
    (("linear-jacobian", "layout"), ["transpose"], ("layout",)),
    (("elementwise-jacobian", "chain-product"), ["not-differentiated"],
     ("elementwise-jacobian",)),
    (("weight-gradient",), ["factor-transposed"], ("weight-gradient",)),  # none it names
    (("chain-product",), ["missing-factor", "known-mistake"], ("chain-product",)),
    (("linear-jacobian", "layout"), ["sign"], ("linear-jacobian", "layout")),
    (("linear-jacobian", "layout"), [], ("linear-jacobian", "layout")),
    (("chain-product",), ["precedence"], ()),
    (("chain-product",), ["precision"], ()),
    (("batch-sum", "weight-gradient"), ["missing-batch-sum"], ("batch-sum",)),
])
def test_a_slip_blames_only_the_skills_it_concerns(skills, codes, expected):
    assert blamed(skills, codes) == expected
