"""One table of step-status transitions, and the store applies exactly that table."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from tutor.progress import ProgressStore
from tutor.rules import (
    TRANSITIONS,
    Event,
    Status,
    VerdictKind,
    after,
    attempts_until_solved,
    higher,
)


def test_the_table_lists_every_status_and_event():
    assert set(TRANSITIONS) == set(itertools.product([None, *Status], Event))


def test_a_revealed_step_stays_revealed_when_the_shown_answer_is_typed_in():
    assert after("revealed", Event.CORRECT) is Status.REVEALED
    assert after(None, Event.CORRECT) is Status.SOLVED
    assert after("solved", Event.REVEAL) is Status.SOLVED
    assert after("solved", Event.RESET) is None


def test_a_merge_keeps_the_higher_status():
    assert higher("revealed", "solved") is Status.SOLVED
    assert higher(None, "revealed") is Status.REVEALED
    assert higher("solved", None) is Status.SOLVED


def test_stored_values_are_unchanged():
    assert [s.value for s in Status] == ["solved", "revealed"]
    assert [v.value for v in VerdictKind] == ["correct", "incorrect", "invalid"]


def test_attempts_count_until_the_first_correct_and_invalid_ones_are_free():
    class A:
        def __init__(self, verdict):
            self.verdict = verdict

    history = [A("invalid"), A("incorrect"), A("correct"), A("incorrect")]
    assert attempts_until_solved(history) == 2


ACTIONS = st.lists(st.sampled_from(["correct", "incorrect", "reveal", "reset", "solve"]),
                   max_size=12)


@settings(max_examples=60, deadline=None)
@given(actions=ACTIONS)
def test_the_store_follows_the_table_for_any_sequence_of_actions(tmp_path_factory, actions):
    store = ProgressStore(tmp_path_factory.mktemp("rules") / "progress.db")
    expected = None
    try:
        store.set_seed("lesson", 1)
        for action in actions:
            if action in ("correct", "incorrect"):
                store.record_attempt("lesson", "step", 1, "W", action, [], 1.0, solves=True)
                if action == "correct":
                    expected = after(expected, Event.CORRECT)
            elif action == "reveal":
                store.mark("lesson", "step", "revealed")
                expected = after(expected, Event.REVEAL)
            elif action == "solve":
                store.mark("lesson", "step", "solved")
                expected = after(expected, Event.SOLVE)
            else:
                store.reset_step("lesson", "step")
                expected = after(expected, Event.RESET)
            assert store.lesson("lesson").status_of("step") == expected
    finally:
        store.close()


HISTORY = st.lists(st.sampled_from(["correct", "incorrect", "invalid", "reset"]), max_size=16)


@settings(max_examples=60, deadline=None)
@given(history=HISTORY)
def test_the_store_counts_attempts_as_the_rule_does(tmp_path_factory, history):
    """The store counts in SQL; the count is attempts_until_solved over the answers since
    the step's last reset, for any history."""
    store = ProgressStore(tmp_path_factory.mktemp("count") / "progress.db")
    since: list[Answer] = []
    try:
        for action in history:
            if action == "reset":
                store.reset_step("lesson", "step")
                since = []
            else:
                store.record_attempt("lesson", "step", 1, "W", action, [], 1.0, solves=True)
                since.append(Answer(action))
            step = store.lesson("lesson").steps.get("step")
            assert (step.attempts if step else 0) == attempts_until_solved(since)
    finally:
        store.close()


@dataclass(frozen=True)
class Answer:
    verdict: str
