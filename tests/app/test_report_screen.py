"""`chain-tutor report --tui`: the heat map of lessons × steps, and a step's details.

The class is written with ProgressStore as the tutor writes it (fixed clocks), and the
lessons' titles and factors come from the frozen snapshot lessons:

alice  scalar-chain-rule  du_dx  ✓                dv_du  sin(u) ✗, cos(u) ✓
       two-layer-sigmoid  df_dh2 W3.T ✗ transpose, W3 ✓
                          dh2_dz2 h2*(1-h2) ✗ vector-vs-diag/shape, diag(h2*(1-h2)) ✓
                          dz2_dh1 W2.T ✗ transpose, revealed
bob    scalar-chain-rule  du_dx  x ✗ factor, 2*x ✓
       two-layer-sigmoid  df_dh2 W3 ✓    dh2_dz2 "h2 * (1-h2)" ✗ vector-vs-diag/shape
carol  scalar-chain-rule  du_dx  ✓       dv_du  sin(u) ✗, cos(u) ✓
       two-layer-sigmoid  df_dh2 -W3 ✗ sign, W3 ✓    dh2_dz2 W2 ✗ shape
"""

from __future__ import annotations

import itertools
from pathlib import Path
from unittest import mock

import pytest
from textual.widgets import Markdown, Static
from tui_helpers import SNAPSHOT_LESSONS

from tutor.app.report_app import ReportApp
from tutor.app.screens.report import (
    HeatMap,
    ReportHelpScreen,
    ReportScreen,
    StepCell,
    band_of,
    cell_text,
)
from tutor.cli.command import main
from tutor.lessons.index import read_info
from tutor.progress import ProgressStore
from tutor.report.build import Report, StepReport, build_report
from tutor.report.sources import load_sources

SCALAR, FLAGSHIP = "scalar-chain-rule", "two-layer-sigmoid"
SHAPE = ["vector-vs-diag", "shape"]
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


def _store(folder: Path) -> ProgressStore:
    folder.mkdir(parents=True)
    ticks = itertools.count(1_700_000_000)
    with mock.patch("getpass.getuser", return_value=folder.name):  # the student's login
        return ProgressStore(folder / "progress.db", clock=lambda: float(next(ticks)))


def _solve(store: ProgressStore, lesson: str, step: str, answer: str, seconds: float) -> None:
    store.record_attempt(lesson, step, 1, answer, "correct", [], seconds)
    store.mark(lesson, step, "solved")


def write_class(root: Path, odd_answer: str = "W2") -> None:
    with _store(root / "alice") as s:
        _solve(s, SCALAR, "du_dx", "2*x", 12)
        s.record_attempt(SCALAR, "dv_du", 1, "sin(u)", "incorrect", [], 10)
        _solve(s, SCALAR, "dv_du", "cos(u)", 10)
        s.record_attempt(FLAGSHIP, "df_dh2", 1, "W3.T", "incorrect", ["transpose"], 10)
        _solve(s, FLAGSHIP, "df_dh2", "W3", 5)
        s.record_attempt(FLAGSHIP, "dh2_dz2", 1, "h2*(1-h2)", "incorrect", SHAPE, 30)
        _solve(s, FLAGSHIP, "dh2_dz2", "diag(h2*(1-h2))", 30)
        s.record_attempt(FLAGSHIP, "dz2_dh1", 1, "W2.T", "incorrect", ["transpose"], 40)
        s.mark(FLAGSHIP, "dz2_dh1", "revealed")
    with _store(root / "bob") as s:
        s.record_attempt(SCALAR, "du_dx", 1, "x", "incorrect", ["factor"], 6)
        _solve(s, SCALAR, "du_dx", "2*x", 6)
        _solve(s, FLAGSHIP, "df_dh2", "W3", 10)
        s.record_attempt(FLAGSHIP, "dh2_dz2", 1, "h2 * (1-h2)", "incorrect", SHAPE, 50)
    with _store(root / "carol") as s:
        _solve(s, SCALAR, "du_dx", "2*x", 20)
        s.record_attempt(SCALAR, "dv_du", 1, "sin(u)", "incorrect", [], 15)
        _solve(s, SCALAR, "dv_du", "cos(u)", 15)
        s.record_attempt(FLAGSHIP, "df_dh2", 1, "-W3", "incorrect", ["sign"], 4)
        _solve(s, FLAGSHIP, "df_dh2", "W3", 4)
        s.record_attempt(FLAGSHIP, "dh2_dz2", 1, odd_answer, "incorrect", ["shape"], 5)


