"""`chain-tutor report --tui`: the students' table beside the heat map (`s` switches).

A class written with ProgressStore as the tutor writes it (one clock for the whole class,
a second per record, so "latest" is the order written here), and a roster that names
one student more, who has not started:

ann   df_dh2 W3 ✓, dh2_dz2 diag(h2*(1-h2)) ✓, dz2_dh1 W2 ✓          in-progress, 3 solved
bo    df_dh2 W3.T ✗ ×5                                               stuck
cy    df_dh2 W3 ✓, dh2_dz2 revealed, dz2_dh1 W2.T ✗                 in-progress, 1 solved
dee   on the roster, no records                                      not-started
"""

from __future__ import annotations

import itertools
from pathlib import Path
from unittest import mock

import pytest
from textual.widgets import DataTable, Markdown, Static
from tui_helpers import SNAPSHOT_LESSONS

from tutor.app.report_app import STUDENTS, ReportApp
from tutor.app.screens.report import ReportHelpScreen, ReportScreen, StepCell
from tutor.app.screens.report_students import StudentsScreen
from tutor.lessons.index import read_info
from tutor.progress import ProgressStore
from tutor.report.build import build_report
from tutor.report.roster import RosterEntry
from tutor.report.sources import load_sources
from tutor.report.students import student_rows

FLAGSHIP = "two-layer-sigmoid"
ROSTER = [RosterEntry("ann", "Ann Arbor"), RosterEntry("bo", "[b]Bo[/b]"),
          RosterEntry("cy", "Cy Young"), RosterEntry("dee", "Dee Dee")]


def _write(root: Path) -> None:
    ticks = itertools.count(1_800_000_000)

    def store(login: str) -> ProgressStore:
        (root / login).mkdir(parents=True)
        with mock.patch("getpass.getuser", return_value=login):
            return ProgressStore(root / login / "progress.db",
                                 clock=lambda: float(next(ticks)))

    def solve(s: ProgressStore, step: str, answer: str) -> None:
        s.record_attempt(FLAGSHIP, step, 1, answer, "correct", [], 10)
        s.mark(FLAGSHIP, step, "solved")

    with store("ann") as s:
        solve(s, "df_dh2", "W3")
        solve(s, "dh2_dz2", "diag(h2*(1-h2))")
        solve(s, "dz2_dh1", "W2")
    with store("bo") as s:
        for _ in range(5):
            s.record_attempt(FLAGSHIP, "df_dh2", 1, "W3.T", "incorrect", ["transpose"], 10)
    with store("cy") as s:
        solve(s, "df_dh2", "W3")
        s.mark(FLAGSHIP, "dh2_dz2", "revealed")
        s.record_attempt(FLAGSHIP, "dz2_dh1", 1, "W2.T", "incorrect", ["transpose"], 10)


@pytest.fixture
def app(tmp_path: Path) -> ReportApp:
    return class_app(tmp_path / "class")


def class_app(root: Path, roster=ROSTER, start: str = "map") -> ReportApp:
    _write(root)
    sources, skipped = load_sources([root])
    report = build_report(sources, [read_info(SNAPSHOT_LESSONS / f"{FLAGSHIP}.toml")],
                          skipped)
    return ReportApp(report, student_rows(sources, report, roster), start=start)


def logins(pilot) -> list[str]:
    screen = pilot.app.screen
    assert isinstance(screen, StudentsScreen)
    return screen.order()


def cells(pilot, login: str) -> list[str]:
    table = pilot.app.screen.query_one(DataTable)
    return [str(cell) for cell in table.get_row(login)]


def footer_keys(pilot) -> dict[str, str]:
    return {key: active.binding.description for key, active in pilot.app.active_bindings.items()
            if active.binding.show}


async def test_s_switches_to_the_students_and_back_to_the_map_as_it_was(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("right", "right")
        await pilot.pause()
        assert footer_keys(pilot)["s"] == "Students"
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(pilot.app.screen, StudentsScreen)
        assert logins(pilot) == ["ann", "bo", "cy", "dee"]  # the roster's order
        assert footer_keys(pilot)["s"] == "Heat map"
        assert footer_keys(pilot)["1"] == "Sort"
        title = str(pilot.app.screen.query_one(".screen-title", Static).content)
        assert "4 students · 1 stuck · 1 not-started · 2 in-progress" in title
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ReportScreen)
        cell = pilot.app.screen.focused
        assert isinstance(cell, StepCell) and cell.step.step_id == "dz2_dh1"


