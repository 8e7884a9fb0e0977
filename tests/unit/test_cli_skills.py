"""`chain-tutor skills`: a student's mastery per skill, read from a real progress database.

The flagship's steps carry linear-jacobian (df_dh2, dz2_dh1) and elementwise-jacobian
(dh2_dz2); the first lesson's du_dx carries scalar-derivative. With the defaults
(0.1 each), worked by hand (tests/unit/test_tracing.py): one wrong observation from
0.1 gives 91/820, a second 0.11231…; three right ones give 11/20, 37/40, 1111/1120.
"""

from __future__ import annotations

import json
from unittest import mock

import pytest

from tutor.cli.command import main
from tutor.lessons.skills import SKILLS
from tutor.progress import DB_NAME, ProgressStore

FLAGSHIP = "two-layer-sigmoid"


@pytest.fixture
def data(tmp_path):
    """A student's database: the flagship's df_dh2 wrong (a transpose) then right,
    dh2_dz2 wrong (σ for σ′), dz2_dh1 revealed before any answer; the first lesson's
    du_dx right in three variants; and an answer to a lesson not installed."""
    with mock.patch("getpass.getuser", return_value="ana"), \
            ProgressStore(tmp_path / DB_NAME) as store:
        store.set_seed(FLAGSHIP, 7)
        store.record_attempt(FLAGSHIP, "df_dh2", 7, "W3.T", "incorrect", ["transpose"], 5)
        store.record_attempt(FLAGSHIP, "df_dh2", 7, "W3", "correct", [], 5, solves=True)
        store.record_attempt(FLAGSHIP, "dh2_dz2", 7, "h2", "invalid", [], 5)
        store.record_attempt(FLAGSHIP, "dh2_dz2", 7, "diag(h2)", "incorrect",
                             ["not-differentiated"], 5)
        store.mark(FLAGSHIP, "dz2_dh1", "revealed")
        store.record_attempt("retired-lesson", "a", 1, "x", "correct", [], 5)
        for seed in range(3):
            store.record_attempt("scalar-chain-rule", "du_dx", seed, "3", "correct", [], 5)
    return tmp_path