def class_report(root: Path, odd_answer: str = "W2") -> Report:
    write_class(root, odd_answer)
    sources, skipped = load_sources([root])
    index = [read_info(SNAPSHOT_LESSONS / f"{lesson}.toml") for lesson in (SCALAR, FLAGSHIP)]
    return build_report(sources, index, skipped)


@pytest.fixture
def report(tmp_path: Path) -> Report:
    return class_report(tmp_path / "class")


def details(pilot) -> str:
    return str(pilot.app.screen.query_one("#step-details", Static).content)


def selected(pilot) -> tuple[str, str]:
    cell = pilot.app.screen.focused
    assert isinstance(cell, StepCell)
    return cell.lesson.lesson_id, cell.step.step_id


def _step(students: int, solved: int) -> StepReport:
    return StepReport("l", "s", "∂a/∂b", students, solved, 0, students - solved, 0, 1, 1.0,
                      ())


@pytest.mark.parametrize(("size", "students", "solved", "band", "text"), [
    (4, 4, 4, "high", "● 4/4"), (4, 3, 3, "high", "● 3/4"), (100, 80, 74, "mid", "◐ 74/100"),
    (5, 2, 2, "mid", "◐ 2/5"), (100, 100, 39, "low", "○ 39/100"), (3, 3, 0, "low", "○ 0/3"),
    (3, 0, 0, "none", "· –"),
    # everyone who reached it solved it, but most of the class has not reached it
    (10, 3, 3, "low", "○ 3/10"), (3, 1, 1, "low", "○ 1/3"), (5, 2, 2, "mid", "◐ 2/5"),
])
def test_a_cells_band_and_text_follow_the_share_of_the_class_who_solved(
        size, students, solved, band, text):
    step = _step(students, solved)
    assert band_of(step, size).name == band
    assert cell_text(step, size).strip() == text


def test_a_cell_is_wide_enough_for_a_large_class():
    assert len(cell_text(_step(120, 120), 120)) == len("● 120/120")
    assert len(cell_text(_step(3, 1), 3)) == 7


async def test_the_map_shows_every_lesson_and_step_with_its_band(report):
    async with ReportApp(report).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        cells = pilot.app.screen.query(StepCell)
        bands = {(c.lesson.lesson_id, c.step.step_id): (c.classes, str(c.content).strip())
                 for c in cells}
        assert len(bands) == 4 + 6  # every step of both lessons, answered or not
        assert bands[SCALAR, "du_dx"] == ({"step-cell", "-high"}, "● 3/3")
        assert bands[SCALAR, "dv_du"] == ({"step-cell", "-mid"}, "◐ 2/3")
        assert bands[FLAGSHIP, "dh2_dz2"] == ({"step-cell", "-low"}, "○ 1/3")
        assert bands[FLAGSHIP, "dz2_dh1"] == ({"step-cell", "-low"}, "○ 0/3")
        assert bands[FLAGSHIP, "df_dW1"] == ({"step-cell", "-none"}, "· –")
        title = str(pilot.app.screen.query_one(".screen-title", Static).content)
        assert "3 students · 2 lessons with records" in title


async def test_the_first_step_is_selected_and_described_at_once(report):
    async with ReportApp(report).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(pilot.app.screen, ReportScreen)
        assert selected(pilot) == (SCALAR, "du_dx")
        text = details(pilot)
        assert "scalar-chain-rule · step 1 of 4 · du_dx · ∂u/∂x" in text
        assert "● solved by 3 of 3 students (100%)" in text
        assert "revealed 0 · working 0 · gave up 0 · not reached 0" in text
        assert "median attempts 1 · median time 12s" in text
        assert "✗ x  [factor]  1 attempt, 1 student" in text


