"""The network editor's status line for networks at the limits (issue #20, 8): a message
at the line with its caret, never a crash and never "please report"."""

from __future__ import annotations

import pytest

from tutor.app.screens.network_editor import status_content
from tutor.networks.draft import check_draft

NESTED = "tanh(" * 59 + "x" + ")" * 59
DOUBLED = "z0 : 1\n" + "".join(f"z{i} = z{i - 1} + z{i - 1}\n" for i in range(1, 10))


@pytest.mark.parametrize("text, line", [
    ("x : 1\nf = x ^ -64\ngoal: df/dx\n", 2),
    ("x : 1\nf = 1 / x\ngoal: df/dx\n", 2),
    ("x : 1\nf = 999999999999 * x ^ 2\ngoal: df/dx\n", 2),
    (f"x : 1\nf = {NESTED}\ngoal: df/dx\n", 2),
    (DOUBLED + "goal: dz9/dz0\n", 11),
    (f"{'a' * 31} : 1\nf = 2 * {'a' * 31}\ngoal: df/d{'a' * 31}\n", 1),
])
def test_the_status_line_shows_the_limit_at_its_line(text, line):
    shown = status_content(check_draft(text), text).plain
    assert shown.startswith(f"✗ line {line}") and "report" not in shown
    assert f"{line:>3} │ " in shown


def test_a_name_used_27_times_is_a_lesson_in_the_editor():
    text = "x : 1\nf = " + " + ".join(["x"] * 27) + "\ngoal: df/dx\n"
    assert status_content(check_draft(text), text).plain.startswith("✓ ")


def test_a_key_that_is_not_a_number_is_said_in_the_feedback_not_only_as_no_answer_yet():
    from tests.unit.test_nonfinite_keys import POLE, seed_at_the_pole
    from tutor.app.widgets.feedback import verdict_content
    from tutor.lessons.load import parse_lesson

    lesson = parse_lesson(POLE)
    verdict = lesson.check("df_dx", "5", seed_at_the_pole(lesson), symbolic_budget=0)
    shown = verdict_content(verdict, lesson.steps[0], True).plain
    assert "No attempt counted" in shown and "internal error of the lesson" in shown
