"""The `chain-tutor` command's contract: exit codes, JSON fields, argument forms."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.cli.command import main

LESSON = "two-layer-sigmoid"
SCRIPT = Path(sys.executable).parent / "chain-tutor"


def run_json(capsys, *argv: str) -> tuple[int, dict]:
    code = main(list(argv))
    return code, json.loads(capsys.readouterr().out)


def test_correct_answer_exits_0_with_symbolic_proof(capsys):
    code, result = run_json(capsys, "check", "--json", LESSON, "dh2_dz2", "diag(h2*(1-h2))")
    assert code == 0
    assert result["verdict"] == "correct"
    assert result["checks"] == {"numeric": True, "symbolic": True}
    assert result["diagnosis"] == []


def test_wrong_answer_exits_1_with_diagnosis(capsys):
    code, result = run_json(capsys, "check", "--json", LESSON, "dz2_dh1", "W2.T")
    assert code == 1
    assert result["verdict"] == "incorrect"
    assert result["diagnosis"] == ["transpose"]
    assert result["checks"]["numeric"] is False
    assert "transpose" in result["feedback"]


def test_shape_clash_inside_the_answer_exits_2(capsys):
    code, result = run_json(capsys, "check", "--json", LESSON, "df_dh2", "W3 * h2")
    assert code == 2
    assert result["verdict"] == "invalid"
    assert "1×2" in result["feedback"] and "2×1" in result["feedback"]


def test_answer_starting_with_minus_goes_after_double_dash(capsys):
    code, result = run_json(capsys, "check", "--json", LESSON, "df_dh2", "--", "-W3")
    assert code == 1
    assert result["diagnosis"] == ["sign"]


def test_options_may_follow_the_positionals(capsys):
    code, result = run_json(capsys, "check", LESSON, "df_dh2", "W3", "--seed", "5", "--json")
    assert code == 0
    assert result["seed"] == 5


def test_unquoted_answer_words_are_joined(capsys):
    code, result = run_json(capsys, "check", "--json", LESSON, "df_dz1",
                            "W3", "@", "diag(h2*(1-h2))", "@", "W2", "@", "diag(h1*(1-h1))")
    assert code == 0, result


@pytest.mark.parametrize("lesson, step", [("no-such-lesson", "df_dh2"), (LESSON, "no_step")])
def test_unknown_lesson_or_step_is_invalid(capsys, lesson, step):
    code, result = run_json(capsys, "check", "--json", lesson, step, "W3")
    assert code == 2
    assert result["verdict"] == "invalid"


def test_numbers_only_answer_is_checked_at_the_variant(capsys):
    main(["show", LESSON, "--seed", "3", "--json"])
    values = json.loads(capsys.readouterr().out)["values"]
    row = " ".join(f"{v:.3f}" for v in values["W3"][0])
    code, result = run_json(capsys, "check", "--json", "--seed", "3", LESSON, "df_dh2", f"[{row}]")
    assert code == 0, result
    code, _ = run_json(capsys, "check", "--json", "--seed", "4", LESSON, "df_dh2", f"[{row}]")
    assert code == 1


def test_show_json_holds_every_value_as_rows(capsys):
    code = main(["show", LESSON, "--seed", "7", "--json"])
    shown = json.loads(capsys.readouterr().out)
    assert code == 0
    assert set(shown["values"]) == {"x", "W1", "W2", "W3", "z1", "h1", "z2", "h2", "f"}
    assert len(shown["values"]["x"]) == 2 and len(shown["values"]["x"][0]) == 1
    assert len(shown["values"]["W3"]) == 1 and len(shown["values"]["W3"][0]) == 2


def test_lessons_json_lists_steps_with_shapes(capsys):
    main(["lessons", "--json"])
    listing = json.loads(capsys.readouterr().out)
    flagship = next(lesson for lesson in listing["lessons"] if lesson["id"] == LESSON)
    assert [s["id"] for s in flagship["steps"]] == [
        "df_dh2", "dh2_dz2", "dz2_dh1", "dh1_dz1", "df_dz1", "df_dW1"]
    assert flagship["steps"][0]["shape"] == [1, 2]


@pytest.mark.skipif(not SCRIPT.exists(), reason="the chain-tutor script is not installed here")
def test_real_console_script_reports_exit_codes(tmp_path):
    env = dict(os.environ, CHAIN_TUTOR_DATA=str(tmp_path))

    def run(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(SCRIPT), *argv], capture_output=True, text=True, env=env,
                              stdin=subprocess.DEVNULL, timeout=120)

    assert run("check", LESSON, "df_dh2", "W3").returncode == 0
    wrong = run("check", LESSON, "df_dh2", "--", "-W3")
    assert wrong.returncode == 1 and "sign" in wrong.stdout
    invalid = run("check", LESSON, "df_dh2", "W3 +")
    assert invalid.returncode == 2 and "^" in invalid.stdout
    assert "Traceback" not in invalid.stdout + invalid.stderr


def test_progress_reports_a_finished_lesson_as_finished_after_a_new_variant(tmp_path, capsys):
    from tutor.progress import ProgressStore
    from tutor.session import new_variant

    steps = ("df_dh2", "dh2_dz2", "dz2_dh1", "dh1_dz1", "df_dz1", "df_dW1")
    with ProgressStore.open(tmp_path) as store:
        store.set_seed(LESSON, 1)
        for step in steps:
            store.record_attempt(LESSON, step, 1, "W.T", "incorrect", [], 1.0)
            store.record_attempt(LESSON, step, 1, "W", "correct", [], 1.0, solves=True)
            store.record_attempt(LESSON, step, 1, "W", "correct", [], 1.0, solves=True)
        store.finish(LESSON)
        assert main(["progress", "--data-dir", str(tmp_path)]) == 0
        assert capsys.readouterr().out.split() == [
            LESSON, "done", "✓:", "solved", "6,", "revealed", "0,", "attempts", "12,",
            "hints", "0"]  # two per step: the wrong one and the first right one
        new_variant(store, LESSON, 42)
    code, result = run_json(capsys, "progress", "--json", "--data-dir", str(tmp_path))
    (row,) = result["lessons"]
    assert code == 0 and row["standing"] == "done ✓, again 0 of 6"
    assert row["finished"] is not None and row["solved"] == 0


def test_show_never_prints_minus_zero(capsys):
    from tutor.cli.command import main

    for argv in (["show", "softmax-cross-entropy"],
                 ["show", "softmax-cross-entropy", "--answers"]):  # -(y/p)ᵀ has -0 entries
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert "-0 " not in out and "-0]" not in out and "-0;" not in out


def test_progress_text_escapes_and_cuts_what_the_records_hold(tmp_path, capsys):
    # A title or lesson id from a student's file must not drive the terminal, nor a
    # 5,000,000-character id fill it: shown as `report` shows them.
    from tutor.progress import ProgressStore

    text = "x : 1\nf = x*x\ngoal: df/dx\n"
    with ProgressStore.open(tmp_path) as store:
        from tutor.networks.reader import network_lesson_id

        own = network_lesson_id(text)
        store.save_network(own, text, "\x1b[2Jraw title\x07", [("df_dx", "label")])
        store.record_attempt(own, "df_dx", 1, "2*x", "correct", [], 1.0, solves=True)
        store.record_attempt("les\x1b[31mX", "s", 1, "1", "incorrect", [], 1.0)
        store.record_attempt("y" * 5_000_000, "s", 1, "1", "incorrect", [], 1.0)
    with sqlite3.connect(tmp_path / "progress.db") as db:  # as another program may write it
        db.execute("update networks set title = ?", ("\x1b[2Jraw title\x07",))
    db.close()
    assert main(["progress", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b[2Jraw title\\x07" in out and "les\\x1b[31mX" in out
    assert "…(5,000,000 characters)" in out and len(out) < 2_000
    code, result = run_json(capsys, "progress", "--json", "--data-dir", str(tmp_path))
    assert code == 0 and {"les\x1b[31mX", "y" * 5_000_000} <= {
        row["lesson_id"] for row in result["lessons"]}  # JSON escapes them itself
