"""A solved step's id, which later answers may type for its factor, is on the screen.

Prompts say "you may type df_dz1" and "the product of the steps' ids": the chain header
writes each id the current step's answer may use under its factor (a product's id in a
bracket under its whole span), the Factors panel writes `df_dh2 = W3`, and F1 from a
lesson lists every step's id with what typing it does. An id shows as typeable only once
its step is solved or revealed, and only on the steps after it: where the engine reads it.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Markdown, Static
from tui_helpers import FLAGSHIP, FLAGSHIP_ANSWERS, settle, submit

from tutor.app.model import id_spans, step_ids_help
from tutor.app.screens.help import HelpScreen
from tutor.app.widgets.chain import ChainView
from tutor.session import LessonSession, StepName


def chain_rows(pilot: Pilot) -> list[str]:
    return str(pilot.app.screen.query_one(ChainView).content).split("\n")


def ids_row(pilot: Pilot) -> str:
    rows = [row for row in chain_rows(pilot) if row.strip().startswith("ids:")]
    assert len(rows) == 1, chain_rows(pilot)
    return rows[0]


def factor_list(pilot: Pilot) -> str:
    return str(pilot.app.screen.query(".factor-list").results(Static).__next__().content)


def screen_text(pilot: Pilot) -> list[str]:
    """The terminal's rows as plain text, from Textual's own screenshot."""
    svg = pilot.app.export_screenshot()
    rows: dict[float, list[tuple[float, str]]] = {}
    for match in re.finditer(r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>',
                             svg):
        x, y = float(match.group(1)), float(match.group(2))
        rows.setdefault(y, []).append((x, html.unescape(match.group(3)).replace("\xa0", " ")))
    lines = []
    for y in sorted(rows):
        line = ""
        for x, text in sorted(rows[y]):
            line = line.ljust(round(x / 12.2)) + text
        lines.append(line.rstrip())
    return lines


def solve_before(store, upto: str, lesson_id: str = FLAGSHIP,
                 answers: dict[str, str] = FLAGSHIP_ANSWERS) -> None:
    store.set_seed(lesson_id, 1)
    for step_id, answer in answers.items():
        if step_id == upto:
            return
        store.record_attempt(lesson_id, step_id, 1, answer, "correct", (), 2.0, solves=True)


# -- the chain header and the Factors panel ------------------------------------------------------
async def test_an_id_appears_once_its_step_is_solved_and_not_before(make_app):
    app = make_app(lesson_id=FLAGSHIP, seed=1)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")  # past the intro
        await settle(pilot)
        assert "df_dh2" not in "\n".join(chain_rows(pilot))
        assert "df_dh2" not in factor_list(pilot)
        assert "each solved factor's id" in ids_row(pilot)  # the row is there from the start
        await submit(pilot, "W3")
        # Solved, but this step's answer cannot use its own id: not offered here.
        assert "df_dh2" not in ids_row(pilot)
        await pilot.press("pagedown")
        await settle(pilot)
        row = ids_row(pilot)
        assert "df_dh2" in row and "dh2_dz2" not in row
        labels, values = chain_rows(pilot)[:2]
        # Written under its factor: the same column as ∂f/∂h2 and W3.
        assert row.index("df_dh2") == labels.index("∂f/∂h2") == values.index("W3")
        assert "df_dh2 = W3" in factor_list(pilot)
        assert "dh2_dz2 =" not in factor_list(pilot)


async def test_a_revealed_steps_id_is_offered_too(make_app):
    app = make_app(lesson_id=FLAGSHIP, seed=1)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "f3", "y")  # reveal, and yes
        await settle(pilot)
        assert app.screen.factor.status == "revealed"
        await pilot.press("pagedown")
        await settle(pilot)
        assert "df_dh2" in ids_row(pilot)
        assert "df_dh2 = W3" in factor_list(pilot)


async def test_a_products_id_is_written_under_its_whole_span(make_app, store):
    solve_before(store, "df_dW1")
    app = make_app(lesson_id=FLAGSHIP, seed=1)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        row = ids_row(pilot)
        labels = chain_rows(pilot)[0]
        # df_dz1 = (∂f/∂h2 · … · ∂h1/∂z1): its bracket runs from ( to ), its factors'
        # ids are left to the Factors panel and F1 (one row holds the ids).
        assert "df_dz1" in row and "df_dh2" not in row
        assert row.index("└") == labels.index("(") and row.index("┘") == labels.index(")")
        assert "df_dh2 = W3" in factor_list(pilot) and "df_dz1 = W3 @" in factor_list(pilot)


async def test_going_back_shows_only_the_ids_of_the_steps_before(make_app, store):
    solve_before(store, "df_dz1")
    app = make_app(lesson_id=FLAGSHIP, seed=1)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert all(step_id in ids_row(pilot) for step_id in
                   ("df_dh2", "dh2_dz2", "dz2_dh1", "dh1_dz1"))
        await pilot.press("pageup", "pageup")  # at ∂z2/∂h1: the two steps before it
        await settle(pilot)
        row = ids_row(pilot)
        assert "df_dh2" in row and "dh2_dz2" in row and "dz2_dh1" not in row
        assert "dh1_dz1" not in row and "dh1_dz1 =" not in factor_list(pilot)


async def test_the_ids_fit_at_60_by_18_and_80_by_24(make_app, store):
    """Nothing cut off or run over: the header's rows fit, whether aligned or listed."""
    solve_before(store, "df_dz1")
    app = make_app(lesson_id=FLAGSHIP, seed=1)
    async with app.run_test(size=(60, 18)) as pilot:
        await settle(pilot)
        for width, height in ((60, 18), (80, 24)):
            await pilot.resize_terminal(width, height)
            await pilot.pause()
            shown = screen_text(pilot)
            assert all(len(line) <= width for line in shown)
            ids = next(line for line in shown if line.strip().startswith("ids:"))
            for step_id in ("df_dh2", "dh2_dz2", "dz2_dh1", "dh1_dz1"):
                assert step_id in ids, (width, ids)
            assert shown.index(ids) < next(index for index, line in enumerate(shown)
                                           if "─W1→" in line)  # above the graph, not over it
        # The verdict keeps its rows at the smallest size (tests/app/test_tui_short.py).
        await pilot.resize_terminal(60, 18)
        await submit(pilot, "W3 @ W2 @ diag(h1*(1-h1))")
        assert app.screen.query_one("#feedback-box").outer_size.height >= 5


