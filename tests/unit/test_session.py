"""The lesson session, without a screen: every progress rule a screen relies on."""

from __future__ import annotations

import pytest

from tutor.lessons.load import load_catalog
from tutor.progress import ProgressStore
from tutor.rules import Status
from tutor.session import (
    LessonSession,
    Standing,
    new_variant,
    open_variant,
    standing,
    start_lesson,
)

FLAGSHIP = "two-layer-sigmoid"
KEYS = {"df_dh2": "W3", "dh2_dz2": "diag(h2*(1-h2))", "dz2_dh1": "W2",
        "dh1_dz1": "diag(h1*(1-h1))", "df_dz1": "W3 @ diag(h2*(1-h2)) @ W2 @ diag(h1*(1-h1))",
        "df_dW1": "(W3 @ diag(h2*(1-h2)) @ W2 @ diag(h1*(1-h1))).T @ x.T"}


@pytest.fixture(scope="module")
def lesson():
    return load_catalog().get(FLAGSHIP)


@pytest.fixture
def store(tmp_path):
    with ProgressStore(tmp_path / "progress.db") as store:
        yield store


def session(lesson, store, seed=1):
    opening = open_variant(store, FLAGSHIP, seed)
    start_lesson(store, FLAGSHIP, opening.seed)
    return LessonSession(lesson, opening.seed, store)


def finish_all(lesson, store, seed=1):
    s = session(lesson, store, seed)
    for step in lesson.steps:
        s.submit(step.id, KEYS[step.id], 1.0)
    s.reload()
    s.finish()
    return s


def test_a_new_lesson_opens_with_the_seed_asked_for_and_the_intro(store):
    opening = open_variant(store, FLAGSHIP, 7)
    assert (opening.seed, opening.kept_variant, opening.fresh) == (7, False, True)
    assert store.lesson(FLAGSHIP).seed is None  # reading the intro leaves no trace
    assert standing(KEYS, store.lesson(FLAGSHIP)).words() == "not started"
    start_lesson(store, FLAGSHIP, opening.seed)  # the steps begin: now it is started
    assert store.lesson(FLAGSHIP).seed == 7
    assert store.lesson(FLAGSHIP).started is not None
    assert standing(KEYS, store.lesson(FLAGSHIP)).words() == "0 of 6 factors"


def test_resuming_keeps_the_students_variant_whatever_seed_is_asked_for(lesson, store):
    s = session(lesson, store, 7)
    s.submit("df_dh2", "W3.T", 2.0)
    opening = open_variant(store, FLAGSHIP, 99)
    assert (opening.seed, opening.kept_variant, opening.fresh) == (7, True, False)


def test_no_seed_asked_for_is_the_default(store):
    assert open_variant(store, FLAGSHIP, None).seed == 1


def test_a_correct_answer_is_recorded_and_solves_its_step(lesson, store):
    s = session(lesson, store)
    checked = s.submit("df_dh2", "W3", 3.0)
    assert checked.verdict.correct and not checked.crashed
    s.reload()
    assert s.factors["df_dh2"].status == Status.SOLVED
    assert [a.answer for a in store.attempts(FLAGSHIP)] == ["W3"]


def test_typing_in_the_revealed_answer_does_not_solve_the_step(lesson, store):
    s = session(lesson, store)
    s.reveal()
    s.submit("df_dh2", "W3", 1.0)
    s.reload()
    assert s.factor.status == Status.REVEALED
    assert s.available()["next_step"] and not s.available()["reveal"]


def test_hints_stop_when_none_is_left_and_once_the_step_is_done(lesson, store):
    s = session(lesson, store)
    given = [s.hint() for _ in range(len(s.step.hints) + 2)]
    assert given == [True] * len(s.step.hints) + [False, False]
    assert s.factor.hints == len(s.step.hints)


def test_next_leads_through_the_steps_to_the_summary_and_back_to_a_reset_one(lesson, store):
    s = session(lesson, store)
    for step in lesson.steps:
        assert s.submit(step.id, KEYS[step.id], 1.0).verdict.correct, step.id
    s.reload()
    s.go_to(0)
    s.reset_step()
    s.go_to(len(lesson.steps) - 1)
    assert s.next() is False and s.index == 0  # back to the step that was reset
    s.submit("df_dh2", "W3", 1.0)
    s.reload()
    s.go_to(len(lesson.steps) - 1)
    assert s.next() is True  # complete: the summary comes next
    s.finish()
    first = store.lesson(FLAGSHIP).finished
    s.finish()
    assert store.lesson(FLAGSHIP).finished == first  # finished once, when first complete


def test_reset_lesson_starts_again_at_the_first_step_with_the_same_numbers(lesson, store):
    s = session(lesson, store, 5)
    s.submit("df_dh2", "W3", 1.0)
    s.reload()
    s.go_to(3)
    s.reset_lesson()
    assert s.index == 0 and not s.factor.done and store.lesson(FLAGSHIP).seed == 5


