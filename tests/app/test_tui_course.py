"""A course file in force (issue 25): the picker shows its assignments, due times and the
student's standing, and Reveal is off, with the reason, where the course says so."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_tui_lesson_path import footer_entries
from tui_helpers import FLAGSHIP, FLAGSHIP_ANSWERS, settle, text_of

from tutor.app.screens.confirm import ConfirmScreen
from tutor.app.screens.lesson import LessonScreen
from tutor.app.screens.picker import PickerScreen
from tutor.lessons.course import Course, read_course

COURSE = """\
title = "Deep learning, autumn"

[[assignment]]
title = "Backprop by hand"
lessons = ["two-layer-sigmoid"]
due = 2099-12-10T23:59:00Z
points = 12
reveal = false

[[assignment]]
title = "Warm-up"
lessons = ["scalar-chain-rule"]
due = 2000-01-01T00:00:00Z
points = 4
"""


@pytest.fixture
def course(tmp_path: Path) -> Course:
    path = tmp_path / "course.toml"
    path.write_text(COURSE, encoding="utf-8")
    return read_course(path)


@pytest.mark.parametrize("key", ["f3", "ctrl+o"])
async def test_reveal_is_off_where_the_course_says_so_and_the_key_says_why(
        make_app, store, course, key):
    app = make_app(lesson_id=FLAGSHIP, course=course)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("enter")  # past the intro
        await settle(pilot)
        assert isinstance(app.screen, LessonScreen)
        labels = [label for _keys, label in footer_entries(app.screen)]
        assert "Reveal off" in labels and "Reveal" not in labels
        await pilot.press(key)
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen)  # no "Reveal the solution?" asked
        (notice,) = app._notifications
        assert notice.title == "Reveal is off"
        assert "the course “Deep learning, autumn” grades it (“Backprop by hand”)" in (
            notice.message)
        assert "Solution" not in text_of(pilot, "#feedback")
        # The session refuses too, whatever a screen asks: the rule is at its door.
        assert app.screen.session.reveal() is False
    assert store.lesson(FLAGSHIP).status_of("df_dh2") is None


async def test_reveal_stays_where_the_course_allows_it(make_app, store, course):
    app = make_app(lesson_id="scalar-chain-rule", course=course)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await settle(pilot)
        labels = [label for _keys, label in footer_entries(app.screen)]
        assert "Reveal" in labels and "Reveal off" not in labels
        await pilot.press("f3")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)


async def test_the_picker_shows_the_assignments_due_times_and_standing(make_app, store,
                                                                        course):
    store.set_seed(FLAGSHIP, 1)
    for step_id in list(FLAGSHIP_ANSWERS)[:2]:  # 2 of 6 steps, now: before 2099
        store.record_attempt(FLAGSHIP, step_id, 1, FLAGSHIP_ANSWERS[step_id], "correct", (),
                             3.0, solves=True)
    app = make_app(course=course)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, PickerScreen)
        shown = text_of(pilot, "#picker-course")
        due = datetime(2099, 12, 10, 23, 59, tzinfo=UTC).astimezone()
        assert shown.splitlines() == [
            "Course: Deep learning, autumn",
            f"1. Backprop by hand · due {due:%a %d %b %H:%M} · 4 of 12 so far (2/6 steps)"
            " · Reveal off",
            f"2. Warm-up · due {datetime(2000, 1, 1, tzinfo=UTC).astimezone():%a %d %b %H:%M}"
            " (closed) · 0 of 4 (0/4 steps)",
        ]


async def test_without_a_course_the_picker_shows_none_and_reveal_is_on(make_app, store):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.screen.query_one("#picker-course").display is False
