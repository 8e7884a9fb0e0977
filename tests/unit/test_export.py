"""One student's progress as one file: export, import (merge, idempotent), and bad files."""

from __future__ import annotations

import getpass
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.cli.command import main
from tutor.progress import (
    EXPORT_FORMAT,
    EXPORT_VERSION,
    Attempt,
    ExportError,
    LessonRecord,
    ProgressError,
    ProgressStore,
    Snapshot,
    StepRecord,
    loads_export,
)

SCRIPT = Path(sys.executable).parent / "chain-tutor"
LESSON = "two-layer-sigmoid"


def _ticking(start: float):
    ticks = itertools.count(int(start))
    return lambda: float(next(ticks)) + 0.25


def _home_work(data: Path) -> None:
    """Work done offline: a solved, a revealed and a hinted step, a reset, odd answers."""
    data.mkdir(parents=True, exist_ok=True)
    with ProgressStore(data / "progress.db", clock=_ticking(1_700_000_000)) as store:
        store.set_seed(LESSON, 4242)
        store.record_hint(LESSON, "df_dh2")
        store.record_attempt(LESSON, "df_dh2", 4242, "W3.T", "incorrect", ["transpose"], 12.5)
        store.record_attempt(LESSON, "df_dh2", 4242, "W3", "correct", [], 3.0)
        store.mark(LESSON, "df_dh2", "solved")
        store.record_attempt(LESSON, "dh2_dz2", 4242, "h2 ⊙ (1 − h2)", "incorrect",
                             ["vector-vs-diag", "shape"], 40.0)
        store.mark(LESSON, "dh2_dz2", "revealed")
        store.record_attempt(LESSON, "dz2_dh1", 4242, "W2 +", "invalid", [], 1.0)
        store.record_hint(LESSON, "dz2_dh1")
        store.record_attempt("linear-layer", "df_dz", 1, "a", "incorrect", ["known-mistake"],
                             2.0)
        store.reset_step("linear-layer", "df_dz")
        store.finish("linear-layer")


def _state(data: Path) -> tuple[list[Attempt], dict, dict]:
    with ProgressStore(data / "progress.db") as store:
        snapshot = store.snapshot()
    lessons = {lesson.lesson_id: (lesson.seed, lesson.started, lesson.finished)
               for lesson in snapshot.lessons}
    hints = {(lesson.lesson_id, step.step_id): step.hints
             for lesson in snapshot.lessons for step in lesson.steps}
    return sorted(snapshot.attempts, key=lambda a: a.at), snapshot.statuses() | {
        ("hints", *key): n for key, n in hints.items()}, lessons


def test_export_then_import_into_a_fresh_folder_round_trips(tmp_path, capsys):
    home, lab = tmp_path / "home", tmp_path / "lab"
    _home_work(home)
    exported = tmp_path / "mine.json"
    assert main(["progress", "--data-dir", str(home), "--export", str(exported)]) == 0
    assert "Exported 2 lesson(s) and 5 attempt(s)" in capsys.readouterr().out

    assert main(["progress", "--data-dir", str(lab), "--import", str(exported)]) == 0
    assert "Imported 5 attempt(s)" in capsys.readouterr().out
    assert _state(lab) == _state(home)
    attempts, statuses, lessons = _state(lab)
    assert statuses[LESSON, "df_dh2"] == "solved"
    assert statuses[LESSON, "dh2_dz2"] == "revealed"
    assert statuses["hints", LESSON, "dz2_dh1"] == 1
    assert lessons[LESSON][0] == 4242
    assert attempts[2].answer == "h2 ⊙ (1 − h2)" and attempts[2].elapsed == 40.0


