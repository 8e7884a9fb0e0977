"""The gradebook: a class built from hand-ins, graded by a course file, as Canvas's and
Moodle's CSV imports, checked cell by cell.

The course (due T0+100 for both): "Sigmoid" is two-layer-sigmoid (6 steps, 10 points),
"Loss, by hand" is squared-loss (5 steps, 5 points). Hand-ins (exports, as students
hand them in):

alice  two files. laptop: df_dh2 ✓ T0+10, dh2_dz2 ✓ T0+20; server: dz2_dh1 ✓ T0+30
       and the laptop's df_dh2 again (imported); dL_df ✓ T0+200 (late)
       Sigmoid 10 × 3/6 = 5; Loss 0
bob    df_dh2 revealed, then typed in ✓ T0+5 (nothing); dh2_dz2 ✓ T0+50
       dL_df, dL_dw2 ✓ T0+60, T0+70
       Sigmoid 10 × 1/6 = 1.666… → 1.67; Loss 5 × 2/5 = 2
carol  on the roster, never started: 0, 0
dave   handed in, not on the roster: left out, and said
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

import pytest

from tutor.cli.command import main
from tutor.progress import ProgressStore, export_json, write_export
from tutor.report.roster import RosterEntry, RosterError, read_roster

T0 = 1_800_000_000
SIGMOID, LOSS = "two-layer-sigmoid", "squared-loss"
DUE = datetime.fromtimestamp(T0 + 100, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
COURSE = f"""\
title = "Deep learning, autumn"

[[assignment]]
title = "Sigmoid"
lessons = ["{SIGMOID}"]
due = {DUE}
points = 10
reveal = false

