"""The grade rule against grades computed by hand (tutor.report.grades's docstring).

Assignment "Backprop" is two-layer-sigmoid (6 steps) and squared-loss (5 steps): 11
steps, 10 points, due at DUE. The student's records:

two-layer-sigmoid  df_dh2   correct at DUE-100                         on time
                   dh2_dz2  correct at DUE exactly, in another variant   on time
                   dz2_dh1  wrong at DUE-20, correct at DUE+1            late
                   dh1_dz1  correct at DUE-50, then revealed             revealed: nothing
                   df_dz1   correct at DUE+5 (seed 3), DUE-5 (seed 1)   on time (any variant)
                   df_dW1   nothing
squared-loss       dL_df    correct at DUE-1                             on time
                   dL_dw2   marked solved, no answer recorded            nothing (no time)

4 steps on time of 11: 10 × 4 / 11 = 3.6363… → 3.64.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tutor.lessons.course import Assignment
from tutor.lessons.index import read_index
from tutor.progress import Attempt, LessonRecord, Snapshot, StepRecord
from tutor.report.grades import GradeError, grade, lesson_steps, number

DUE_AT = datetime(2026, 12, 10, 23, 59, tzinfo=UTC)
DUE = DUE_AT.timestamp()
SIGMOID, LOSS = "two-layer-sigmoid", "squared-loss"
BACKPROP = Assignment(title="Backprop", lessons=[SIGMOID, LOSS], due=DUE_AT, points=10)


@pytest.fixture(scope="module")
def steps():
    return lesson_steps(read_index())


def _attempt(lesson, step, at, verdict="correct", seed=1, answer="x"):
    return Attempt(lesson, step, seed, answer, verdict, (), 5.0, at)


def _student() -> Snapshot:
    attempts = (
        _attempt(SIGMOID, "df_dh2", DUE - 100),
        _attempt(SIGMOID, "dh2_dz2", DUE, seed=2),
        _attempt(SIGMOID, "dz2_dh1", DUE - 20, "incorrect"),
        _attempt(SIGMOID, "dz2_dh1", DUE + 1),
        _attempt(SIGMOID, "dh1_dz1", DUE - 50),
        _attempt(SIGMOID, "df_dz1", DUE + 5, seed=3),
        _attempt(SIGMOID, "df_dz1", DUE - 5, seed=1),
        _attempt(LOSS, "dL_df", DUE - 1),
    )
    lessons = (
        LessonRecord(SIGMOID, 3, DUE - 1000, None, (StepRecord("dh1_dz1", "revealed", 0),
                                                    StepRecord("df_dz1", "solved", 0))),
        LessonRecord(LOSS, 1, DUE - 10, None, (StepRecord("dL_df", "solved", 0),
                                               StepRecord("dL_dw2", "solved", 0))),
    )
    return Snapshot(lessons, attempts, student="alice")


def test_the_grade_counts_steps_solved_by_the_due_time_and_not_revealed(steps):
    result = grade(BACKPROP, steps, [_student()])
    assert (result.on_time, result.late, result.revealed, result.steps) == (4, 1, 1, 11)
    assert result.earned == Decimal("3.64")
    assert number(result.earned) == "3.64"


def test_one_second_later_the_step_answered_at_the_due_time_is_late(steps):
    later = Assignment(title="Backprop", lessons=[SIGMOID, LOSS],
                       due=DUE_AT - timedelta(seconds=1), points=10)
    result = grade(later, steps, [_student()])
    assert (result.on_time, result.late) == (3, 2)  # dh2_dz2 at DUE is now late
    assert result.earned == Decimal("2.73")  # 10 × 3 / 11 = 2.7272…


def test_the_same_records_in_two_files_count_once_and_solved_beats_revealed(steps):
    student = _student()
    laptop = Snapshot((LessonRecord(SIGMOID, 1, None, None,
                                    (StepRecord("dh1_dz1", "solved", 0),)),),
                      student.attempts, student="alice")
    result = grade(BACKPROP, steps, [student, laptop])
    # dh1_dz1 solved in one file, revealed in the other: solved, answered at DUE-50
    assert (result.on_time, result.revealed) == (5, 0)
    assert result.earned == Decimal("4.55")  # 10 × 5 / 11 = 4.5454…


def test_half_a_cent_rounds_up_and_points_need_not_be_whole(steps):
    softmax = Assignment(title="Softmax", lessons=["softmax-cross-entropy"], due=DUE_AT,
                         points=2.5)
    record = Snapshot((), (_attempt("softmax-cross-entropy", "dL_dp", DUE - 1),))
    result = grade(softmax, steps, [record])
    assert result.earned == Decimal("0.63")  # 2.5 × 1 / 4 = 0.625; float round() says 0.62
    assert number(grade(softmax, steps, []).earned) == "0"
    assert number(result.points) == "2.5"


def test_a_student_who_never_started_earns_zero(steps):
    result = grade(BACKPROP, steps, [])
    assert (result.earned, result.on_time, result.steps) == (Decimal(0), 0, 11)


def test_a_lesson_missing_from_the_catalog_is_refused_by_name(steps):
    without = {lesson: ids for lesson, ids in steps.items() if lesson != LOSS}
    with pytest.raises(GradeError, match="no lesson squared-loss among the lessons"):
        grade(BACKPROP, without, [_student()])


def test_steps_a_lesson_no_longer_has_count_for_nothing(steps):
    record = Snapshot((), (_attempt(LOSS, "old-step", DUE - 1),))
    assert grade(BACKPROP, steps, [record]).earned == Decimal(0)