def test_the_export_file_is_versioned_readable_json(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(getpass, "getuser", lambda: "alice")
    _home_work(tmp_path / "home")
    assert main(["progress", "--data-dir", str(tmp_path / "home"), "--export", "-"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["format"], data["version"], data["student"]) == (EXPORT_FORMAT, 5, "alice")
    assert data["login"] == "alice"  # the database was made by alice
    assert data["exported_at"].endswith("+00:00")
    assert data["attempts"][0] == {
        "lesson_id": LESSON, "step_id": "df_dh2", "seed": 4242, "answer": "W3.T",
        "verdict": "incorrect", "diagnosis": ["transpose"], "elapsed": 12.5,
        "at": data["attempts"][0]["at"],
    }
    steps = {s["step_id"]: s for s in data["lessons"][0]["steps"]}
    assert steps["df_dh2"] == {"step_id": "df_dh2", "status": "solved", "hints": 1}


def test_importing_twice_adds_nothing(tmp_path, capsys):
    _home_work(tmp_path / "home")
    exported = tmp_path / "mine.json"
    main(["progress", "--data-dir", str(tmp_path / "home"), "--export", str(exported)])
    lab = tmp_path / "lab"
    assert main(["progress", "--data-dir", str(lab), "--import", str(exported)]) == 0
    once = _state(lab)
    capsys.readouterr()
    assert main(["progress", "--data-dir", str(lab), "--import", str(exported)]) == 0
    assert "Imported 0 attempt(s)" in capsys.readouterr().out
    assert _state(lab) == once
    # Into the very database it came from: nothing new either.
    assert main(["progress", "--data-dir", str(tmp_path / "home"), "--import",
                 str(exported)]) == 0
    assert "Imported 0 attempt(s)" in capsys.readouterr().out


def test_statuses_merge_upward_and_lab_work_is_kept(tmp_path):
    lab = tmp_path / "lab"
    lab.mkdir()
    with ProgressStore(lab / "progress.db", clock=_ticking(1_600_000_000)) as store:
        store.set_seed(LESSON, 7)  # the variant in progress here stays
        store.mark(LESSON, "df_dh2", "revealed")  # home: solved → solved
        store.mark(LESSON, "dh2_dz2", "solved")  # home: revealed → stays solved
        store.record_attempt(LESSON, "dz2_dh1", 7, "W2", "correct", [], 9.0)
        result = store.merge(Snapshot(
            (LessonRecord(LESSON, 4242, 1_700_000_000.0, None, (
                StepRecord("df_dh2", "solved", 2),
                StepRecord("dh2_dz2", "revealed", 0),
                StepRecord("dh1_dz1", None, 3),
            )),),
            (Attempt(LESSON, "df_dh2", 4242, "W3", "correct", (), 3.0, 1_700_000_001.0),),
        ))
        assert (result.added, result.present, result.raised) == (1, 0, 1)
        state = store.lesson(LESSON)
        assert state.seed == 7
        assert store.summary()[0]["started"] == 1_600_000_000.25  # the earlier start
    assert {k: v for k, v in _state(lab)[1].items() if k[0] == LESSON} == {
        (LESSON, "df_dh2"): "solved", (LESSON, "dh2_dz2"): "solved"}
    assert state.steps["df_dh2"].hints == 2 and state.steps["dh1_dz1"].hints == 3
    assert [a.answer for a in _state(lab)[0]] == ["W2", "W3"]


def test_an_attempt_made_twice_in_the_same_second_stays_twice(tmp_path):
    twice = Attempt(LESSON, "df_dh2", 1, "W3.T", "incorrect", ("transpose",), 2.0, 5.0)
    snapshot = Snapshot((), (twice, twice))
    with ProgressStore(tmp_path / "progress.db") as store:
        assert store.merge(snapshot).added == 2
        assert store.merge(snapshot).added == 0
        assert store.merge(Snapshot((), (twice, twice, twice))).added == 1
        assert len(store.attempts()) == 3


def test_a_failing_merge_leaves_nothing_half_imported(tmp_path):
    good = Attempt(LESSON, "df_dh2", 1, "W3", "correct", (), 2.0, 5.0)
    bad = Attempt(LESSON, "df_dh2", 1, "W3", "maybe", (), 2.0, 6.0)  # the CHECK rejects it
    with ProgressStore(tmp_path / "progress.db") as store:
        with pytest.raises(ProgressError):
            store.merge(Snapshot((LessonRecord(LESSON, 1, 1.0, None,
                                               (StepRecord("df_dh2", "solved", 1),)),),
                                 (good, bad)))
        assert store.attempts() == []
        assert store.summary() == []


def _valid() -> dict:
    return {"format": EXPORT_FORMAT, "version": 1, "student": "alice",
            "exported_at": "2025-01-01T00:00:00+00:00",
            "lessons": [{"lesson_id": LESSON, "seed": 3, "started": 1.0, "finished": None,
                         "steps": [{"step_id": "df_dh2", "status": "solved", "hints": 0}]}],
            "attempts": [{"lesson_id": LESSON, "step_id": "df_dh2", "seed": 3, "answer": "W3",
                          "verdict": "correct", "diagnosis": [], "elapsed": 1.5, "at": 2.0}]}


def _broken(change) -> bytes:
    data = _valid()
    change(data)
    return json.dumps(data).encode()


BAD_FILES = {
    "not JSON": b"\x89PNG\r\n\x1a\n garbage",
    "empty": b"",
    "a list": b"[1, 2, 3]",
    "deeply nested": b"[" * 100_000 + b"]" * 100_000,
    "foreign JSON": b'{"name": "something else", "version": 1}',
    "newer version": _broken(lambda d: d.update(version=EXPORT_VERSION + 1)),
    "no attempts": _broken(lambda d: d.pop("attempts")),
    "attempts not a list": _broken(lambda d: d.update(attempts={"0": d["attempts"][0]})),
    "a database": b"SQLite format 3\x00" + b"\0" * 100,
    "an unknown field at the top": _broken(lambda d: d.update(colour="red")),
    "no version": _broken(lambda d: d.pop("version")),
    "a number for the student": _broken(lambda d: d.update(student=7)),
}


@pytest.mark.parametrize("content", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_file_that_is_not_an_export_or_is_damaged_exits_2_and_changes_nothing(
        tmp_path, capsys, content):
    _home_work(tmp_path / "lab")
    database = tmp_path / "lab" / "progress.db"
    before = database.read_bytes()
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    assert main(["progress", "--data-dir", str(tmp_path / "lab"), "--import", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"chain-tutor: cannot import {bad}: ")
    assert "Traceback" not in err
    assert database.read_bytes() == before
    assert sorted(p.name for p in database.parent.iterdir()) == ["progress.db"]


# One entry that breaks a rule: it is left out with its reason, the rest is imported.
GOOD = {"lesson_id": "linear-layer", "step_id": "df_dz", "seed": 1, "answer": "a good one",
        "verdict": "incorrect", "diagnosis": [], "elapsed": 1.0, "at": 5.0}
BAD_ENTRIES = {
    "a bad verdict, last": (lambda d: d["attempts"].append(
        dict(d["attempts"][0], verdict="maybe")), "attempts[1].verdict must be one of"),
    "a bad status": (lambda d: d["lessons"][0]["steps"][0].update(status="done"),
                     "lessons[0].steps[0].status must be one of"),
    "text for a number": (lambda d: d["attempts"][0].update(at="yesterday"),
                          "attempts[0].at must be a number"),
    "true for a seed": (lambda d: d["attempts"][0].update(seed=True), "attempts[0].seed"),
    "a huge seed": (lambda d: d["attempts"][0].update(seed=2**70), "attempts[0].seed"),
    "an infinite time": (lambda d: d["attempts"][0].update(elapsed=1e400),
                         "attempts[0].elapsed"),
    "NaN": (lambda d: d["attempts"][0].update(elapsed=float("nan")), "attempts[0].elapsed"),
    "a lone surrogate": (lambda d: d["attempts"][0].update(answer="\ud800"),
                         "attempts[0].answer holds text that is not valid Unicode"),
    "a lesson twice": (lambda d: d["lessons"].append(d["lessons"][0]),
                       f"lessons[1] lists lesson {LESSON!r} a second time"),
    "an unknown field": (lambda d: d["attempts"][0].update(colour="red"),
                         "attempts[0] has a field 'colour' that exports do not have"),
    "a number for an attempt": (lambda d: d["attempts"].insert(0, 7),
                                "attempts[0] must be an object"),
    "an escape in a verdict": (lambda d: d["attempts"][0].update(verdict="\x1b[2J"),
                               "attempts[0].verdict must be one of"),
}


@pytest.mark.parametrize(("change", "reason"), BAD_ENTRIES.values(), ids=BAD_ENTRIES.keys())
def test_a_bad_entry_is_left_out_with_its_reason_and_the_rest_imported(tmp_path, capsys,
                                                                       change, reason):
    data = _valid()
    change(data)
    data["attempts"].append(GOOD)
    path = tmp_path / "one-bad.json"
    path.write_text(json.dumps(data))
    assert main(["progress", "--data-dir", str(tmp_path / "lab"), "--import", str(path)]) == 0
    out, err = capsys.readouterr()
    assert err.startswith(f"chain-tutor: left out of {path}: {reason}"), err
    assert "\x1b" not in err  # a value quoted in a reason is escaped
    assert len([line for line in err.splitlines() if "left out" in line]) == 1
    assert "1 entry left out" in out
    with ProgressStore.open(tmp_path / "lab") as store:
        assert "a good one" in [a.answer for a in store.attempts()]


def test_the_valid_example_is_accepted():
    snapshot = loads_export(json.dumps(_valid()).encode())
    assert snapshot.student == "alice"
    assert snapshot.statuses() == {(LESSON, "df_dh2"): "solved"}


def test_messages_say_what_is_wrong():
    [reason] = loads_export(_broken(lambda d: d["attempts"].append(
        dict(d["attempts"][0], verdict="maybe")))).skipped
    assert reason.startswith("attempts[1].verdict must be one of")
    with pytest.raises(ExportError, match="newer chain-tutor"):
        loads_export(_broken(lambda d: d.update(version=9)))
    with pytest.raises(ExportError, match="progress --export"):
        loads_export(b"SQLite format 3\x00")


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["lessons"][0]["steps"][0].update(status="done"),
     "lessons[0].steps[0].status must be one of solved, revealed, not 'done'"),
    (lambda d: d["attempts"][0].update(colour="red"),
     "attempts[0] has a field 'colour' that exports do not have"),
    (lambda d: d["attempts"][0].update(at="yesterday"), "attempts[0].at must be a number"),
    (lambda d: d.pop("attempts"), "the file has no 'attempts'"),
])
def test_the_declared_format_says_where_and_what_in_words(change, message):
    try:
        said = loads_export(_broken(change)).skipped  # an entry: left out
    except ExportError as error:  # the frame: the file refused
        said = (str(error),)
    assert said == (message,)


def test_a_missing_file_exits_2(tmp_path, capsys):
    assert main(["progress", "--data-dir", str(tmp_path), "--import",
                 str(tmp_path / "nope.json")]) == 2
    assert "cannot import" in capsys.readouterr().err
    assert not (tmp_path / "progress.db").exists()


def test_export_into_a_missing_folder_is_an_error_not_a_traceback(tmp_path, capsys):
    _home_work(tmp_path / "home")
    target = tmp_path / "no" / "such" / "folder" / "mine.json"
    assert main(["progress", "--data-dir", str(tmp_path / "home"), "--export",
                 str(target)]) == 1
    assert "cannot export" in capsys.readouterr().err


def test_export_and_import_are_exclusive(tmp_path):
    with pytest.raises(SystemExit) as exit_:
        main(["progress", "--export", "a.json", "--import", "b.json"])
    assert exit_.value.code == 2


@pytest.mark.skipif(not SCRIPT.exists(), reason="the chain-tutor script is not installed here")
def test_real_console_script_export_and_import(tmp_path):
    home, lab = tmp_path / "home", tmp_path / "lab"
    _home_work(home)
    exported = tmp_path / "mine.json"

    def run(data: Path, *argv: str) -> subprocess.CompletedProcess:
        env = dict(os.environ, CHAIN_TUTOR_DATA=str(data))
        return subprocess.run([str(SCRIPT), *argv], capture_output=True, text=True, env=env,
                              stdin=subprocess.DEVNULL, timeout=120)

    assert run(home, "progress", "--export", str(exported)).returncode == 0
    first = run(lab, "progress", "--import", str(exported))
    assert first.returncode == 0 and "Imported 5 attempt(s)" in first.stdout
    again = run(lab, "progress", "--import", str(exported))
    assert again.returncode == 0 and "Imported 0 attempt(s)" in again.stdout
    assert _state(lab) == _state(home)
    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(os.urandom(512))
    before = (lab / "progress.db").read_bytes()
    bad = run(lab, "progress", "--import", str(garbage))
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert (lab / "progress.db").read_bytes() == before
    # The report reads exports too.
    report = run(lab, "report", "--json", str(exported))
    assert report.returncode == 0
    assert json.loads(report.stdout)["lessons"][0]["steps"][0]["solved"] == 1


NETWORK = "x : 2x1\nW : 2x2\nz = W @ x\nL = sum(z)\ngoal: dL/dW\n"


def test_the_students_own_networks_travel_with_an_export_and_import_once(tmp_path):
    from tutor.networks.ids import network_lesson_id
    from tutor.progress import export_json, snapshot_from_json

    lesson_id = network_lesson_id(NETWORK)
    with ProgressStore.open(tmp_path / "laptop") as laptop:
        laptop.save_network(lesson_id, NETWORK, "mine", [("dL_dW", "∂L/∂W")], "0.1.0")
        laptop.record_attempt(lesson_id, "dL_dW", 1, "ones(2, 1) @ x.T", "correct", [], 3.0)
        content = json.loads(json.dumps(export_json(laptop.snapshot("alice"), 1e9)))
    assert content["networks"][0]["text"] == NETWORK and "checked_by" not in content["networks"][0]
    with ProgressStore.open(tmp_path / "server") as server:
        first = server.merge(snapshot_from_json(content))
        second = server.merge(snapshot_from_json(content))
        [saved] = server.networks()
        assert (first.networks, second.networks) == (1, 0)
        assert (saved.lesson_id, saved.text, saved.title, saved.steps, saved.checked_by) == (
            lesson_id, NETWORK, "mine", (("dL_dW", "∂L/∂W"),), None)  # validated again here
        assert server.lesson(lesson_id).steps["dL_dW"].attempts == 1


def test_a_network_whose_id_is_not_its_text_is_left_out(tmp_path):
    from tutor.networks.ids import network_lesson_id
    from tutor.progress import export_json, snapshot_from_json

    with ProgressStore.open(tmp_path / "laptop") as laptop:
        laptop.save_network(network_lesson_id(NETWORK), NETWORK, "mine", [])
        content = json.loads(json.dumps(export_json(laptop.snapshot("alice"), 1e9)))
    content["networks"][0]["text"] = NETWORK.replace("2x2", "3x3")
    snapshot = snapshot_from_json(content)
    assert snapshot.networks == ()
    assert snapshot.skipped[0].startswith("networks[0].lesson_id is not the id of its text")


def test_a_version_1_export_without_networks_still_imports(tmp_path):
    from tutor.progress import snapshot_from_json

    old = {"format": EXPORT_FORMAT, "version": 1, "student": "alice", "lessons": [],
           "attempts": []}
    assert snapshot_from_json(old).networks == ()


def test_report_leaves_out_a_bad_entry_of_an_export_not_the_file(tmp_path, capsys):
    """Before, one attempt with a tab in its step id made `report` skip the whole file."""
    data = _valid()
    data["attempts"].append(dict(data["attempts"][0], step_id="df\tdh2", answer="tabbed"))
    path = tmp_path / "alice.json"
    path.write_text(json.dumps(data))
    assert main(["report", "--json", str(path)]) == 0
    out, err = capsys.readouterr()
    assert err == f"chain-tutor: left out of {path}: attempts[1].step_id holds a tab (U+0009)\n"
    report = json.loads(out)
    assert report["skipped"] == [] and report["students"] == [str(path)]
    [step] = [s for lesson in report["lessons"] for s in lesson["steps"]
              if s["step_id"] == "df_dh2"]
    assert step["solved"] == 1