def run(capsys, *args):
    code = main(["skills", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_skills_json_traces_the_students_own_database(capsys, data):
    code, out, err = run(capsys, "--json", "--data-dir", str(data))
    assert code == 0 and err == ""
    result = json.loads(out)
    rows = {row["skill"]: row for row in result["skills"]}
    assert [row["skill"] for row in result["skills"]] == list(SKILLS)  # every skill, in order
    assert rows["linear-jacobian"]["observations"] == 2  # the transpose, then the reveal
    assert rows["linear-jacobian"]["mastery"] == pytest.approx(0.1123, abs=1e-4)
    assert rows["elementwise-jacobian"]["observations"] == 1
    assert rows["elementwise-jacobian"]["mastery"] == pytest.approx(91 / 820, abs=1e-4)
    assert rows["scalar-derivative"]["mastery"] == pytest.approx(1111 / 1120, abs=1e-4)
    assert rows["layout"] == {"skill": "layout", "mastery": 0.1, "observations": 0,
                              "params": {"prior": 0.1, "learn": 0.1, "slip": 0.1,
                                         "guess": 0.1}}
    assert result["unknown_steps"] == 1 and result["mastery_threshold"] == 0.95
    assert result["params_file"] is None


def test_skills_as_bars_with_mastered_and_what_the_numbers_mean(capsys, data):
    code, out, _ = run(capsys, "--data-dir", str(data))
    assert code == 0
    lines = out.splitlines()
    assert "  scalar-derivative     ██████████  0.99  mastered  (3 seen)" in lines
    assert "  linear-jacobian       █░░░░░░░░░  0.11            (2 seen)" in lines
    assert "  layout                █░░░░░░░░░  0.10            (not seen yet)" in lines
    words = " ".join(out.split())
    assert "estimate that you know the skill, from your first answer to each step" in words
    assert "(revealing it first counts as wrong); from 0.95, mastered." in words
    assert max(len(line) for line in lines) < 80  # an 80-column terminal
    assert lines[-1] == "1 step of lessons not found here left out."


def test_a_parameters_file_from_the_flag_or_the_environment(capsys, data, tmp_path,
                                                            monkeypatch):
    params = tmp_path / "course.toml"
    params.write_text("[skills.linear-jacobian]\nprior = 0.5\n")
    code, out, _ = run(capsys, "--json", "--data-dir", str(data), "--skill-params",
                       str(params))
    rows = {row["skill"]: row for row in json.loads(out)["skills"]}
    assert code == 0 and rows["linear-jacobian"]["params"]["prior"] == 0.5
    # by hand, from 0.5: wrong → 0.05/0.5 = 0.1, p = 0.19; wrong → 0.019/0.748, p = 0.12286
    assert rows["linear-jacobian"]["mastery"] == pytest.approx(0.1229, abs=1e-4)
    assert rows["layout"]["params"]["prior"] == 0.1
    monkeypatch.setenv("CHAIN_TUTOR_SKILL_PARAMS", str(params))
    code, out, _ = run(capsys, "--data-dir", str(data))
    assert code == 0 and f"Parameters from {params}." in out


def test_a_bad_parameters_file_is_one_line_and_exit_2(capsys, data, tmp_path):
    params = tmp_path / "course.toml"
    params.write_text("[default]\nslip = 0.7\nguess = 0.4\n")
    code, out, err = run(capsys, "--data-dir", str(data), "--skill-params", str(params))
    assert code == 2 and out == ""
    assert err == f"chain-tutor: {params}: [default]: slip + guess = 1.1, must be below 1 " \
                  "(else a right answer says the skill is not known)\n"


def test_no_progress_yet_lists_every_skill_at_its_prior_and_writes_nothing(capsys, tmp_path):
    folder = tmp_path / "fresh"
    code, out, _ = run(capsys, "--json", "--data-dir", str(folder))
    assert code == 0 and not folder.exists()
    assert {(row["mastery"], row["observations"]) for row in json.loads(out)["skills"]} == {
        (0.1, 0)}


def test_skills_from_a_class_postgresql_database(capsys, pg_student):
    """The same tracing from the student's rows of a class's PostgreSQL database (the
    reveals included, read through the same adapter)."""
    from tutor.progress.postgres.store import PostgresStore

    with PostgresStore(pg_student) as store:
        store.set_seed(FLAGSHIP, 7)
        store.record_attempt(FLAGSHIP, "df_dh2", 7, "W3", "correct", [], 5, solves=True)
        store.mark(FLAGSHIP, "dz2_dh1", "revealed")
    code, out, err = run(capsys, "--json", "--database", pg_student)
    assert code == 0, err
    rows = {row["skill"]: row for row in json.loads(out)["skills"]}
    # right (11/20), then revealed (wrong): 0.055 / 0.46 = 11/92, p = 191/920
    assert rows["linear-jacobian"]["observations"] == 2
    assert rows["linear-jacobian"]["mastery"] == pytest.approx(191 / 920, abs=1e-4)


def test_a_saved_networks_steps_are_known_not_left_out(capsys, tmp_path):
    """The lesson of a network of the student's own is built again to learn its steps'
    skills: answers to it are not counted as steps of lessons not found."""
    from tutor.networks.ids import network_lesson_id

    text = ("x : 2x1 normal\nW1 : 2x2 normal\nw : 1x2 normal\nz1 = W1 @ x\nh1 = sigma(z1)\n"
            "f = w @ h1\ngoal: df/dW1\n")
    lesson_id = network_lesson_id(text)
    with ProgressStore(tmp_path / DB_NAME) as store:
        store.save_network(lesson_id, text, "mine", [("df_dh1", "∂f/∂h1")])
        store.record_attempt(lesson_id, "df_dh1", 1, "w", "correct", [], 5)
        store.record_attempt(lesson_id, "no-such-step", 1, "w", "correct", [], 5)
    code, out, _ = run(capsys, "--json", "--data-dir", str(tmp_path))
    assert code == 0 and json.loads(out)["unknown_steps"] == 1  # only the made-up step
