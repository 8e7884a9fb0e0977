"""Practice aimed at the weakest skill: which skill that is for a student's history, and
that the random network drawn for it always has a step carrying it.

By hand, with the defaults (0.1 each, tests/unit/test_tracing.py): one wrong first answer
from 0.1 gives 91/820 ≈ 0.111, two give ≈ 0.112 (learning outweighs the second slip),
one right answer 0.55, three right 1111/1120 ≈ 0.99 (mastered).
"""

from __future__ import annotations

from types import SimpleNamespace
from unittest import mock

import pytest

from tutor.cli.command import main
from tutor.lessons.load import load_catalog
from tutor.lessons.skills import SKILLS
from tutor.networks.drawn import (
    UNDRAWN_SKILLS,
    drawn_skills,
    network_for_skill,
    random_network,
)
from tutor.networks.generator import generate_from_text
from tutor.progress import DB_NAME, ProgressStore
from tutor.progress.tracing import SkillState
from tutor.standing import student_mastery, weakest_skill

FLAGSHIP = "two-layer-sigmoid"  # df_dh2: linear-jacobian; dh2_dz2: elementwise-jacobian
FIRST = "scalar-chain-rule"  # du_dx: scalar-derivative
# A lesson of the student's course, not shipped: steps of the skills no shipped lesson has.
MADE_UP = SimpleNamespace(id="made-up", steps=[
    SimpleNamespace(id="p", skills=("product-rule",)),
    SimpleNamespace(id="paths", skills=("sum-of-paths",)),
])


def wrong(lesson, step, seed=1):
    return (lesson, step, seed, "x", "incorrect", [])


def right(lesson, step, seed=1):
    return (lesson, step, seed, "x", "correct", [])


# history: the answers; the skill to practise; the weaker ones passed over
HISTORIES = {
    "nothing yet: the first skill": ([], "scalar-derivative", ()),
    "the one answered wrong": ([wrong(FLAGSHIP, "dh2_dz2"), wrong(FLAGSHIP, "dh2_dz2", 2),
                                *(right(FLAGSHIP, "df_dh2", seed) for seed in range(3))],
                               "elementwise-jacobian", ()),
    "a tie goes to the earlier skill": ([wrong(FLAGSHIP, "dh2_dz2"), wrong(FLAGSHIP, "df_dh2")],
                                        "linear-jacobian", ()),
    "product-rule cannot be drawn": ([wrong("made-up", "p"), wrong("made-up", "p", 2),
                                      right(FIRST, "du_dx")],
                                     "scalar-derivative", ("product-rule",)),
    "the rarest drawn skill": ([wrong("made-up", "paths"), right(FLAGSHIP, "df_dh2")],
                               "sum-of-paths", ()),
    "all seen are mastered: the first unseen": (
        [right(FIRST, "du_dx", seed) for seed in range(3)], "linear-jacobian", ()),
}


def store_with(folder, answers) -> ProgressStore:
    with mock.patch("getpass.getuser", return_value="ana"):
        store = ProgressStore(folder / DB_NAME)
        for lesson, step, seed, answer, verdict, diagnosis in answers:
            store.record_attempt(lesson, step, seed, answer, verdict, diagnosis, 5)
    return store


@pytest.fixture(scope="module")
def catalog_lessons():
    return [*load_catalog().lessons, MADE_UP]


@pytest.mark.parametrize("history", HISTORIES)
def test_the_weakest_skill_of_each_history_and_a_network_that_exercises_it(
        history, tmp_path, catalog_lessons):
    answers, expected, passed = HISTORIES[history]
    with store_with(tmp_path, answers) as store:
        states = student_mastery(store, catalog_lessons)
    assert list(states) == list(SKILLS)  # every skill, the unobserved at their prior
    target = weakest_skill(states, set(SKILLS) - UNDRAWN_SKILLS)
    assert (target.skill, target.passed_over) == (expected, passed)
    for start in range(1, 2000, 250):  # eight starts, each a different network
        seed = network_for_skill(expected, start)
        assert seed is not None and seed >= start
        # The lesson the student gets (validated, as practice makes it) has the skill.
        lesson = generate_from_text(random_network(seed), symbolic_budget=0)
        assert any(expected in step.skills for step in lesson.steps), (start, seed)
        # …and it is the first such network from there: the same --seed, the same network.
        assert all(expected not in drawn_skills(other) for other in range(start, seed))


