"""Faded worked examples: a step whose skills are all far from mastery opens worked (its
derivation and factor shown, typed in by the student, recorded as studied, not solved);
as the skills' mastery rises the steps stop being worked, last steps first; a studied
step is no observation for the tracing, only a chance to learn."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.lessons.fading import FIRST_BAR, LAST_BAR, bar, is_worked, worked_steps
from tutor.lessons.load import load_catalog
from tutor.progress import ProgressStore
from tutor.progress.records import Attempt, Reveal
from tutor.progress.tracing import DEFAULT, Beliefs, trace
from tutor.session import LessonSession


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture
def store(tmp_path: Path):
    with ProgressStore(tmp_path / "progress.db") as opened:
        yield opened


def test_the_bar_falls_from_the_first_step_to_the_last():
    assert bar(0, 5) == FIRST_BAR and bar(4, 5) == LAST_BAR
    assert [round(bar(i, 5), 3) for i in range(5)] == [0.4, 0.35, 0.3, 0.25, 0.2]
    assert bar(0, 1) == LAST_BAR  # a lesson of one step


def test_steps_fade_last_first_as_a_skill_rises(catalog):
    flagship = catalog.get("two-layer-sigmoid")  # six steps, one skill each
    everything_new = {skill: 0.1 for skill in
                      ("linear-jacobian", "elementwise-jacobian", "chain-product",
                       "weight-gradient")}
    # At the prior, the first half (three of six) is worked; the rest is always asked.
    assert worked_steps(flagship.steps, everything_new) == {"df_dh2", "dh2_dz2", "dz2_dh1"}
    # linear-jacobian is on steps 1 and 3: at 0.35 the later one (bar 0.32) is asked, the
    # first (bar 0.4) still worked; at 0.45 both are asked.
    for mastery, expected in ((0.35, {"df_dh2"}), (0.45, set())):
        worked = worked_steps(flagship.steps, everything_new | {"linear-jacobian": mastery})
        assert {"df_dh2", "dz2_dh1"} & worked == expected
    # A step with several skills is worked only while all of them are far.
    assert is_worked(("weight-gradient", "batch-sum"), 0, 4, {"weight-gradient": 0.1,
                                                              "batch-sum": 0.1})
    assert not is_worked(("weight-gradient",), 2, 4, {"weight-gradient": 0.0})  # 2nd half
    assert not is_worked(("weight-gradient", "batch-sum"), 0, 4, {"weight-gradient": 0.1,
                                                                  "batch-sum": 0.9})
    assert not is_worked((), 0, 4, {})  # no skills: asked
    assert not worked_steps(flagship.steps, everything_new, begun=frozenset(
        s.id for s in flagship.steps))  # a step begun is never worked


def _attempt(step: str, seed: int, verdict: str, at: float, lesson: str = "L") -> Attempt:
    return Attempt(lesson, step, seed, "x", verdict, (), 1.0, at)


def test_a_studied_step_is_no_observation_and_a_chance_to_learn():
    skills = {("L", "a"): ("layout",)}
    studied = trace([Reveal("L", "a", 1, 1.0, True), _attempt("a", 1, "correct", 2.0)],
                    skills)
    # p = 0.1 + 0.9 * 0.1 = 0.19; the copied answer after it is passed over
    assert studied["layout"].mastery == pytest.approx(0.19)
    assert studied["layout"].observations == 0
    # A reveal the student asked for is a wrong observation: (0.1*0.1/(0.01+0.81)) then learn
    revealed = trace([Reveal("L", "a", 1, 1.0), _attempt("a", 1, "correct", 2.0)], skills)
    post = 0.01 / (0.01 + 0.81)
    assert revealed["layout"].mastery == pytest.approx(post + (1 - post) * 0.1)
    assert revealed["layout"].observations == 1
    # Another variant of the same step answers afresh: a right observation after study.
    again = trace([Reveal("L", "a", 1, 1.0, True), _attempt("a", 2, "correct", 3.0)], skills)
    right = 0.19 * 0.9 / (0.19 * 0.9 + 0.81 * 0.1)
    assert again["layout"].mastery == pytest.approx(right + (1 - right) * 0.1)


def test_beliefs_move_as_the_trace_would():
    beliefs = Beliefs({"layout": 0.1})
    beliefs.studied(["layout"])
    beliefs.observed(["layout"], True)
    expected = trace([Reveal("L", "a", 1, 1.0, True), _attempt("b", 1, "correct", 2.0)],
                     {("L", "a"): ("layout",), ("L", "b"): ("layout",)})
    assert beliefs.mastery["layout"] == pytest.approx(expected["layout"].mastery)
    assert Beliefs({}, lambda _skill: DEFAULT).mastery == {}


def test_a_session_studies_worked_steps_and_fades_within_the_lesson(store, catalog):
    lesson = catalog.get("scalar-chain-rule")  # three scalar-derivative steps, then the chain
    beliefs = Beliefs({"scalar-derivative": 0.1, "chain-product": 0.1})
    store.set_seed(lesson.id, 1)  # the student goes on to the steps (tutor.standing)
    session = LessonSession(lesson, 1, store, beliefs=beliefs)
    shown = []
    for _ in lesson.steps:
        shown.append(session.study())
        session.next()
    # Studying moves scalar-derivative 0.1 → 0.19 → 0.271; the later half is asked.
    assert shown == [True, True, False, False]
    state = store.lesson(lesson.id)
    assert state.studied == {"du_dx", "dv_du"}
    assert {step: s.status for step, s in state.steps.items()} == {
        "du_dx": "revealed", "dv_du": "revealed"}
    reveals = store.reveals()
    assert [r.studied for r in reveals] == [True, True]
    # Typing the shown factor is checked, but does not solve the step nor count.
    session.go_to(0)
    session.submit("du_dx", "3", 1.0, budget=0)
    assert store.lesson(lesson.id).status_of("du_dx") == "revealed"
    assert beliefs.mastery["scalar-derivative"] == pytest.approx(0.271)
    # The asked step's first answer moves its skill (a right one, up).
    session.go_to(2)
    assert not session.study()  # shown as a question: it stays one
    session.submit("dy_dv", "-exp(-v)", 1.0, budget=0)
    assert beliefs.mastery["scalar-derivative"] > 0.6
    assert store.lesson(lesson.id).status_of("dy_dv") == "solved"


def test_no_worked_examples_without_beliefs_or_where_reveal_is_off(store, catalog):
    lesson = catalog.get("scalar-chain-rule")
    assert not LessonSession(lesson, 1, store).study()
    off = LessonSession(lesson, 1, store, reveal_off="graded",
                        beliefs=Beliefs({"scalar-derivative": 0.1}))
    assert not off.study()
    assert store.reveals() == []


def test_a_reveal_asked_for_is_a_wrong_observation_and_its_answers_do_not_count(store,
                                                                               catalog):
    lesson = catalog.get("scalar-chain-rule")
    store.set_seed(lesson.id, 1)
    beliefs = Beliefs({"scalar-derivative": 0.9, "chain-product": 0.9})
    session = LessonSession(lesson, 1, store, beliefs=beliefs)
    assert not session.study()  # known: asked
    assert session.reveal()
    after = beliefs.mastery["scalar-derivative"]
    assert after < 0.9  # as the trace counts a reveal before any answer
    session.submit("du_dx", "3", 1.0, budget=0)  # typing the shown answer says nothing
    assert beliefs.mastery["scalar-derivative"] == after
    assert [r.studied for r in store.reveals()] == [False]