async def test_arrows_move_between_steps_and_lessons_of_different_lengths(report):
    async with ReportApp(report).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("down", "right")
        await pilot.pause()
        assert selected(pilot) == (FLAGSHIP, "dh2_dz2")
        text = details(pilot)
        assert "two-layer-sigmoid · step 2 of 6 · dh2_dz2 · ∂h2/∂z2" in text
        assert "○ solved by 1 of 3 students (33%)" in text
        # bob and carol answered it last: at it still, not given up
        assert "revealed 0 · working 2 · gave up 0 · not reached 0" in text
        assert "median attempts 1 · median time 50s" in text
        # the common wrong answers, whitespace removed, with their diagnosis codes
        assert "✗ h2*(1-h2)  [vector-vs-diag, shape]  2 attempts, 2 students" in text
        assert "✗ W2  [shape]  1 attempt, 1 student" in text

        await pilot.press("end", "up")  # from step 6 up to a lesson of 4 steps: its last
        await pilot.pause()
        assert selected(pilot) == (SCALAR, "dy_dx")
        assert "Nobody has answered this step yet: not reached 3." in details(pilot)
        await pilot.press("home", "left", "up")  # at the edges: stays
        await pilot.pause()
        assert selected(pilot) == (SCALAR, "du_dx")


async def test_a_burst_of_keys_moves_as_far_as_the_keys_say(report):
    async with ReportApp(report).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("down", "right", "right", "right", "right", "left")
        await pilot.pause()
        assert selected(pilot) == (FLAGSHIP, "dh1_dz1")
        assert pilot.app.screen.query_one(HeatMap).selected.step.step_id == "dh1_dz1"


async def test_a_click_selects_a_cell(report):
    async with ReportApp(report).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        target = next(c for c in pilot.app.screen.query(StepCell)
                      if c.step.step_id == "dz2_dh1")
        await pilot.click(target)
        await pilot.pause()
        assert selected(pilot) == (FLAGSHIP, "dz2_dh1")
        assert "solved by 0 of 3 students (0%)" in details(pilot)
        assert "revealed 1 · working 0 · gave up 0 · not reached 2" in details(pilot)


async def test_a_click_after_keys_that_went_nowhere_is_where_the_keys_start(report):
    async with ReportApp(report).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("home", "up", "left")  # the first cell already: nothing moves
        await pilot.pause()
        target = next(c for c in pilot.app.screen.query(StepCell)
                      if c.step.step_id == "df_dh2")
        await pilot.click(target)
        await pilot.pause()
        await pilot.press("right")
        await pilot.pause()
        assert selected(pilot) == (FLAGSHIP, "dh2_dz2")


async def test_student_answers_are_shown_as_text_never_as_markup_or_escapes(tmp_path):
    report = class_report(tmp_path / "class", odd_answer="[b]W2[/b]\x1b[31m")
    async with ReportApp(report).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("down", "right")
        await pilot.pause()
        assert "✗ [b]W2[/b]\\x1b[31m  [shape]" in details(pilot)


async def test_f1_explains_the_colours_and_closes_again(report):
    async with ReportApp(report).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ReportHelpScreen)
        help_text = pilot.app.screen.query_one(Markdown).source
        for words in ("●", "◐", "○", "75% or more", "under 40%", "NO_COLOR"):
            assert words in help_text
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ReportScreen)
        await pilot.press("f1", "escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ReportScreen)
        assert selected(pilot) == (SCALAR, "du_dx")  # the selection is kept


@pytest.mark.parametrize("keys", [("ctrl+q",), ("f1", "ctrl+q")], ids=["map", "help"])
async def test_ctrl_q_quits(report, keys):
    app = ReportApp(report)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press(*keys)
        await pilot.pause()
        assert not app.is_running


async def test_a_report_without_attempts_says_so():
    async with ReportApp(Report(("alice",), ())).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert not pilot.app.screen.query(StepCell)
        assert "No attempts recorded yet" in details(pilot)


def test_report_tui_opens_the_screen_with_the_report_the_text_would_print(
        tmp_path, monkeypatch):
    write_class(tmp_path / "class")
    shown: list[Report] = []
    monkeypatch.setattr("tutor.app.report_app.run_report",
                        lambda report, rows, start: shown.append(report) or 0)
    monkeypatch.setattr("tutor.cli.instructor.refuse_without_terminal", lambda: False)
    assert main(["report", str(tmp_path / "class"), "--tui", "--top", "1"]) == 0
    [report] = shown
    assert len(report.students) == 3
    assert all(len(step.common_wrong) <= 1 for lesson in report.lessons for step in lesson.steps)


def test_report_tui_is_one_choice_with_json_and_csv(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["report", str(tmp_path), "--tui", "--json"])
    assert exit_info.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


@pytest.mark.parametrize("size", SIZES)
def test_report_heat_map(snap_compare, tmp_path, size):
    """Two lessons, every band, a step with wrong answers selected."""
    report = class_report(tmp_path / "class")
    assert snap_compare(ReportApp(report), terminal_size=size, press=["down", "right"])
