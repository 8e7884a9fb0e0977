"""A student's own network without a screen: the editor's check, the lesson Start makes,
its id from its text, and the networks and draft kept with the progress."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

from tutor.networks.draft import check_draft, make_lesson
from tutor.networks.reader import network_lesson_id, normalized
from tutor.progress import ProgressStore
from tutor.progress.schema import _MIGRATIONS

GATED = """\
# a gated unit
x : 2x1
A : 2x2
B : 2x2
w : 1x2
h = sigma(A @ x) * tanh(B @ x)
f = w @ h
goal: df/dA
"""


def test_a_network_that_can_be_asked_lists_its_factors_in_order():
    check = check_draft(GATED)
    assert check.ok and check.title == "a gated unit"
    assert check.steps[0] == "∂f/∂h" and check.steps[-1] == "∂f/∂A"
    assert check.lesson_id == network_lesson_id(GATED)


def test_each_kind_of_mistake_is_told_at_its_line_and_column():
    cases = {
        "x : 2x1\nz = W @ x\n": (2, "Unknown name 'W'"),
        "x : 2x1\nx = 2 * x\n": (2, "x"),
        "x : 2x1\nW : 3x3\nz = W @ x\ngoal: dz/dx\n": (3, "3×3"),
        "x : 2x1\nW : 2x2\nz = W @ x\nf = sum(x)\ngoal: df/dW\n": (5, "does not depend"),
        "x : 99x1\n": (1, "20"),
        "x : 2x1\nz = frob(x)\n": (2, "frob"),
        "x : 2x1\nW : 2x2\nz = W @ x\ngoal: dz/dW\n": (4, "3-tensor"),
        "x : 2x1\nL = sum(log(x))\ngoal: dL/dx\n": (2, "x : 2x1 positive"),
        "x : 2x1\nL := sum(x)\ngoal: dL/dx\n": (2, "not :="),
        "x : 2x1\nL = sum(x)\nGoal: dL/dx\n": (3, "lowercase"),
        "x : 2x1\nL = sum(x)\nL = sum(x)\ngoal: dL/dx\n": (3, "another name"),
        "x : 2x1\nW : 2x2\nh = tanh(W @ x)\nL = sum(h)\ngoal: dh/dW\n": (5, "ask for dL/dW"),
        "x : 2x1\nW : 2x2\nz = W @ x\nL = z @ x.T\ngoal: dL/dW\n": (5, "L2 = sum(L)"),
        "x : 2x1\nh = exp(exp(exp(100 * x)))\nL = sum(h)\ngoal: dL/dx\n": (2, "overflow"),
    }
    for text, (line, words) in cases.items():
        check = check_draft(text)
        assert not check.ok, text
        assert check.line == line, (text, check)
        assert words in check.error, (text, check.error)


def test_a_fault_of_the_tutor_is_said_in_words_not_raised(monkeypatch):
    import tutor.networks.draft as own

    def broken(*_args, **_kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(own, "generate", broken)
    check = check_draft(GATED)
    assert not check.ok and "fault of chain-tutor" in check.error and "boom" in check.error


def test_the_title_is_the_first_comment_even_after_blank_lines():
    assert check_draft("\n\n# mine\nx : 2x1\nL = sum(x)\ngoal: dL/dx\n").title == "mine"


def test_the_same_network_typed_again_is_the_same_lesson():
    messy = "\n\n" + GATED.replace("\n", "   \r\n") + "\n\n"
    assert normalized(messy) == GATED
    assert network_lesson_id(messy) == network_lesson_id(GATED)
    assert network_lesson_id(GATED.replace("2x2", "3x3", 1)) != network_lesson_id(GATED)


def test_making_a_network_lesson_in_the_tutor_never_imports_sympy():
    """Validation's proofs go to the proof worker; the tutor's process stays without sympy."""
    script = (
        "import sys\n"
        "from tutor.networks.draft import make_lesson\n"
        f"lesson = make_lesson({GATED!r}, 5.0)\n"
        "print(len(lesson.steps), 'sympy' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120, check=True).stdout.split()
    assert out == [str(len(check_draft(GATED).steps)), "False"]


def test_a_made_lesson_is_validated_and_checks_answers():
    steps = []
    lesson = make_lesson(GATED, 0.0, progress=lambda d, n: steps.append((d, n)))
    assert steps == [(n, len(lesson.steps)) for n in range(1, len(lesson.steps) + 1)]
    assert lesson.id == network_lesson_id(GATED)
    assert lesson.check("df_dh", "w").correct
    assert not lesson.check("df_dh", "w.T").correct


def test_networks_and_the_draft_are_kept_and_read_back(tmp_path):
    with ProgressStore.open(tmp_path) as store:
        assert store.networks() == [] and store.draft() is None
        store.save_network("net-a", "x : 1\n", "first", [("s1", "∂a/∂b")], "0.1.0")
        store.save_network("net-b", "y : 1\n", "second", [("s2", "∂c/∂d")])
        store.save_draft("half")
        store.save_draft("half written")
    with ProgressStore.open(tmp_path) as store:
        first, second = sorted(store.networks(), key=lambda n: n.lesson_id)
        assert (first.text, first.title, first.steps, first.checked_by) == (
            "x : 1\n", "first", (("s1", "∂a/∂b"),), "0.1.0")
        assert second.checked_by is None
        store.save_network("net-a", "x : 1\n", "first", [("s1", "∂a/∂b")])  # opened again
        [again] = [n for n in store.networks() if n.lesson_id == "net-a"]
        assert again.checked_by == "0.1.0" and again.added == first.added
        assert store.networks()[0].lesson_id == "net-a"  # the one opened last first
        assert store.draft() == "half written"


def test_a_database_of_the_previous_schema_gains_the_network_tables(tmp_path):
    path = tmp_path / "progress.db"
    conn = sqlite3.connect(path)
    for statements in _MIGRATIONS[:2]:
        for statement in statements:
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 2")
    conn.execute("INSERT INTO lessons (lesson_id, seed) VALUES ('kept', 3)")
    conn.commit()
    conn.close()
    with ProgressStore(path) as store:
        assert store.lesson("kept").seed == 3
        store.save_network("net-a", "x : 1\n", "t", [])
        assert [n.lesson_id for n in store.networks()] == ["net-a"]


def test_a_damaged_steps_entry_lists_no_steps_instead_of_failing(tmp_path):
    with ProgressStore.open(tmp_path) as store:
        store.save_network("net-a", "x : 1\n", "t", [("s", "l")])
    conn = sqlite3.connect(tmp_path / "progress.db")
    conn.execute("UPDATE networks SET steps = '{not json'")
    conn.commit()
    conn.close()
    with ProgressStore.open(tmp_path) as store:
        [saved] = store.networks()
        assert saved.steps == () and store.notice is None


def test_the_report_names_a_students_network_and_reads_databases_from_before_networks(
        tmp_path):
    from tutor.progress import read_database
    from tutor.report.build import build_report
    from tutor.report.formats import format_text
    from tutor.report.sources import load_sources

    lesson_id = network_lesson_id(GATED)
    with ProgressStore.open(tmp_path / "alice") as store:
        store.save_network(lesson_id, GATED, "a gated unit", [("df_dh", "∂f/∂h"),
                                                              ("df_dA", "∂f/∂A")])
        store.record_attempt(lesson_id, "df_dh", 1, "w.T", "incorrect", ["transpose"], 3.0)
        store.record_attempt(lesson_id, "df_dh", 1, "w", "correct", [], 3.0, solves=True)
    old = tmp_path / "bob" / "progress.db"  # schema 2: no networks table, never migrated
    old.parent.mkdir()
    conn = sqlite3.connect(old)
    for statements in _MIGRATIONS[:2]:
        for statement in statements:
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    assert read_database(old).networks == ()
    sources, skipped = load_sources([tmp_path / "alice", tmp_path / "bob"])
    assert skipped == [] and len(sources) == 2
    [lesson] = build_report(sources).lessons
    assert lesson.title == "a student's network: a gated unit"
    assert [(s.step_id, s.label) for s in lesson.steps] == [("df_dh", "∂f/∂h"),
                                                           ("df_dA", "∂f/∂A")]
    assert "a gated unit" in format_text(build_report(sources))


ALL_ON = """\
# both relus are on at seed 1, so ∂h2/∂z2 is the identity there
x : 3x1 normal
W1 : 3x3 normal
W2 : 2x3 normal
W3 : 2x2 normal
w : 1x2
y : 1
z1 = W1 @ x
h1 = tanh(z1)
z2 = W2 @ h1
h2 = relu(z2)
z3 = W3 @ h2
h3 = h2 + sigma(z3)
f = w @ h3
L = 0.5 * (f - y)^2
goal: dL/dW1
"""


def test_eye_for_a_relu_that_is_all_on_here_is_a_formula_and_not_accepted():
    """eye(2) states relu′ = I, which holds at this variant only; typed numbers stay
    numbers (accepted at this variant, as the README says)."""
    lesson = make_lesson(ALL_ON, 0.0)
    assert lesson.check("dh2_dz2", "diag(step(z2))").correct
    for formula in ("eye(2)", "diag(ones(2, 1))"):
        verdict = lesson.check("dh2_dz2", formula)
        assert verdict.diagnosis == ("specific-values",), formula
        assert "only because of this variant's values" in verdict.feedback
        assert "Numbers typed" not in verdict.feedback
    assert lesson.check("dh2_dz2", "[1 0; 0 1]").correct


def test_a_factor_left_out_that_is_the_identity_here_is_named_missing():
    lesson = make_lesson(ALL_ON, 0.0)
    verdict = lesson.check("dL_dz1", "dL_dh2 @ dz2_dh1 @ dh1_dz1")
    assert verdict.diagnosis == ("missing-factor",)
    assert [f.label for f in verdict.findings] == ["∂h2/∂z2"]
    assert "Numbers typed" not in verdict.feedback


SOFTMAX = """\
x : 2x1 normal
W1 : 3x2 normal
w : 3x3 positive
y : 3x1 onehot
z1 = W1 @ x
h1 = sigma(z1)
f = w @ h1
p = softmax(f)
L = -sum(y * log(p))
goal: dL/dW1
"""


def test_a_transposed_factor_is_named_as_the_chain_holds_it_beside_what_was_typed():
    lesson = make_lesson(SOFTMAX, 0.0)
    for answer in ("(p-y).T @ w.T @ diag(h1*(1-h1))", "dL_dp @ dp_df @ df_dh1.T @ dh1_dz1"):
        verdict = lesson.check("dL_dz1", answer)
        assert verdict.diagnosis == ("factor-transposed",), answer
        assert verdict.feedback.startswith("The factor ∂f/∂h1 = w (your wᵀ) stands transposed")


def test_no_hint_of_a_generated_lesson_is_its_key():
    """Hints guide; the answer itself is Reveal's (which marks the step revealed)."""
    from tutor.networks.drawn import random_network
    from tutor.networks.generator import generate_from_text

    for seed in range(60):
        lesson = generate_from_text(random_network(seed), validate=False)
        for step in lesson.steps:
            assert step.answer not in step.hints, (seed, step.id, step.answer)