async def test_the_roster_adds_not_started_rows_and_counts_in_the_maps_class(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        cell_texts = {c.step.step_id: str(c.content).strip()
                      for c in pilot.app.screen.query(StepCell)}
        # of a class of 4 with dee, who has no records
        assert cell_texts["df_dh2"] == "◐ 2/4"
        assert cell_texts["dz2_dh1"] == "○ 1/4"
        await pilot.press("right", "right")
        await pilot.pause()
        details = str(pilot.app.screen.query_one("#step-details", Static).content)
        assert "revealed 0 · working 1 · gave up 0 · not reached 2" in details
        await pilot.press("s")
        await pilot.pause()
        assert cells(pilot, "dee") == ["dee", "Dee Dee", "· not-started", "–", "0", "0", "0",
                                       "–", "–"]
        assert cells(pilot, "bo")[:5] == ["bo", "[b]Bo[/b]", "! stuck",
                                          f"{FLAGSHIP}/df_dh2", "0"]  # text, not markup
        assert cells(pilot, "ann")[2:5] == ["▸ in-progress", f"{FLAGSHIP}/dz2_dh1", "3"]


async def test_a_columns_number_sorts_by_it_and_again_reverses_it(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("s", "5")  # solved: ann 3, cy 1, bo and dee 0 (roster order)
        await pilot.pause()
        assert logins(pilot) == ["bo", "dee", "cy", "ann"]
        await pilot.press("5")
        await pilot.pause()
        assert logins(pilot) == ["ann", "cy", "bo", "dee"]
        assert "Sorted by solved, descending" in str(
            pilot.app.screen.query_one("#students-sort", Static).content)
        header = pilot.app.screen.query_one(DataTable).columns
        assert str(header["solved"].label) == "5 solved ▼"
        await pilot.press("3")  # status: who needs the instructor first
        await pilot.pause()
        assert logins(pilot) == ["bo", "dee", "ann", "cy"]
        await pilot.press("4")  # where: how far along, not-started first
        await pilot.pause()
        assert logins(pilot) == ["dee", "bo", "ann", "cy"]


async def test_sorting_keeps_the_cursor_on_its_student(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("s", "down")  # bo
        await pilot.pause()
        await pilot.press("5", "5")
        await pilot.pause()
        table = pilot.app.screen.query_one(DataTable)
        assert table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value == "bo"
        assert table.cursor_row == 2


async def test_a_click_on_a_header_sorts_by_its_column(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        table = pilot.app.screen.query_one(DataTable)
        login_width = table.columns["login"].get_render_width(table)
        name_width = table.columns["name"].get_render_width(table)
        # the table's border is one cell; the header is its first line
        await pilot.click(table, offset=(1 + login_width + name_width + 2, 1))  # status
        await pilot.pause()
        assert logins(pilot) == ["bo", "dee", "ann", "cy"]
        await pilot.click(table, offset=(1 + login_width + name_width + 2, 1))
        await pilot.pause()
        assert logins(pilot) == ["ann", "cy", "dee", "bo"]  # ties keep their order


async def test_leaving_the_table_for_the_map_keeps_its_order(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("s", "7", "s", "s")  # attempts, then the map, and back
        await pilot.pause()
        assert logins(pilot) == ["dee", "cy", "ann", "bo"]


async def test_students_tui_opens_on_the_table_and_f1_explains_it(tmp_path):
    app = class_app(tmp_path / "class", start=STUDENTS)
    async with app.run_test(size=(60, 18)) as pilot:
        await pilot.pause()
        assert logins(pilot) == ["ann", "bo", "cy", "dee"]
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ReportHelpScreen)
        await pilot.press("s")  # the help has no views to switch
        await pilot.pause()
        assert isinstance(pilot.app.screen, ReportHelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, StudentsScreen)
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ReportScreen)


async def test_without_a_roster_one_row_per_student_found(tmp_path):
    app = class_app(tmp_path / "class", roster=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "○ 1/3" in str(next(c for c in pilot.app.screen.query(StepCell)
                                   if c.step.step_id == "dz2_dh1").content)
        await pilot.press("s")
        await pilot.pause()
        assert logins(pilot) == ["ann", "bo", "cy"]
        assert cells(pilot, "ann")[1] == ""


async def test_a_class_of_120_gets_cells_wide_enough_for_its_counts(tmp_path):
    _write(tmp_path / "class")
    sources, skipped = load_sources([tmp_path / "class"])
    report = build_report(sources, [read_info(SNAPSHOT_LESSONS / f"{FLAGSHIP}.toml")],
                          skipped)
    roster = [*ROSTER, *(RosterEntry(f"s{number:03}") for number in range(116))]
    app = ReportApp(report, student_rows(sources, report, roster))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        first = next(c for c in pilot.app.screen.query(StepCell) if c.step.step_id == "df_dh2")
        assert str(first.content).strip() == "○ 2/120"
        assert first.region.width == len("● 120/120")
        heads = pilot.app.screen.query(".column-head")
        assert {head.region.width for head in heads} == {len("● 120/120")}


async def test_the_help_explains_the_students_view(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        source = pilot.app.screen.query_one(Markdown).source
        for words in ("solved/class", "not reached", "**s** switches", "**Sort**",
                      "**!** stuck", "working"):
            assert words in source


@pytest.mark.parametrize("size", [pytest.param((80, 24), id="80x24"),
                                  pytest.param((60, 18), id="60x18")])
def test_report_students_table(snap_compare, tmp_path, size):
    """Opened on the table (--students --tui), sorted by status: who needs you first."""
    app = class_app(tmp_path / "class", start=STUDENTS)
    assert snap_compare(app, terminal_size=size, press=["3"])


async def test_sorting_a_table_scrolled_right_leaves_it_there(tmp_path):
    app = class_app(tmp_path / "class", start=STUDENTS)
    async with app.run_test(size=(60, 18)) as pilot:
        await pilot.pause()
        table = pilot.app.screen.query_one(DataTable)
        await pilot.press(*["right"] * 8)
        await pilot.pause()
        scrolled = table.scroll_x
        assert scrolled > 0
        await pilot.press("9")
        await pilot.pause()
        await pilot.pause()
        assert logins(pilot) == ["dee", "ann", "bo", "cy"]  # the oldest answer first
        assert table.scroll_x == scrolled


async def test_skills_tui_opens_on_each_students_mastery_and_s_goes_to_the_map(tmp_path):
    """`report --skills --tui`: the skills' table (the rows of `report --skills`): ann's
    right first answers raise her skills; bo's first answer, transposed, lowers the one
    skill its step carries (df_dh2 does not carry layout, so its own is blamed)."""
    from tutor.app.report_app import SKILLS
    from tutor.app.screens.report_skills import SkillsTableScreen
    from tutor.lessons.load import load_catalog
    from tutor.lessons.skills import SKILLS as SKILL_NAMES
    from tutor.progress.skill_params import SkillParams
    from tutor.progress.tracing import skills_by_step
    from tutor.report.skills import skill_rows

    root = tmp_path / "class"
    _write(root)
    sources, skipped = load_sources([root])
    report = build_report(sources, [read_info(SNAPSHOT_LESSONS / f"{FLAGSHIP}.toml")],
                          skipped)
    rows = skill_rows(sources, skills_by_step(load_catalog().lessons), SkillParams(), ROSTER)
    app = ReportApp(report, student_rows(sources, report, ROSTER), start=SKILLS, skills=rows)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, SkillsTableScreen)
        table = app.screen.query_one(DataTable)
        assert [str(column.label) for column in table.columns.values()] == [
            "login", *SKILL_NAMES]
        assert [str(key.value) for key in table.rows] == ["ann", "bo", "cy", "dee"]
        ann = dict(zip(SKILL_NAMES, [str(c) for c in table.get_row("ann")][1:], strict=True))
        assert ann["linear-jacobian"] == "0.93" and ann["weight-gradient"] == "–"
        bo = dict(zip(SKILL_NAMES, [str(c) for c in table.get_row("bo")][1:], strict=True))
        assert bo["layout"] == "–" and bo["linear-jacobian"] == "0.11"
        assert footer_keys(pilot)["s"] == "Heat map"
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, ReportScreen)