def test_the_row_of_ids_is_there_only_when_asked_for(catalog):
    """A lesson of one step has no id to type: its header keeps its two rows."""
    lesson = catalog.get(FLAGSHIP)
    from tutor.app.model import chain_pieces
    from tutor.session import FactorState

    factors = {step.id: FactorState(step, None, None) for step in lesson.steps}
    view = ChainView()
    view.pieces, view.factors, view.goal_label = chain_pieces(lesson, factors), factors, "∂f/∂W1"
    assert "ids:" not in str(view.build(80)) and str(view.build(80)).count("\n") == 1
    view.with_ids = True
    for width in (80, 58, 30):
        rows = str(view.build(width)).split("\n")
        assert rows[-1].strip().startswith("ids:")
        assert len(rows[-1]) <= width, (width, rows[-1])


# -- F1 -----------------------------------------------------------------------------------------
def help_lesson_text(pilot: Pilot) -> str:
    assert isinstance(pilot.app.screen, HelpScreen)
    return pilot.app.screen.query_one("#help-lesson", Markdown).source


async def test_f1_lists_the_lessons_step_ids_and_which_may_be_typed_now(make_app):
    app = make_app(lesson_id=FLAGSHIP, seed=1)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "f1")
        await pilot.pause()
        text = help_lesson_text(pilot)
        assert "This lesson's step ids" in text
        for step_id in FLAGSHIP_ANSWERS:
            assert f"`{step_id}`" in text
        assert "type it now" not in text  # nothing solved yet
        assert "`df_dh2` — ∂f/∂h2, 1×2: this step: write it out" in text
        await pilot.press("escape")
        await submit(pilot, "W3")
        await pilot.press("pagedown", "f1")
        await pilot.pause()
        text = help_lesson_text(pilot)
        assert "`df_dh2` — ∂f/∂h2, 1×2: ✓ solved · **type it now**" in text
        assert "`dh2_dz2` — ∂h2/∂z2, 2×2: this step: write it out" in text
        assert "`dz2_dh1` — ∂z2/∂h1, 2×2: open · usable after it, once solved" in text
        # And the general help follows, whole.
        assert "The answer language" in pilot.app.screen.query_one("#help-text", Markdown).source