[[assignment]]
title = "Loss, by hand"
lessons = ["{LOSS}"]
due = {DUE}
points = 5
"""
ROSTER = """\
login,name,sis_id,section
alice,"Liddell, Alice",S001,A
bob,Bob Marley,S002,B
carol,Carol Danvers,S003,A
"""


def _hand_in(folder: Path, name: str, login: str, work) -> None:
    now = [0.0]
    home = folder.parent / "db" / name  # the student's own database, not handed in
    home.mkdir(parents=True)
    # The database records its owner's login when it is made: the student's own tutor.
    with mock.patch("getpass.getuser", return_value=login), \
            ProgressStore(home / "progress.db", clock=lambda: now[0]) as store:
        for at, action in work:
            now[0] = T0 + at
            action(store)
        write_export(folder / f"{name}.json", export_json(store.snapshot(login), 0.0))


def _correct(lesson, step):
    return lambda s: s.record_attempt(lesson, step, 1, "x", "correct", [], 5, solves=True)


@pytest.fixture
def klass(tmp_path) -> Path:
    hand_ins = tmp_path / "handed-in"
    hand_ins.mkdir()
    laptop = [(10, _correct(SIGMOID, "df_dh2")), (20, _correct(SIGMOID, "dh2_dz2"))]
    _hand_in(hand_ins, "alice-laptop", "alice", laptop)
    _hand_in(hand_ins, "alice-server", "alice", [laptop[0], (30, _correct(SIGMOID, "dz2_dh1")),
                                                 (200, _correct(LOSS, "dL_df"))])
    _hand_in(hand_ins, "bob", "bob", [
        (1, lambda s: s.mark(SIGMOID, "df_dh2", "revealed")), (5, _correct(SIGMOID, "df_dh2")),
        (50, _correct(SIGMOID, "dh2_dz2")), (60, _correct(LOSS, "dL_df")),
        (70, _correct(LOSS, "dL_dw2"))])
    _hand_in(hand_ins, "dave", "dave", [(10, _correct(LOSS, "dL_df"))])
    (tmp_path / "course.toml").write_text(COURSE, encoding="utf-8")
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    return tmp_path


def _run(capsys, klass, *options) -> tuple[int, str, str]:
    code = main(["report", *options, "--course", str(klass / "course.toml"),
                 str(klass / "handed-in")])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_canvas_gradebook_has_canvas_columns_and_a_row_per_roster_student(klass, capsys):
    code, out, err = _run(capsys, klass, "--gradebook", "canvas", "--roster",
                          str(klass / "roster.csv"))
    assert code == 0
    assert out.split("\r\n") == [
        'Student,ID,SIS User ID,SIS Login ID,Section,Sigmoid,"Loss, by hand"',
        '"Liddell, Alice",,S001,alice,A,5,0',
        "Bob Marley,,S002,bob,B,1.67,2",
        "Carol Danvers,,S003,carol,A,0,0",
        "",
    ]
    assert "dave has progress but is not on the roster; left out of the gradebook" in err


def test_moodle_gradebook_has_moodle_columns(klass, capsys):
    code, out, _ = _run(capsys, klass, "--gradebook", "moodle", "--roster",
                        str(klass / "roster.csv"))
    assert code == 0
    assert out.split("\r\n") == [
        'username,idnumber,fullname,Sigmoid,"Loss, by hand"',
        'alice,S001,"Liddell, Alice",5,0',
        "bob,S002,Bob Marley,1.67,2",
        "carol,S003,Carol Danvers,0,0",
        "",
    ]


def test_without_a_roster_each_student_found_gets_a_row(klass, capsys):
    code, out, err = _run(capsys, klass, "--gradebook", "moodle")
    assert code == 0
    assert out.split("\r\n")[1:] == ["alice,,alice,5,0", "bob,,bob,1.67,2", "dave,,dave,0,1",
                                     ""]
    assert err == ""


def test_the_grade_rule_is_in_report_help(capsys):
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert ("an assignment's grade is points × (steps first solved at or before the due "
            "time, revealed steps excluded) / (all steps of its lessons), to two decimals; "
            "any variant counts") in help_text


@pytest.mark.parametrize(("change", "words"), [
    (lambda k: (k / "course.toml").write_text(COURSE.replace(SIGMOID, "two-layer-sigmoud")),
     "course.toml:5: assignment 1: lesson 'two-layer-sigmoud' is not among the lessons"),
    (lambda k: (k / "course.toml").write_text(COURSE.replace("points = 5", "points = 0")),
     "course.toml:14: assignment 2: points must be a number above 0"),
    (lambda k: (k / "roster.csv").write_text(ROSTER + "alice,Again,S9,C\n"),
     "roster.csv:5: alice is already on line 2"),
    (lambda k: (k / "roster.csv").write_text("user,name\nalice,A\n"),
     "roster.csv:1: the header has no login column"),
    (lambda k: (k / "roster.csv").write_text(ROSTER + "erin,Erin\n"),
     "roster.csv:5: 2 fields, but the header has"),
])
def test_a_bad_course_or_roster_exits_2_at_its_line_and_writes_nothing(klass, capsys, change,
                                                                        words):
    change(klass)
    code, out, err = _run(capsys, klass, "--gradebook", "canvas", "--roster",
                          str(klass / "roster.csv"))
    assert (code, out) == (2, "")
    assert words in err


def test_gradebook_and_course_go_together(klass, capsys):
    assert main(["report", "--gradebook", "canvas", str(klass / "handed-in")]) == 2
    assert "--gradebook canvas|moodle and --course FILE go together" in capsys.readouterr().err
    code, out, _ = _run(capsys, klass)
    assert (code, out) == (2, "")


def test_a_roster_is_read_in_its_order_with_its_columns_in_any_order(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("\ufeffsection,login\r\nB,zed\r\n\r\nA,amy\r\n", encoding="utf-8")
    assert read_roster(path) == [RosterEntry("zed", "", "", "B"), RosterEntry("amy", "", "", "A")]
    path.write_text("login,name\nal\x1bice,A\n", encoding="utf-8")
    with pytest.raises(RosterError, match=r"r.csv:2: the login holds"):
        read_roster(path)


def test_a_name_a_spreadsheet_would_run_is_written_as_text(tmp_path, capsys, klass):
    (klass / "roster.csv").write_text('login,name\nalice,"=HYPERLINK(""x"")"\n',
                                      encoding="utf-8")
    code, out, _ = _run(capsys, klass, "--gradebook", "moodle", "--roster",
                        str(klass / "roster.csv"))
    assert code == 0
    assert out.split("\r\n")[1] == 'alice,,"\'=HYPERLINK(""x"")",5,0'
