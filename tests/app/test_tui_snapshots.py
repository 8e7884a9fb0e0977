"""What a student sees, pinned: the picker, a lesson midway, a wrong answer, the summary,
the skills.

Baselines live in __snapshots__/; after a deliberate change of the screens, look at
the new pictures and update them with `pytest tests/app --snapshot-update`.
"""

from __future__ import annotations

import pytest
from tui_helpers import FLAGSHIP, TickingClock, settle, snapshot_catalog, type_text

from tutor.app.app import ChainTutorApp
from tutor.progress import ProgressStore

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
SOLVED = {
    "df_dh2": "W3",
    "dh2_dz2": "diag(h2*(1-h2))",
    "dz2_dh1": "W2",
    "df_dz1": "W3 @ diag(h2*(1-h2)) @ W2 @ diag(h1*(1-h1))",
    "df_dW1": "(W3 @ diag(h2*(1-h2)) @ W2 @ diag(h1*(1-h1))).T @ x.T",
}


def solve(
    store: ProgressStore,
    lesson_id: str,
    step_id: str,
    answer: str,
    wrong: tuple[str, ...] = (),
    seconds: float = 40.0,
) -> None:
    """Record a step as if the student had solved it, after some wrong tries."""
    store.set_seed(lesson_id, 1)
    for text in wrong:
        store.record_attempt(lesson_id, step_id, 1, text, "incorrect", ("transpose",), seconds)
    store.record_attempt(lesson_id, step_id, 1, answer, "correct", (), seconds)
    store.mark(lesson_id, step_id, "solved")


def make(store: ProgressStore, lesson_id: str | None = None) -> ChainTutorApp:
    return ChainTutorApp(
        snapshot_catalog(),
        store,
        lesson_id=lesson_id,
        seed=1,
        clock=TickingClock(),
        new_seed=lambda: 42,
        cursor_blink=False,
        warm_up=False,
    )


@pytest.mark.parametrize("size", SIZES)
def test_picker(snap_compare, store, size):
    for step_id in ("du_dx", "dv_du", "dy_dv", "dy_dx"):
        store.mark("scalar-chain-rule", step_id, "solved")
    solve(store, FLAGSHIP, "df_dh2", "W3")
    assert snap_compare(make(store), terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_lesson_midway(snap_compare, store, size):
    """Three factors in (one revealed), a hint taken, an unfinished answer being typed."""
    solve(store, FLAGSHIP, "df_dh2", "W3")
    solve(store, FLAGSHIP, "dh2_dz2", "diag(h2*(1-h2))", wrong=("h2*(1-h2)",))
    store.mark(FLAGSHIP, "dz2_dh1", "revealed")
    store.record_hint(FLAGSHIP, "dh1_dz1")

    async def type_unfinished(pilot):
        await type_text(pilot, "diag(h1 * (1 - h1)")

    assert snap_compare(make(store, FLAGSHIP), terminal_size=size, run_before=type_unfinished)


@pytest.mark.parametrize("size", SIZES)
def test_wrong_answer_feedback(snap_compare, store, size):
    solve(store, FLAGSHIP, "df_dh2", "W3")
    solve(store, FLAGSHIP, "dh2_dz2", "diag(h2*(1-h2))")

    async def answer_transposed(pilot):
        await type_text(pilot, "W2.T")
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(make(store, FLAGSHIP), terminal_size=size, run_before=answer_transposed)


@pytest.mark.parametrize("size", SIZES)
def test_summary(snap_compare, store, size):
    for step_id, answer in SOLVED.items():
        solve(store, FLAGSHIP, step_id, answer, wrong=("W2.T",) if step_id == "dz2_dh1" else ())
    store.record_hint(FLAGSHIP, "dh1_dz1")
    store.mark(FLAGSHIP, "dh1_dz1", "revealed")

    async def open_summary(pilot):
        await pilot.press("pagedown")
        await settle(pilot)  # the skills' bars are traced in a thread

    assert snap_compare(make(store, FLAGSHIP), terminal_size=size, run_before=open_summary)


def test_summary_leads_to_the_next_lesson(snap_compare, store):
    """The first lesson done: its summary names the next one, whose button has the focus."""
    for step_id, answer in {"du_dx": "3", "dv_du": "2 * u", "dy_dv": "-exp(-v)",
                            "dy_dx": "-exp(-v) * 2 * u * 3"}.items():
        solve(store, "scalar-chain-rule", step_id, answer)

    async def open_summary(pilot):
        await pilot.press("pagedown")
        await settle(pilot)  # the skills' bars are traced in a thread

    assert snap_compare(make(store, "scalar-chain-rule"), terminal_size=(80, 24),
                        run_before=open_summary)


MISTYPED_NETWORK = "x : 2x1\nW : 2x2\nw : 1x2\nz = W @ q\nh = tanh(z)\nf = w @ h\ngoal: df/dW\n"


@pytest.mark.parametrize("size", [pytest.param((80, 24), id="80x24"),
                                  pytest.param((60, 18), id="60x18")])
def test_skills(snap_compare, store, size):
    solve(store, FLAGSHIP, "df_dh2", "W3", wrong=("W3.T",))
    for seed in range(3):
        store.record_attempt("scalar-chain-rule", "du_dx", seed, "3", "correct", (), 5)

    async def open_skills(pilot):
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)

    assert snap_compare(make(store), terminal_size=size, run_before=open_skills)


@pytest.mark.parametrize("size", [*SIZES, pytest.param((60, 18), id="60x18")])
def test_network_editor_points_at_a_mistake(snap_compare, store, size):
    """The editor with the student's draft: the mistake's line, column and caret."""
    from tutor.app.screens.network_editor import PAUSE

    store.save_draft(MISTYPED_NETWORK)

    async def open_editor(pilot):
        pilot.app.open_editor()
        await pilot.pause(PAUSE + 0.1)
        await settle(pilot)

    assert snap_compare(make(store), terminal_size=size, run_before=open_editor)
