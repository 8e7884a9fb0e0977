"""`report --students`: one row per student, from databases and exports, with a roster.

The class (lesson two-layer-sigmoid, six steps; T is 2027-01-15 08:00:00 UTC):

alice  database in the lab AND her export of it handed in (the same attempts: once)
       df_dh2 W3.T ✗ (T), W3 ✓ (T+60); dh2_dz2 h2 ✗ (T+660), then revealed
       → solved 1, revealed 1, attempts 3, time 60 + 300 (600 s capped), in-progress
bob    an export only: df_dh2 ✗ ×5, 20 s apart → stuck at df_dh2
carol  database: df_dh2 ✓ (T); dz2_dh1 revealed without an answer → in-progress
dave   on the roster only → not-started, zeros
erin   database: every step ✓, 30 s apart → done
frank  database, not on the roster → a row after the roster's, no name
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
import types
from pathlib import Path
from unittest import mock

import pytest

from tutor.cli.command import main
from tutor.progress import ProgressStore, export_json, write_export
from tutor.report.roster import RosterEntry, RosterError, read_roster
from tutor.report.students import time_on_task

LESSON = "two-layer-sigmoid"
STEPS = ("df_dh2", "dh2_dz2", "dz2_dh1", "dh1_dz1", "df_dz1", "df_dW1")
T = 1_800_000_000.0  # 2027-01-15T08:00:00Z
ROSTER = """login,name,sis_id,section,email
alice,Alice Liddell,S001,A,alice@example.org
bob,Bob Marley,S002,A,bob@example.org
carol,Carol Danvers,S003,B,
dave,Dave Bowman,S004,B,
erin,Erin Brockovich,S005,B,
"""


class Clock:
    def __init__(self) -> None:
        self.now = T

    def __call__(self) -> float:
        return self.now


def _database(path: Path, login: str, events) -> Path:
    """A database made by `login`'s tutor; events: (seconds after T, what, *args)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    clock = Clock()
    with mock.patch("getpass.getuser", return_value=login), \
            ProgressStore(path, clock=clock) as store:
        for after, what, *args in events:
            clock.now = T + after
            if what == "answer":
                step, answer, verdict = args
                store.record_attempt(LESSON, step, 7, answer, verdict, [], 10, solves=True)
            else:
                store.mark(LESSON, args[0], what)
    return path


def _export(database: Path, to: Path) -> None:
    with ProgressStore(database) as store:
        write_export(to, export_json(store.snapshot("someone"), T + 10_000))


@pytest.fixture
def klass(tmp_path) -> dict[str, Path]:
    return make_class(tmp_path)


def make_class(tmp_path: Path) -> dict[str, Path]:
    """The class of the module's docstring, under ``tmp_path``: its lab folder, its
    hand-in folder and its roster."""
    lab, handed_in, elsewhere = tmp_path / "lab", tmp_path / "handed-in", tmp_path / "bob-home"
    handed_in.mkdir()
    alice = _database(lab / "alice" / "progress.db", "alice", [
        (0, "answer", "df_dh2", "W3.T", "incorrect"), (60, "answer", "df_dh2", "W3", "correct"),
        (660, "answer", "dh2_dz2", "h2", "incorrect"), (700, "revealed", "dh2_dz2")])
    _export(alice, handed_in / "alice.json")
    bob = _database(elsewhere / "progress.db", "bob", [
        (20 * i, "answer", "df_dh2", f"W{i}", "incorrect") for i in range(5)])
    _export(bob, handed_in / "bob.json")
    _database(lab / "carol" / "progress.db", "carol", [
        (0, "answer", "df_dh2", "W3", "correct"), (5, "revealed", "dz2_dh1")])
    _database(lab / "erin" / "progress.db", "erin", [
        (30 * i, "answer", step, "key", "correct") for i, step in enumerate(STEPS)])
    _database(lab / "frank" / "progress.db", "frank", [
        (0, "answer", "df_dh2", "W3.T", "incorrect")])
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    return {"lab": lab, "handed_in": handed_in, "roster": roster}