async def test_f1_from_the_lesson_list_has_no_lesson_part(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert not app.screen.query("#help-lesson")


# -- the rules, without a screen -------------------------------------------------------------------
def test_the_widest_typeable_span_wins_and_the_header_side_gets_none(catalog, store):
    lesson = catalog.get("two-layer-upstream")
    solve_before(store, "df_dW1", "two-layer-upstream", {
        "df_dW3": "h2.T", "df_dh2": "W3", "df_dz2": "W3 @ diag(h2*(1-h2))",
        "df_dW2": "(W3 @ diag(h2*(1-h2))).T @ h1.T",
        "df_dh1": "W3 @ diag(h2*(1-h2)) @ W2",
        "df_dz1": "W3 @ diag(h2*(1-h2)) @ W2 @ diag(h1*(1-h1))"})
    session = LessonSession(lesson, 1, store)
    session.index = [step.id for step in lesson.steps].index("df_dz1")
    assert session.typeable == {"df_dW3", "df_dh2", "df_dz2", "df_dW2", "df_dh1"}
    from tutor.app.model import chain_pieces, chain_step

    top = chain_step(lesson, session.step)
    pieces = chain_pieces(lesson, session.factors, top)
    spans = id_spans(lesson, pieces, session.typeable, top.id)
    assert [span.step_id for span in spans] == ["df_dh1"]  # it holds df_dz2, which holds df_dh2
    assert id_spans(lesson, pieces, {"df_dW1"}, "df_dW1") == []


def test_an_id_an_answer_cannot_name_is_never_offered(store, tmp_path):
    """A lesson file may call a step `du-dx` (progress stores it), but `du-dx` in an answer
    is du minus dx: no screen offers it as a name, solved or not."""
    from tutor.lessons.load import load_lesson

    source = (Path(__file__).parents[2] / "lessons" / "01-scalar-chain-rule.toml").read_text(
        encoding="utf-8")
    path = tmp_path / "odd.toml"
    path.write_text("\n".join(line.replace("du_dx", "du-dx") for line in source.splitlines()
                              if not line.startswith("composes")), encoding="utf-8")
    lesson = load_lesson(path)
    store.set_seed(lesson.id, 1)
    store.record_attempt(lesson.id, "du-dx", 1, "3 * x^2", "correct", (), 2.0, solves=True)
    session = LessonSession(lesson, 1, store)
    session.index = 1
    assert session.factors["du-dx"].done
    assert [name.step.id for name in session.step_names()] == ["dv_du", "dy_dv", "dy_dx"]
    assert session.typeable == frozenset()
    assert "du-dx" not in step_ids_help(session.step_names())
    # Nor does the advice on an unknown name in an answer offer it.
    advice = lesson.check("dy_dx", "dz_dq * 2", seed=1)
    assert advice.verdict == "invalid" and "du-dx" not in advice.feedback
    assert "dv_du" in advice.feedback


def test_the_help_shows_ids_and_labels_as_written(catalog):
    """An id may hold any printable mark, a quantity's name underscores: Markdown must
    not turn them into code fences or emphasis."""
    import dataclasses

    step = catalog.get(FLAGSHIP).steps[0]
    odd = dataclasses.replace(step, id="a`b", of="_h_2_")
    names = [StepName(odd, None, usable=False, place="here"),
             StepName(step, None, usable=False, place="after")]
    text = step_ids_help(names)
    assert "* `` a`b `` — ∂\\_h\\_2\\_/∂h2, 1×2: this step: write it out" in text
    assert "`df_dh2` — ∂f/∂h2, 1×2" in text  # a plain label as it is
