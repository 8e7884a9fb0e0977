"""Faded worked examples on the screen: a new student's first steps open worked (the
derivation in the step's words, the factor, then the student types it in), the status
says studied, and once the answers show a skill is known its steps are asked instead."""

from __future__ import annotations

import pytest
from tui_helpers import settle, submit, text_of

from tutor.app.screens.lesson import LessonScreen
from tutor.lessons.course import read_course

LESSON = "scalar-chain-rule"


async def open_lesson(pilot) -> None:
    await pilot.press("enter")  # past the intro
    await settle(pilot)
    assert isinstance(pilot.app.screen, LessonScreen)


async def test_a_new_students_first_step_opens_as_a_worked_example(make_app, store):
    app = make_app(lesson_id=LESSON, examples=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_lesson(pilot)
        feedback = text_of(pilot, "#feedback")
        assert "Worked example: ∂u/∂x = 3" in feedback
        assert "u is a straight line in x" in feedback  # its derivation: the hints

        assert "◇ studied" in text_of(pilot, "#prompt")
        verdict = await submit(pilot, "3")  # typed in: checked, not solved
        assert "Correct" in verdict
    state = store.lesson(LESSON)
    assert state.status_of("du_dx") == "revealed" and state.studied == {"du_dx"}


async def test_a_worked_step_is_asked_once_its_skills_pass_the_bar(make_app, store):
    # Answers that show scalar-derivative known: two variants of du_dx right first time.
    for seed in (7, 8):
        store.set_seed(LESSON, seed)
        store.record_attempt(LESSON, "du_dx", seed, "3", "correct", [], 1.0)
    store.reset_lesson(LESSON)
    store.set_seed(LESSON, 1)
    app = make_app(lesson_id=LESSON, seed=1, examples=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_lesson(pilot)
        assert "Worked example" not in text_of(pilot, "#feedback")
        assert "◇" not in text_of(pilot, "#prompt")
        assert app.mastery["scalar-derivative"] > 0.4
    assert store.lesson(LESSON).studied == frozenset()


@pytest.mark.parametrize("options", [{"examples": False}, {"course": "examples"},
                                     {"course": "reveal"}])
async def test_no_worked_examples_when_off_or_graded(make_app, store, options, tmp_path):
    if "course" in options:
        path = tmp_path / "course.toml"
        path.write_text('title = "Graded"\n[[assignment]]\ntitle = "Week 1"\n'
                        'lessons = ["scalar-chain-rule"]\ndue = 2099-01-01T00:00:00Z\n'
                        f'points = 4\n{options.pop("course")} = false\n')
        options |= {"course": read_course(path), "examples": True}
    app = make_app(lesson_id=LESSON, **options)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_lesson(pilot)
        assert "Worked example" not in text_of(pilot, "#feedback")
    assert store.reveals() == []