def test_a_checker_failure_records_nothing_and_says_so(lesson, store, monkeypatch):
    s = session(lesson, store)

    def broken(*_args, **_kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(type(lesson), "check", broken)
    checked = s.submit("df_dh2", "W3", 1.0)
    assert checked.crashed and checked.verdict.verdict == "invalid"
    assert "Please report it" in checked.verdict.feedback
    assert store.attempts(FLAGSHIP) == []


def test_a_new_variant_clears_the_statuses_and_keeps_the_history(lesson, store):
    s = session(lesson, store)
    s.submit("df_dh2", "W3", 1.0)
    new_variant(store, FLAGSHIP, 42)
    fresh = LessonSession(lesson, 42, store)
    assert not fresh.factor.done and fresh.index == 0
    assert len(store.attempts(FLAGSHIP)) == 1


def test_a_new_variant_keeps_a_finished_lesson_finished(lesson, store):
    finish_all(lesson, store)
    finished = store.lesson(FLAGSHIP).finished
    assert standing(KEYS, store.lesson(FLAGSHIP)) == Standing(6, 6, True, True)
    new_variant(store, FLAGSHIP, 42)
    state = store.lesson(FLAGSHIP)
    assert state.finished == finished and state.seed == 42 and state.done_count() == 0
    assert standing(KEYS, state).words() == "done ✓, again 0 of 6"
    fresh = LessonSession(lesson, 42, store)
    fresh.submit("df_dh2", "W3", 1.0)
    assert standing(KEYS, store.lesson(FLAGSHIP)).words() == "done ✓, again 1 of 6"


def test_a_reset_lesson_stays_finished_too(lesson, store):
    s = finish_all(lesson, store)
    s.reset_lesson()
    assert standing(KEYS, store.lesson(FLAGSHIP)) == Standing(0, 6, True, True)


@pytest.mark.parametrize(("done", "started", "finished", "words"), [
    (0, False, False, "not started"),
    (0, True, False, "0 of 4 factors"),
    (2, True, False, "2 of 4 factors"),
    (4, True, False, "done ✓"),
    (4, True, True, "done ✓"),
    (1, True, True, "done ✓, again 1 of 4"),
])
def test_a_standing_in_words(done, started, finished, words):
    assert Standing(done, 4, started, finished).words() == words


def test_earlier_answers_are_the_steps_distinct_answers_newest_first(lesson, store):
    s = session(lesson, store)
    for text in ("W2", "W3.T", "W2", "W3 @ x"):
        s.submit("df_dh2", text, 1.0)
    s.submit("dh2_dz2", "diag(h2)", 1.0)  # another step's answer is not this one's
    assert s.earlier_answers() == ["W3 @ x", "W2", "W3.T"]
    assert s.earlier_answers(limit=2) == ["W3 @ x", "W2"]


def test_earlier_answers_read_only_the_latest_attempts_of_a_long_history(store):
    for n in range(30):
        store.record_attempt(FLAGSHIP, "df_dh2", 1, f"W3 * {n}", "incorrect", (), 1.0)
    assert store.recent_answers(FLAGSHIP, "df_dh2", limit=50, scan=5) == [
        f"W3 * {n}" for n in (29, 28, 27, 26, 25)]
    assert store.recent_answers(FLAGSHIP, "df_dh2", limit=3)[0] == "W3 * 29"
    assert store.recent_answers(FLAGSHIP, "other-step") == []


# -- what a solved step's slot holds (the walk through every lesson found numbers there) ------
def test_numbers_retyped_after_solving_do_not_replace_the_students_expression(lesson, store):
    s = session(lesson, store)
    w3 = "[" + " ".join(str(v) for v in lesson.variant(1).values["W3"].ravel()) + "]"
    assert s.submit("df_dh2", "W3", 1.0).verdict.correct
    assert s.submit("df_dh2", w3, 1.0).verdict.correct  # this variant's numbers, later
    s.reload()
    assert s.factors["df_dh2"].answer == "W3"
    assert s.submit("df_dh2", "(W3.T).T", 1.0).verdict.correct  # a later expression wins
    s.reload()
    assert s.factors["df_dh2"].answer == "(W3.T).T"


def test_numbers_that_solved_a_step_stay_when_nothing_else_was_typed(lesson, store):
    s = session(lesson, store)
    w3 = "[" + " ".join(str(v) for v in lesson.variant(1).values["W3"].ravel()) + "]"
    assert s.submit("df_dh2", w3, 1.0).verdict.correct
    s.reload()
    assert s.factors["df_dh2"].answer == w3


def test_a_steps_id_is_offered_as_a_name_once_done_and_only_after_it(lesson, store):
    """What the screens show as typeable: the ids the engine reads in this step's answer
    (the steps before it), of the steps that are solved or revealed."""
    s = session(lesson, store)
    assert s.typeable == frozenset()
    s.submit("df_dh2", KEYS["df_dh2"], 1.0)
    s.reload()
    assert s.typeable == frozenset()  # solved, but this step's own answer cannot use it
    s.next()
    assert s.typeable == {"df_dh2"}
    s.reveal()
    s.next()
    assert s.typeable == {"df_dh2", "dh2_dz2"}
    places = {name.step.id: (name.place, name.usable) for name in s.step_names()}
    assert places["dh2_dz2"] == ("before", True) and places["dz2_dh1"] == ("here", False)
    assert places["df_dW1"] == ("after", False)
    s.go_to(0)
    assert s.typeable == frozenset()