def _row(login, name, solved, revealed, attempts, time, last, where, status):
    return {"login": login, "name": name, "steps_solved": solved, "steps_revealed": revealed,
            "attempts": attempts, "time_on_task_s": time, "last_active": last,
            "where": where, "status": status}


EXPECTED = [
    _row("alice", "Alice Liddell", 1, 1, 3, 360, "2027-01-15T08:11:00Z",
         f"{LESSON}/dh2_dz2", "in-progress"),
    _row("bob", "Bob Marley", 0, 0, 5, 80, "2027-01-15T08:01:20Z", f"{LESSON}/df_dh2",
         "stuck"),
    _row("carol", "Carol Danvers", 1, 1, 1, 0, "2027-01-15T08:00:00Z", f"{LESSON}/df_dh2",
         "in-progress"),
    _row("dave", "Dave Bowman", 0, 0, 0, 0, None, None, "not-started"),
    _row("erin", "Erin Brockovich", 6, 0, 6, 150, "2027-01-15T08:02:30Z", f"{LESSON}/df_dW1",
         "done"),
    _row("frank", None, 0, 0, 1, 0, "2027-01-15T08:00:00Z", f"{LESSON}/df_dh2",
         "in-progress"),
]


def test_students_json_over_databases_exports_and_a_roster(klass, capsys):
    assert main(["report", "--students", "--json", "--roster", str(klass["roster"]),
                 str(klass["lab"]), str(klass["handed_in"])]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == {"students": EXPECTED}
    assert "frank has records but is not on the roster" in err


def test_without_a_roster_one_row_per_student_found(klass, capsys):
    assert main(["report", "--students", "--json", str(klass["lab"]),
                 str(klass["handed_in"])]) == 0
    rows = json.loads(capsys.readouterr().out)["students"]
    assert rows == [dict(row, name=None) for row in EXPECTED if row["login"] != "dave"]


def test_students_csv_has_the_columns_in_order(klass, capsys):
    assert main(["report", "--students", "--csv", "--roster", str(klass["roster"]),
                 str(klass["lab"]), str(klass["handed_in"])]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["login", "name", "steps_solved", "steps_revealed", "attempts",
                       "time_on_task_s", "last_active", "where", "status"]
    assert rows[2] == ["bob", "Bob Marley", "0", "0", "5", "80", "2027-01-15T08:01:20Z",
                       f"{LESSON}/df_dh2", "stuck"]
    assert rows[4] == ["dave", "Dave Bowman", "0", "0", "0", "0", "", "", "not-started"]


def test_students_text_is_an_aligned_table(klass, capsys):
    assert main(["report", "--students", "--roster", str(klass["roster"]),
                 str(klass["lab"]), str(klass["handed_in"])]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["login", "name", "solved", "revealed", "attempts", "time",
                                "last", "active", "where", "status"]
    assert lines[2].split() == ["bob", "Bob", "Marley", "0", "0", "5", "1m20s",
                                "2027-01-15T08:01:20Z", f"{LESSON}/df_dh2", "stuck"]
    assert lines[4].split() == ["dave", "Dave", "Bowman", "0", "0", "0", "–", "–", "–",
                                "not-started"]
    # Aligned: every column starts at the same place on every row.
    status_at = lines[0].index("status")
    assert all(line[status_at - 2:status_at] == "  " for line in lines[1:7])
    assert lines[6].startswith("frank ")


def test_a_class_that_has_not_begun_is_a_roster_of_students_not_started(tmp_path, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    (tmp_path / "empty").mkdir()
    assert main(["report", "--students", "--json", "--roster", str(roster),
                 str(tmp_path / "empty")]) == 0
    rows = json.loads(capsys.readouterr().out)["students"]
    assert [(row["login"], row["status"], row["attempts"]) for row in rows] == [
        (login, "not-started", 0) for login in ("alice", "bob", "carol", "dave", "erin")]


def test_time_on_task_caps_each_gap_at_five_minutes():
    assert time_on_task([]) == time_on_task([5.0]) == 0
    assert time_on_task([100.0, 0.0, 3600.0, 3610.0]) == 100 + 300 + 10


def test_the_roster_reader_keeps_order_and_ignores_extra_columns(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("\ufeffSection,Login,name,extra\nA,bob,Bob,x\n\nB,alice,\"Liddell, A\",y\n")
    assert read_roster(path) == [RosterEntry("bob", "Bob", "", "A"),
                                 RosterEntry("alice", "Liddell, A", "", "B")]


BAD_ROSTERS = {
    "empty": (b"", "r.csv:1: no header"),
    "no login column": (b"name,sis_id\nAlice,1\n", "r.csv:1: the header has no login column"),
    "a login twice": (b"login,name\nalice,A\nbob,B\nalice,C\n",
                      "r.csv:4: alice is already on line 2"),
    "no login": (b"login,name\nalice,A\n,B\n", "r.csv:3: no login"),
    "a field short": (b"login,name,section\nalice,A\n", "r.csv:2: 2 fields, but the header has 3"),
    "a space in a login": (b"login\nal ice\n", "r.csv:2: the login holds a space"),
    "a control character": (b"login,name\nalice,A\x1b[2J\n",
                            "r.csv:2: the name holds a control character (U+001B)"),
    "not UTF-8": (b"login,name\nalice,A\nbob,\xff\n", "r.csv:3: not UTF-8 text"),
    "a quote left open": (b'login,name\nalice,"A\n', "r.csv:2: not CSV (unexpected end of data)"),
}


@pytest.mark.parametrize("content, message", BAD_ROSTERS.values(), ids=BAD_ROSTERS.keys())
def test_a_bad_roster_is_file_line_and_exit_2(klass, tmp_path, monkeypatch, capsys,
                                             content, message):
    (tmp_path / "r.csv").write_bytes(content)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(RosterError, match="^" + re.escape(message)):
        read_roster("r.csv")
    assert main(["report", "--students", "--roster", "r.csv", str(klass["lab"])]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"chain-tutor: {message}") and "Traceback" not in err


@pytest.mark.parametrize("path", ["missing.csv", "."], ids=["missing", "a folder"])
def test_a_roster_that_is_not_a_file_exits_2(klass, tmp_path, monkeypatch, capsys, path):
    monkeypatch.chdir(tmp_path)
    assert main(["report", "--students", "--roster", path, str(klass["lab"])]) == 2
    assert capsys.readouterr().err.startswith(f"chain-tutor: {path}: ")


def test_roster_without_students_tui_or_gradebook_is_refused(klass, capsys):
    assert main(["report", "--roster", str(klass["roster"]), str(klass["lab"])]) == 2
    assert ("--roster goes with --students, --skills, --tui, --html or --gradebook"
            in capsys.readouterr().err)
    assert main(["report", "--json", "--roster", str(klass["roster"]), str(klass["lab"])]) == 2


@pytest.mark.parametrize(("options", "start"), [([], "map"), (["--students"], "students")])
def test_tui_gets_the_rows_of_the_roster_and_opens_where_asked(klass, monkeypatch, capsys,
                                                              options, start):
    shown = []
    screen = types.SimpleNamespace(
        MAP="map", STUDENTS="students",
        run_report=lambda report, rows, start: shown.append((report, rows, start)) or 0)
    monkeypatch.setitem(sys.modules, "tutor.app.report_app", screen)  # no Textual here
    monkeypatch.setattr("tutor.cli.instructor.refuse_without_terminal", lambda: False)
    assert main(["report", "--tui", *options, "--roster", str(klass["roster"]),
                 str(klass["lab"]), str(klass["handed_in"])]) == 0
    [(report, rows, opened)] = shown
    assert opened == start
    assert [(row.login, row.status) for row in rows] == [
        (row["login"], row["status"]) for row in EXPECTED]
    assert "dave" not in report.students  # on the roster only: a not-started row


# -- --since and --until ---------------------------------------------------------------


def _students(klass, capsys, *options) -> dict[str, dict]:
    assert main(["report", "--students", "--json", "--roster", str(klass["roster"]),
                 *options, str(klass["lab"]), str(klass["handed_in"])]) == 0
    return {row["login"]: row for row in json.loads(capsys.readouterr().out)["students"]}


def test_since_keeps_the_answers_from_that_moment_on(klass, capsys):
    rows = _students(klass, capsys, "--since", "2027-01-15T08:01:00Z")
    assert rows["alice"] == _row("alice", "Alice Liddell", 1, 1, 2, 300, "2027-01-15T08:11:00Z",
                                 f"{LESSON}/dh2_dz2", "in-progress")
    assert (rows["bob"]["attempts"], rows["bob"]["status"]) == (2, "in-progress")  # not stuck
    # Carol's solved step was solved before: not counted; her reveal has no time: kept.
    assert (rows["carol"]["steps_solved"], rows["carol"]["steps_revealed"],
            rows["carol"]["last_active"], rows["carol"]["status"]) == (0, 1, None, "in-progress")
    assert (rows["erin"]["steps_solved"], rows["erin"]["status"],
            rows["erin"]["time_on_task_s"]) == (4, "in-progress", 90)
    assert rows["frank"]["status"] == "not-started"


def test_until_a_date_takes_in_the_whole_day(klass, capsys):
    assert list(_students(klass, capsys, "--until", "2027-01-15").values()) == EXPECTED


def test_until_a_time_cuts_every_view(klass, capsys):
    rows = _students(klass, capsys, "--until", "2027-01-15T08:00:30Z")
    # alice's reveal came at T+700, after the cut: recorded with its time, it is left out
    assert [(row["login"], row["steps_solved"], row["steps_revealed"], row["status"])
            for row in rows.values()] == [
        ("alice", 0, 0, "in-progress"), ("bob", 0, 0, "in-progress"),
        ("carol", 1, 1, "in-progress"), ("dave", 0, 0, "not-started"),
        ("erin", 1, 0, "in-progress"), ("frank", 0, 0, "in-progress")]
    assert main(["report", "--json", "--until", "2027-01-15T08:00:30Z", str(klass["lab"]),
                 str(klass["handed_in"])]) == 0
    step = json.loads(capsys.readouterr().out)["lessons"][0]["steps"][0]
    # the three without a correct answer by then had answered nothing after it
    assert (step["step_id"], step["students"], step["solved"], step["revealed"],
            step["working"], step["gave_up"]) == ("df_dh2", 5, 2, 0, 3, 0)
    assert main(["report", "--csv", "--since", "2027-01-15T08:00:30Z", str(klass["lab"]),
                 str(klass["handed_in"])]) == 0
    first = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))[0]
    # alice and bob answered it since
    assert (first["step_id"], first["students"], first["solved"]) == ("df_dh2", "2", "1")


def test_a_reveal_in_a_lesson_started_after_until_is_left_out(klass, capsys):
    rows = _students(klass, capsys, "--until", "2027-01-14")
    assert {row["status"] for row in rows.values()} == {"not-started"}


@pytest.mark.parametrize("options, message", [
    (["--since", "yesterday"], "'yesterday' is not an ISO 8601 date or time"),
    (["--until", "2027-13-01"], "'2027-13-01' is not an ISO 8601 date or time"),
    (["--since", "2027-01-16", "--until", "2027-01-15"], "--since must come before --until"),
], ids=["a word", "no such month", "the wrong way round"])
def test_a_bad_time_span_exits_2(klass, capsys, options, message):
    try:
        code = main(["report", *options, str(klass["lab"])])
    except SystemExit as exit:  # argparse's own refusal of a bad value
        code = exit.code
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_the_heat_map_gets_the_same_cut(klass, monkeypatch):
    shown = []
    screen = types.SimpleNamespace(
        MAP="map", STUDENTS="students",
        run_report=lambda report, rows, start: shown.append(report) or 0)
    monkeypatch.setitem(sys.modules, "tutor.app.report_app", screen)  # no Textual here
    monkeypatch.setattr("tutor.cli.instructor.refuse_without_terminal", lambda: False)
    assert main(["report", "--tui", "--until", "2027-01-15T08:00:30Z", str(klass["lab"]),
                 str(klass["handed_in"])]) == 0
    first = shown[0].lessons[0].steps[0]
    assert (first.students, first.solved, first.working, first.gave_up) == (5, 2, 3, 0)


def test_until_the_last_day_there_is_means_no_end(klass, capsys):
    assert list(_students(klass, capsys, "--until", "9999-12-31",
                          "--since", "0001-01-01").values()) == EXPECTED
