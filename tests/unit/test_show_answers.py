"""`show LESSON --answers --user LOGIN` and `--roster CSV`: a student's answer sheet, or
each of a class's, without working out seeds by hand."""

from __future__ import annotations

import json

import pytest

from tutor.cli.command import main
from tutor.seeds import seed_for

LESSON = "two-layer-sigmoid"


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _seed_of(capsys, login: str) -> int:
    code, out, _ = _run(capsys, "seed", login)
    assert code == 0
    return int(out)


def test_the_sheet_for_a_user_is_the_sheet_for_their_seed(capsys):
    seed = _seed_of(capsys, "alice")
    code, by_user, _ = _run(capsys, "show", LESSON, "--answers", "--user", "alice")
    assert code == 0
    heading, rest = by_user.split("\n", 1)
    assert heading == f"== alice, seed {seed} =="
    code, by_seed, _ = _run(capsys, "show", LESSON, "--answers", "--seed", str(seed))
    assert code == 0 and rest == by_seed
    assert f"[{LESSON}, seed {seed}]: answers" in rest


def test_the_json_sheet_for_a_user_names_the_login(capsys):
    seed = _seed_of(capsys, "bob")
    _, by_user, _ = _run(capsys, "show", LESSON, "--answers", "--json", "--user", "bob")
    _, by_seed, _ = _run(capsys, "show", LESSON, "--answers", "--json", "--seed", str(seed))
    assert json.loads(by_user) == json.loads(by_seed) | {"login": "bob"}
    assert json.loads(by_user)["seed"] == seed


def test_two_users_get_two_different_sheets(capsys):
    _, alice, _ = _run(capsys, "show", LESSON, "--answers", "--json", "--user", "alice")
    _, bob, _ = _run(capsys, "show", LESSON, "--answers", "--json", "--user", "bob")
    values = [[a["value"] for a in json.loads(sheet)["answers"]] for sheet in (alice, bob)]
    assert values[0] != values[1]


def test_user_without_answers_shows_that_students_numbers(capsys):
    seed = seed_for("carol")
    code, out, _ = _run(capsys, "show", LESSON, "--user", "carol")
    assert code == 0
    assert out.splitlines()[0] == f"== carol, seed {seed} =="
    _, by_seed, _ = _run(capsys, "show", LESSON, "--seed", str(seed))
    assert out.split("\n", 1)[1] == by_seed


ROSTER = 'login,name,sis_id\nzoe,Zoe Washburne,3\nalice,"Liddell, Alice",1\nbob,,2\n'


@pytest.fixture
def roster(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER)
    return path


def test_a_roster_gets_one_sheet_per_student_in_its_order(capsys, roster):
    code, out, err = _run(capsys, "show", LESSON, "--answers", "--roster", str(roster))
    assert code == 0 and err == ""
    headings = [line for line in out.splitlines() if line.startswith("== ")]
    assert headings == [f"== zoe (Zoe Washburne), seed {seed_for('zoe')} ==",
                        f"== alice (Liddell, Alice), seed {seed_for('alice')} ==",
                        f"== bob, seed {seed_for('bob')} =="]
    # each sheet is exactly that student's sheet, after its heading
    sheets = out.split("\n\n== ")
    _, alice, _ = _run(capsys, "show", LESSON, "--answers", "--user", "alice")
    assert sheets[1].split("\n", 1)[1] + "\n" == alice.split("\n", 1)[1]


def test_a_roster_as_json_is_a_list_of_sheets(capsys, roster):
    code, out, _ = _run(capsys, "show", LESSON, "--answers", "--json", "--roster", str(roster))
    assert code == 0
    data = json.loads(out)
    assert data["id"] == LESSON
    assert [(s["login"], s["name"], s["seed"]) for s in data["sheets"]] == [
        ("zoe", "Zoe Washburne", seed_for("zoe")), ("alice", "Liddell, Alice", seed_for("alice")),
        ("bob", None, seed_for("bob"))]
    assert all(set(sheet) == {"login", "name", "seed", "answers"} for sheet in data["sheets"])
    _, alone, _ = _run(capsys, "show", LESSON, "--answers", "--json", "--seed",
                       str(seed_for("zoe")))
    assert data["sheets"][0]["answers"] == json.loads(alone)["answers"]


@pytest.mark.parametrize("content, message", [
    ("login,name\nalice,A\nalice,B\n", "r.csv:3: alice is already on line 2"),
    ("name\nAlice\n", "r.csv:1: the header has no login column"),
    ("login,name\nal ice,A\n", "r.csv:2: the login holds a space"),
    ("login,name\n", "r.csv: no students on the roster"),
], ids=["a login twice", "no login column", "a space in a login", "nobody"])
def test_a_bad_roster_is_file_line_and_exit_2(capsys, tmp_path, monkeypatch, content, message):
    (tmp_path / "r.csv").write_text(content)
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(capsys, "show", LESSON, "--answers", "--roster", "r.csv")
    assert (code, out) == (2, "")
    assert err.startswith(f"chain-tutor: {message}") and "Traceback" not in err


def test_a_missing_roster_exits_2(capsys, tmp_path):
    code, out, err = _run(capsys, "show", LESSON, "--answers", "--roster",
                          str(tmp_path / "missing.csv"))
    assert (code, out) == (2, "") and err.startswith(f"chain-tutor: {tmp_path}/missing.csv: ")


@pytest.mark.parametrize("options, message", [
    (["--user", "alice", "--seed", "3"], "not allowed with argument"),
    (["--user", "alice", "--seed-from-user"], "not allowed with argument"),
    (["--user", "alice", "--roster", "r.csv"], "not allowed with argument"),
    (["--roster", "r.csv", "--seed", "3"], "not allowed with argument"),
], ids=["user and seed", "user and seed-from-user", "user and roster", "roster and seed"])
def test_one_way_to_choose_the_variant(capsys, options, message):
    with pytest.raises(SystemExit) as refused:
        main(["show", LESSON, "--answers", *options])
    assert refused.value.code == 2
    assert message in capsys.readouterr().err


def test_roster_needs_answers_and_a_user_needs_a_name(capsys, roster):
    code, out, err = _run(capsys, "show", LESSON, "--roster", str(roster))
    assert (code, out) == (2, "")
    assert err == "chain-tutor: --roster goes with --answers (one answer sheet per student)\n"
    code, out, err = _run(capsys, "show", LESSON, "--answers", "--user", "")
    assert (code, out) == (2, "")
    assert err == "chain-tutor: --user: an empty login name has no seed\n"