def test_the_undrawn_skills_are_exactly_those_no_random_network_exercises():
    found = set().union(*(drawn_skills(seed) for seed in range(200)))
    assert found == set(SKILLS) - UNDRAWN_SKILLS
    assert network_for_skill("product-rule", 1) is None


def test_a_student_who_has_mastered_every_skill_practises_the_least_mastered():
    states = {skill: SkillState(0.99, 5) for skill in SKILLS} | {
        "layout": SkillState(0.96, 4), "product-rule": SkillState(0.951, 3)}
    target = weakest_skill(states, set(SKILLS) - UNDRAWN_SKILLS)
    assert target.skill == "layout" and target.passed_over == ("product-rule",)
    assert weakest_skill(states, set()) is None


def test_student_mastery_reads_the_students_own_network(tmp_path):
    """Answers to a saved network's lesson are traced from its steps, made again."""
    text = random_network(3)  # its lesson has a sum-of-paths step (see above)
    lesson = generate_from_text(text, "mine", symbolic_budget=0, validate=False)
    step = next(step for step in lesson.steps if "sum-of-paths" in step.skills)
    with store_with(tmp_path, [wrong("mine", step.id)]) as store:
        store.save_network("mine", text, lesson.title,
                           [(s.id, s.label) for s in lesson.steps])
        states = student_mastery(store, [])
    assert states["sum-of-paths"].observations == 1
    assert states["sum-of-paths"].mastery == pytest.approx(91 / 820)


def practice(capsys, *args):
    code = main(["practice", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_practice_weakest_show_says_which_skill_and_prints_that_network(capsys, tmp_path):
    store_with(tmp_path, HISTORIES["the one answered wrong"][0]).close()
    code, out, err = practice(capsys, "--weakest", "--show", "--seed", "40",
                              "--data-dir", str(tmp_path))
    assert code == 0
    seed = network_for_skill("elementwise-jacobian", 40)
    assert out == random_network(seed)  # stdout is the network file alone
    assert err == (f"Practising your weakest skill, elementwise-jacobian (mastery 0.11): "
                   f"random network {seed} (chain-tutor practice --seed {seed} opens it "
                   "again).\n")


def test_practice_weakest_on_a_first_run_writes_nothing(capsys, tmp_path):
    code, out, err = practice(capsys, "--weakest", "--show", "--seed", "1",
                              "--data-dir", str(tmp_path))
    assert code == 0 and "scalar-derivative, a skill you have not practised yet" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("extra", "said"), [
    (["--random"], "give it without --random"),
    (["some.net"], "give it without a NETWORK_FILE"),
])
def test_practice_weakest_refuses_another_source_in_one_line(capsys, tmp_path, extra, said):
    code, out, err = practice(capsys, "--weakest", *extra, "--data-dir", str(tmp_path))
    assert code == 2 and out == ""
    assert err == f"chain-tutor: --weakest draws its own random network: {said}\n"


def test_practice_weakest_refuses_a_bad_parameters_file(capsys, tmp_path):
    bad = tmp_path / "params.toml"
    bad.write_text("[default]\nprior = 2\n", encoding="utf-8")
    code, out, err = practice(capsys, "--weakest", "--show", "--skill-params", str(bad),
                              "--data-dir", str(tmp_path))
    assert code == 2 and out == "" and len(err.splitlines()) == 1
    assert err.startswith(f"chain-tutor: {bad}")
