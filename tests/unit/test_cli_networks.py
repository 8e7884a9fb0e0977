"""`chain-tutor practice` and `progress` for the student's own networks, without a screen:
what is refused before any screen opens, and how the networks are listed."""

from __future__ import annotations

from tutor.cli.command import main
from tutor.networks.drawn import random_network
from tutor.networks.ids import network_lesson_id
from tutor.progress import ProgressStore


def test_practice_random_with_a_seed_draws_the_same_network_every_time(capsys):
    assert main(["practice", "--random", "--seed", "17", "--show"]) == 0
    assert capsys.readouterr().out == random_network(17)


def test_practice_refuses_a_bad_network_at_file_line_and_column(tmp_path, capsys):
    bad = tmp_path / "mine.net"
    bad.write_text("x : 2x1\nW : 2x2\nz = W @ q\n", encoding="utf-8")
    assert main(["practice", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"chain-tutor: {bad}:3:9: ") and "Unknown name 'q'" in err


def test_practice_says_what_goal_would_work_for_a_tensor_goal(tmp_path, capsys):
    tensor = tmp_path / "tensor.net"
    tensor.write_text("x : 2x1\nW : 2x2\nz = W @ x\ngoal: dz/dW\n", encoding="utf-8")
    assert main(["practice", str(tensor)]) == 2
    err = capsys.readouterr().err
    assert f"{tensor}:4:1: " in err and "3-tensor" in err and "L = sum(z)" in err


def test_practice_refuses_what_it_cannot_read_and_a_seed_without_random(tmp_path, capsys):
    assert main(["practice", str(tmp_path / "missing.net")]) == 2
    assert "cannot read" in capsys.readouterr().err
    binary = tmp_path / "binary.net"
    binary.write_bytes(b"\xff\xfe\x00 not text")
    assert main(["practice", str(binary)]) == 2
    assert "cannot read" in capsys.readouterr().err
    huge = tmp_path / "huge.net"
    huge.write_text("# " + "x" * 200_000 + "\n", encoding="utf-8")
    assert main(["practice", str(huge)]) == 2
    assert "at most 20,000 characters" in capsys.readouterr().err
    fine = tmp_path / "fine.net"
    fine.write_text("x : 2x1\nL = sum(x)\ngoal: dL/dx\n", encoding="utf-8")
    assert main(["practice", str(fine), "--seed", "3"]) == 2
    assert "--seed picks a random network" in capsys.readouterr().err
    assert main(["practice"]) == 2
    assert "needs a NETWORK_FILE, --random or --weakest" in capsys.readouterr().err


def test_a_seed_alone_means_a_random_network(capsys):
    assert main(["practice", "--seed", "5", "--show"]) == 0
    assert capsys.readouterr().out == random_network(5)


def test_progress_names_the_students_own_networks(tmp_path, capsys):
    text = "x : 2x1\nL = sum(x)\ngoal: dL/dx\n"
    lesson_id = network_lesson_id(text)
    with ProgressStore.open(tmp_path) as store:
        store.save_network(lesson_id, text, "my sum", [("dL_dx", "∂L/∂x"), ("b", "∂b/∂x")])
        store.record_attempt(lesson_id, "dL_dx", 1, "ones(1, 2)", "correct", [], 2.0,
                             solves=True)
    assert main(["progress", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"{lesson_id} (your network: my sum)" in out and "1 of 2 factors" in out


def test_show_and_check_find_a_saved_network_by_its_id(tmp_path, capsys):
    text = "x : 2x1\nW : 2x2\nz = W @ x\nL = sum(z)\ngoal: dL/dW\n"
    lesson_id = network_lesson_id(text)
    with ProgressStore.open(tmp_path) as store:
        store.save_network(lesson_id, text, "mine", [("dL_dz", "∂L/∂z"), ("dL_dW", "∂L/∂W")])
    assert main(["show", lesson_id, "--answers", "--data-dir", str(tmp_path)]) == 0
    assert "dL_dW: ∂L/∂W (2×2)" in capsys.readouterr().out
    assert main(["check", lesson_id, "dL_dz", "ones(1, 2)", "--data-dir", str(tmp_path)]) == 0
    assert main(["check", "net-000000000000", "dL_dz", "x", "--data-dir", str(tmp_path)]) == 2
    assert "no lesson 'net-000000000000'" in capsys.readouterr().err
