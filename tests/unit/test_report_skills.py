"""`report --skills` (mastery per student and skill, in every form) and `report --bkt-log`
(pyBKT's columns), over the class of tests/unit/test_report_students.py.

Every answer there has no diagnosis, so a wrong first answer counts against all the
step's skills. The flagship's steps: df_dh2 and dz2_dh1 linear-jacobian, dh2_dz2 and
dh1_dz1 elementwise-jacobian, df_dz1 chain-product, df_dW1 weight-gradient. By hand,
from 0.1 (tests/unit/test_tracing.py): wrong 91/820; right 11/20, again 37/40; right
then revealed (wrong) 191/920.

alice  df_dh2 ✗ then ✓, dh2_dz2 ✗ then revealed → linear 91/820, elementwise 91/820
bob    df_dh2 ✗ ×5 (one variant: one observation) → linear 91/820
carol  df_dh2 ✓, dz2_dh1 revealed → linear 191/920 (2 seen)
dave   on the roster only → every skill at 0.1, never seen
erin   every step ✓ → linear 37/40, elementwise 37/40, chain 11/20, weight 11/20
frank  df_dh2 ✗ → linear 91/820
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.unit.test_report_students import make_class
from tutor.cli.command import main
from tutor.lessons.skills import SKILLS
from tutor.progress.skill_params import read_skill_params

WRONG, RIGHT, RIGHT_2, RIGHT_REVEALED = 91 / 820, 11 / 20, 37 / 40, 191 / 920
EXPECTED = {  # login → {skill: (mastery, observations)}, the others at (0.1, 0)
    "alice": {"linear-jacobian": (WRONG, 1), "elementwise-jacobian": (WRONG, 1)},
    "bob": {"linear-jacobian": (WRONG, 1)},
    "carol": {"linear-jacobian": (RIGHT_REVEALED, 2)},
    "dave": {},
    "erin": {"linear-jacobian": (RIGHT_2, 2), "elementwise-jacobian": (RIGHT_2, 2),
             "chain-product": (RIGHT, 1), "weight-gradient": (RIGHT, 1)},
    "frank": {"linear-jacobian": (WRONG, 1)},
}


@pytest.fixture(scope="module")
def klass(tmp_path_factory) -> dict[str, Path]:
    return make_class(tmp_path_factory.mktemp("class"))


def report(capsys, klass, *args):
    code = main(["report", *args, str(klass["lab"]), str(klass["handed_in"])])
    out, err = capsys.readouterr()
    return code, out, err


def test_skills_json_per_student_with_the_roster(capsys, klass):
    code, out, err = report(capsys, klass, "--skills", "--json", "--roster",
                            str(klass["roster"]))
    assert code == 0, err
    result = json.loads(out)
    assert result["format"] == "chain-tutor-skills" and result["mastery_threshold"] == 0.95
    assert result["params"]["layout"] == {"prior": 0.1, "learn": 0.1, "slip": 0.1,
                                          "guess": 0.1}
    assert [(s["login"], s["name"]) for s in result["students"]] == [
        ("alice", "Alice Liddell"), ("bob", "Bob Marley"), ("carol", "Carol Danvers"),
        ("dave", "Dave Bowman"), ("erin", "Erin Brockovich"), ("frank", None)]
    for student in result["students"]:
        assert [row["skill"] for row in student["skills"]] == list(SKILLS)
        for row in student["skills"]:
            mastery, seen = EXPECTED[student["login"]].get(row["skill"], (0.1, 0))
            assert row["mastery"] == pytest.approx(mastery, abs=1e-4), (student, row)
            assert row["observations"] == seen, (student["login"], row)


def test_skills_csv_one_row_per_student_and_skill(capsys, klass):
    code, out, _ = report(capsys, klass, "--skills", "--csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 5 * len(SKILLS)  # no roster: the five with records
    erin = {row["skill"]: row for row in rows if row["login"] == "erin"}
    assert erin["linear-jacobian"] == {"login": "erin", "name": "", "skill": "linear-jacobian",
                                       "mastery": "0.925", "observations": "2",
                                       "mastered": "0"}
    assert erin["layout"]["mastery"] == "0.1" and erin["layout"]["observations"] == "0"


def test_skills_text_a_row_per_student_and_the_class_mastered(capsys, klass, tmp_path):
    params = tmp_path / "course.toml"  # erin's chain-product mastered with a high prior
    params.write_text("[skills.chain-product]\nprior = 0.9\n")
    code, out, _ = report(capsys, klass, "--skills", "--skill-params", str(params))
    lines = out.splitlines()
    assert code == 0
    assert lines[0].split() == ["login", "scalar", "linear", "elemwise", "chain", "weight",
                                "loss", "softmax", "batch", "paths", "product", "layout"]
    assert lines[3].split() == ["carol", "–", "0.21", *["–"] * 9]
    assert lines[4].split() == ["erin", "–", "0.93", "0.93", "0.99*", "0.55", *["–"] * 6]
    assert lines[7].split()[:5] == ["mastered", "0/5", "0/5", "0/5", "1/5"]
    words = " ".join(out.split())  # the text under the table is wrapped
    assert f"with the parameters of {params}). * mastered (≥ 0.95); – never observed." \
        in words
    assert "elemwise = elementwise-jacobian," in words
    assert max(len(line) for line in lines[9:]) <= 88


def test_skills_section_of_the_html_page(capsys, klass):
    code, out, _ = report(capsys, klass, "--skills", "--html", "-")
    assert code == 0
    section = out[out.index('<section aria-labelledby="skills-title">'):]
    assert '<th scope="row">erin</th><td class="num muted">–</td>' \
           '<td class="num band-high" title="2 observations">0.93</td>' not in section
    assert '<th scope="row">erin</th><td class="num muted">–</td>' \
           '<td class="num band-mid" title="2 observations">0.93</td>' in section
    assert "<caption>5 students × 11 skills</caption>" in section
    code, plain, _ = report(capsys, klass, "--html", "-")
    assert code == 0 and 'id="skills-title"' not in plain  # only when asked


@pytest.mark.parametrize(("args", "said"), [
    (["--skills", "--students"], "--skills is a table of its own"),
    (["--skills", "--bkt-log", "-"], "--skills is a table of its own"),
    (["--skill-params", "x.toml"], "--skill-params goes with --skills"),
    (["--skills", "--skill-params", "missing.toml"], "cannot read missing.toml"),
    (["--bkt-log", "/no/such/folder/log.csv"], "the folder /no/such/folder does not exist"),
])
def test_options_that_do_not_go_together_are_one_line_and_exit_2(capsys, klass, args, said):
    code, out, err = report(capsys, klass, *args)
    assert code == 2 and out == "" and said in err and err.count("\n") == 1


BKT_LOG = """order_id,skill_name,correct,user_id
1,linear-jacobian,0,alice
2,linear-jacobian,0,bob
3,linear-jacobian,1,carol
4,linear-jacobian,1,erin
5,linear-jacobian,0,frank
6,linear-jacobian,0,carol
7,elementwise-jacobian,1,erin
8,linear-jacobian,1,erin
9,elementwise-jacobian,1,erin
10,chain-product,1,erin
11,weight-gradient,1,erin
12,elementwise-jacobian,0,alice
"""


def test_bkt_log_in_pybkts_columns_in_time_order(capsys, klass, tmp_path):
    """At T: five first answers (by login); T+5 carol's reveal; erin's steps every 30 s;
    T+660 alice's dh2_dz2. Later answers of a variant, and alice's export (the same
    attempts as her database), add no row."""
    log = tmp_path / "class-log.csv"
    code, out, err = report(capsys, klass, "--bkt-log", str(log))
    assert code == 0 and out == ""
    assert log.read_text() == BKT_LOG
    assert err == f"chain-tutor: wrote 12 observation rows of 5 students to {log} " \
                  "(pyBKT's columns)\n"
    code, out, _ = report(capsys, klass, "--bkt-log", "-")
    assert code == 0 and out == BKT_LOG


PYBKT_PARAMS = """skill,param,class,value
linear-jacobian,prior,default,0.31
linear-jacobian,learns,default,0.22
linear-jacobian,guesses,default,0.18
linear-jacobian,slips,default,0.07
linear-jacobian,forgets,default,0.0
"""


def test_pybkts_parameters_csv_is_a_parameters_file(tmp_path):
    """What `model.params().to_csv(FILE)` writes (pyBKT's documented names: prior,
    learns, guesses, slips, forgets; index skill, param, class)."""
    path = tmp_path / "fitted.csv"
    path.write_text(PYBKT_PARAMS)
    table = read_skill_params(path)
    assert tuple(table("linear-jacobian")) == (0.31, 0.22, 0.07, 0.18)
    assert tuple(table("layout")) == (0.1, 0.1, 0.1, 0.1)
    path.write_text(PYBKT_PARAMS.replace("forgets,default,0.0", "forgets,default,0.05"))
    with pytest.raises(ValueError, match=r"fitted.csv:6: forgets = 0.05: the tutor's "
                                         r"tracing has no forgetting"):
        read_skill_params(path)


def simulated_class(folder: Path, students: int = 40, variants: int = 8) -> Path:
    """Students who answer as BKT says (prior 0.2, learn 0.15, slip 0.1, guess 0.2) the
    flagship's df_dh2 (linear-jacobian) and dh2_dz2 (elementwise-jacobian), one answer
    each per variant, each in a database of their own."""
    import random
    from unittest import mock

    from tutor.progress import DB_NAME, ProgressStore

    rng = random.Random(5)
    now = [1_800_000_000.0]
    for number in range(students):
        login = f"s{number:02d}"
        known = {"df_dh2": rng.random() < 0.2, "dh2_dz2": rng.random() < 0.2}
        (folder / login).mkdir(parents=True)
        with mock.patch("getpass.getuser", return_value=login), \
                ProgressStore(folder / login / DB_NAME, clock=lambda: now[0]) as store:
            for seed in range(variants):
                for step in known:
                    now[0] += 30
                    right = rng.random() < (0.9 if known[step] else 0.2)
                    store.record_attempt("two-layer-sigmoid", step, seed, "x",
                                         "correct" if right else "incorrect", [], 5)
                    known[step] = known[step] or rng.random() < 0.15
    return folder


def test_round_trip_through_pybkt(capsys, tmp_path):
    """Fit pyBKT on our log, hand its parameters back (model.params().to_csv), trace with
    them. pyBKT 1.4.3 (the local index's) needs numpy < 2, pandas < 2.2 and
    scikit-learn < 1.6, so it is not in the test extra: this runs where it imports."""
    models = pytest.importorskip("pyBKT.models")
    folder = simulated_class(tmp_path / "class")
    log = tmp_path / "log.csv"
    assert main(["report", "--bkt-log", str(log), str(folder)]) == 0
    model = models.Model(seed=42, num_fits=5, parallel=False)
    model.fit(data_path=str(log))
    fitted = tmp_path / "fitted.csv"
    model.params().to_csv(fitted)
    table = read_skill_params(fitted)
    assert set(table.skills) == {"linear-jacobian", "elementwise-jacobian"}
    assert all(0.05 < table(skill).learn < 0.5 for skill in table.skills)
    capsys.readouterr()
    assert main(["report", "--skills", "--json", "--skill-params", str(fitted),
                 str(folder)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["params"]["linear-jacobian"] == dict(table("linear-jacobian")._asdict())
    assert result["params_file"] == str(fitted)
