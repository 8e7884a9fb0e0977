"""No answer can hang a check: symbolic proofs run in a child process killed at the budget.

Each reproducer of "Hardening, round two" ran for minutes at full CPU on the landed code;
here each must come back within its budget plus a margin for forking and a loaded
machine, and leave no process behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tutor.engine.bounded import run_bounded
from tutor.engine.worker import Worker
from tutor.lessons.load import load_catalog

SCRIPT = Path(sys.executable).with_name("chain-tutor")
MARGIN = 4.0  # seconds beyond the budget: fork, pipe and a busy 2-core machine
HANGS = [
    "diag(h2^1e-20 * h2 * (1-h2))",
    "diag(h2^63.9999999 * h2^(1-63.9999999) * (1-h2))",
]


def children_of(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    if not path.exists():
        return []
    return [int(word) for word in path.read_text().split()]


@pytest.fixture(scope="module")
def flagship():
    return load_catalog().get("two-layer-sigmoid")


@pytest.mark.parametrize("answer", HANGS)
def test_an_answer_that_hung_sympy_comes_back_within_its_budget(flagship, answer):
    started = time.monotonic()
    verdict = flagship.check("dh2_dz2", answer, 1, symbolic_budget=1.0)
    took = time.monotonic() - started
    assert took < 1.0 + MARGIN, took
    assert verdict.symbolic == "timeout"
    from tutor.engine import prover

    ran = prover._worker.server_pid
    assert ran is not None and gone(ran)  # the proof's process was killed and reaped
    assert children_of(os.getpid()) == [prover._worker._pid]  # only the warm template stays


def test_a_proof_that_finishes_in_time_still_proves(flagship):
    verdict = flagship.check("dh2_dz2", "diag(exp(-z2)/(1+exp(-z2))^2)", 1, symbolic_budget=5.0)
    assert verdict.correct and verdict.symbolic is True


def test_run_bounded_kills_work_that_holds_the_interpreter_lock():
    def forever():
        return 7 ** (7**12)  # one big-integer operation: no thread could interrupt it

    started = time.monotonic()
    outcome = run_bounded(forever, 0.5)
    assert not outcome.finished
    assert time.monotonic() - started < 0.5 + MARGIN


def test_run_bounded_returns_the_value_or_the_error():
    assert run_bounded(lambda: {"a": [1, 2]}, 5.0).value == {"a": [1, 2]}
    failed = run_bounded(lambda: 1 / 0, 5.0)
    assert failed.finished and "ZeroDivisionError" in failed.error


@pytest.mark.parametrize("answer", HANGS)
def test_the_check_command_answers_and_exits_within_its_budget(answer):
    started = time.monotonic()
    result = subprocess.run(
        [str(SCRIPT), "check", "two-layer-sigmoid", "dh2_dz2", answer],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )
    assert time.monotonic() - started < 1.0 + MARGIN + 5.0  # plus the command's own start
    assert result.returncode == 0, result.stderr
    assert "timed out" in result.stdout


def start_a_long_proof(budget: float) -> tuple[subprocess.Popen, list[int]]:
    process = subprocess.Popen(
        [str(SCRIPT), "check", "--budget", str(budget), "two-layer-sigmoid", "dh2_dz2",
         HANGS[0]],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not children_of(process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)  # wait until the proof's process exists
    return process, children_of(process.pid)


def gone(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def wait_gone(pids: list[int], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(gone(pid) for pid in pids):
            return True
        time.sleep(0.05)
    return False


def test_sigterm_ends_a_check_and_its_proof_at_once():
    process, proof = start_a_long_proof(60)
    try:
        assert proof, "the proof never started"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 128 + signal.SIGTERM
        assert wait_gone(proof, 5)
    finally:
        process.kill()
        process.wait()


def test_a_proof_outlives_a_killed_tutor_by_at_most_its_budget():
    process, proof = start_a_long_proof(2)
    try:
        assert proof, "the proof never started"
        process.kill()  # SIGKILL: the tutor can do nothing; the kernel's alarm ends the proof
        process.wait(timeout=10)
        assert wait_gone(proof, 2 + MARGIN)
    finally:
        process.kill()
        process.wait()


def deep_lesson(layers: int, width: int) -> str:
    quantities = [f'x = {{ shape = [{width}, 1], draw = "decimal" }}']
    definitions = []
    previous = "x"
    for k in range(1, layers + 1):
        quantities.append(f'W{k} = {{ shape = [{width}, {width}], draw = "decimal" }}')
        definitions += [f'z{k} = "W{k} @ {previous}"', f'h{k} = "sigma(z{k})"']
        previous = f"h{k}"
    quantities.append(f'V = {{ shape = [1, {width}], draw = "decimal" }}')
    definitions.append(f'f = "V @ h{layers}"')
    chain = " @ ".join(
        f"diag(h{k}*(1-h{k})) @ W{k}" for k in range(layers, 1, -1)
    )
    key = f"V @ {chain} @ diag(h1*(1-h1))"
    return textwrap.dedent(f'''\
        id = "deep-network"
        title = "A deep network"
        intro = "Numerator layout throughout."

        [quantities]
        {chr(10).join(quantities)}

        [definitions]
        {chr(10).join(definitions)}

        [[steps]]
        id = "df_dz1"
        of = "f"
        wrt = "z1"
        prompt = "What is df/dz1?"
        answer = "{key}"
        ''')


def test_validate_bounds_the_symbolic_check_of_a_deep_wide_lesson_and_says_so(tmp_path):
    path = tmp_path / "deep.toml"
    path.write_text(deep_lesson(12, 20))
    started = time.monotonic()
    result = subprocess.run(
        [str(SCRIPT), "validate", "--budget", "2", str(path)],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )
    assert time.monotonic() - started < 60
    assert result.returncode == 0, result.stdout + result.stderr
    assert "symbolic check skipped" in result.stdout
    assert "finite differences" in result.stdout


EXPONENTS = st.one_of(
    st.floats(min_value=-64, max_value=64, allow_nan=False).map(lambda v: f"{v:.9g}"),
    st.integers(-64, 64).map(lambda n: f"{n}.{'9' * 7}"),
    st.integers(1, 20).map(lambda n: f"1e-{n}"),
    st.sampled_from(["0.5", "1/3", "(1-63.9999999)", "2", "-1"]),
)
SHAPES = st.sampled_from([
    "diag(h2^{e} * h2 * (1-h2))",
    "diag(h2^{e} * h2^(1-{e}) * (1-h2))",
    "diag((h2*(1-h2))^{e}) ^ (1/{e})",
    "diag(sigma(z2)^{e} * (1-sigma(z2)) * sigma(z2)^(1-{e}))",
    "diag(exp(-z2)^{e} / (1+exp(-z2))^2 * exp(-z2)^(1-{e}))",
])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=SHAPES, exponent=EXPONENTS)
def test_no_fractional_or_near_integer_exponent_outlives_the_budget(flagship, shape, exponent):
    answer = shape.format(e=exponent)
    started = time.monotonic()
    flagship.check("dh2_dz2", answer, 1, symbolic_budget=0.5)
    assert time.monotonic() - started < 0.5 + MARGIN, answer


def test_one_worker_serves_proof_after_proof_and_its_template_replaces_an_overrun(flagship):
    from tutor.engine import prover

    flagship.check("dh2_dz2", "diag(exp(-z2)/(1+exp(-z2))^2)", 1, symbolic_budget=5.0)
    template, server = prover._worker._pid, prover._worker.server_pid
    flagship.check("dz2_dh1", "W2 + 0*W2", 1, symbolic_budget=5.0)
    assert (prover._worker._pid, prover._worker.server_pid) == (template, server)  # warm
    assert flagship.check("dh2_dz2", HANGS[0], 1, symbolic_budget=0.5).symbolic == "timeout"
    assert prover._worker.server_pid == server and gone(server)  # killed and reaped
    assert prover._worker._pid == template  # sympy and the lesson's symbols are kept
    again = flagship.check("dh2_dz2", "diag(exp(-z2)/(1+exp(-z2))^2)", 1, symbolic_budget=5.0)
    assert again.symbolic is True
    assert prover._worker._pid == template and prover._worker.server_pid not in (None, server)


def test_an_idle_worker_ends_with_the_tutor_that_started_it():
    script = (
        "from tutor.lessons import load_catalog\n"
        "from tutor.engine import prover\n"
        "lesson = load_catalog().get('two-layer-sigmoid')\n"
        "assert lesson.check('dz2_dh1', 'W2 + 0*W2', 1, 5.0).symbolic is True\n"
        "print(prover._worker._pid)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert wait_gone([int(result.stdout.strip())], 5)


def test_a_request_waiting_its_turn_when_everything_stops_starts_no_new_worker():
    """The app closes while the warm-up holds the worker and a check waits for it: the
    check must not fork a fresh worker (and a proof) that would outlive the app."""
    import threading

    from tutor.engine import bounded

    gate = threading.Event()
    worker = Worker(lambda payload: time.sleep(30))
    results = {}
    first = threading.Thread(target=lambda: results.setdefault(
        "first", worker.request(b"", 20.0)))
    first.start()
    deadline = time.monotonic() + 30
    while worker._pid is None and time.monotonic() < deadline:
        time.sleep(0.01)  # the first request holds the worker
    second = threading.Thread(target=lambda: (gate.set(), results.setdefault(
        "second", worker.request(b"", 20.0))))
    second.start()
    gate.wait(5)
    time.sleep(0.2)  # the second waits for the lock
    bounded.stop_all()
    first.join(10)
    second.join(10)
    assert not results["first"].finished and not results["second"].finished
    assert worker._pid is None  # nobody started a new child
    after = worker.request(b"", 0.5)  # a request made after stop_all works again
    assert not after.finished  # (it sleeps past its budget) and it was killed
    assert worker.server_pid is not None and gone(worker.server_pid)
    worker.stop()


def test_a_closing_app_refuses_every_proof_asked_for_afterwards_until_resumed():
    """A check whose first proof the closing app stopped goes on to a second one; that one
    must not run its whole budget while the app waits to save the answer."""
    from tutor.engine import bounded

    worker = Worker(lambda payload: "proved")
    try:
        bounded.stop_all(closing=True)
        started = time.monotonic()
        assert not worker.request(b"", 20.0).finished
        assert not run_bounded(lambda: 1, 20.0).finished
        assert time.monotonic() - started < 5  # refused, not waited out
        assert worker._pid is None  # and nothing was forked
    finally:
        bounded.resume()
    assert worker.request(b"", 20.0).value == "proved"
    assert run_bounded(lambda: 1, 20.0).value == 1
    worker.stop()


def test_the_first_proof_after_stop_all_is_served_by_a_new_worker():
    """stop_all (as `new` runs it when it is done) kills an idle worker; the next request
    used to write to the dead child and come back 'timeout' at once."""
    from tutor.engine import bounded

    worker = Worker(lambda payload: "proved")
    try:
        assert worker.request(b"", 20.0).value == "proved"  # a child is running, idle
        bounded.stop_all()
        assert worker.request(b"", 20.0).value == "proved"
    finally:
        worker.stop()


_built: dict[str, bytes] = {}  # in a worker's template: what warm built


def _build(payload: bytes) -> None:
    if payload == b"forever":
        while True:  # pure Python: the signal at the deadline stops it, the template lives
            _built["partial"] = payload
    _built["symbols"] = payload


def _answer(payload: bytes) -> object:
    if payload == b"hang":
        time.sleep(30)
    return dict(_built)


def test_a_server_replaced_after_an_overrun_starts_with_what_its_template_built():
    """A proof cut at its deadline costs the process that ran it, not what was built
    outside any budget: the next request's process has it already (on a busy machine,
    building a deep lesson's symbols inside each budget again made every proof overrun)."""

    worker = Worker(_answer, warm=_build)
    try:
        assert worker.warm(b"lesson", 20.0).finished
        template = worker._pid
        assert worker.request(b"ask", 20.0).value == {"symbols": b"lesson"}
        overran = worker.request(b"hang", 0.5)
        assert not overran.finished and gone(worker.server_pid)
        again = worker.request(b"ask", 20.0)
        assert again.value == {"symbols": b"lesson"}  # a new server, with what was built
        assert worker._pid == template
        assert worker.warm(b"lesson", 20.0).finished  # once per template: not built again
    finally:
        worker.stop()


def test_a_warm_up_cut_at_its_deadline_keeps_what_it_built_and_the_template():

    worker = Worker(_answer, warm=_build)
    try:
        assert not worker.warm(b"forever", 0.5).finished  # cut by the signal, not killed
        template = worker._pid
        assert worker.request(b"ask", 20.0).value == {"partial": b"forever"}
        assert worker._pid == template
    finally:
        worker.stop()


def _build_nothing(payload: bytes) -> bool:
    _built[payload.decode()] = payload
    return payload != b"nothing new"  # False: what the server could make itself


def test_a_warm_up_that_built_nothing_new_keeps_the_server_at_work():
    """A step's problem is its lesson's with a few names more: warming it up builds
    nothing the server lacks, so the server (and its pages) stays; forking another for
    each step of each student cost a lab of fifty a second of its two cores."""

    worker = Worker(_answer, warm=_build_nothing)
    try:
        assert worker.warm(b"lesson", 20.0).finished
        worker.request(b"ask", 20.0)
        server = worker.server_pid
        assert worker.warm(b"nothing new", 20.0).finished
        worker.request(b"ask", 20.0)
        assert worker.server_pid == server
        assert worker.warm(b"more", 20.0).finished
        assert worker.request(b"ask", 20.0).value["more"] == b"more"  # a new server has it
        assert worker.server_pid != server and gone(server)
    finally:
        worker.stop()


def _spin(payload: bytes) -> str:
    """Pure Python on the CPU for the seconds the payload says (of this process's CPU)."""
    until = time.process_time() + float(payload)
    while time.process_time() < until:
        pass
    return "proved"


def test_a_proofs_budget_is_cpu_time_so_a_busy_machine_does_not_cut_it():
    """A proof that needs 0.2 s of CPU, made to wait 1.5 s for the processor (its server
    stopped, as fifty students answering at once on two cores hold it off), still finishes
    within a budget of 0.6 s: what it is given is CPU time, not time on the clock. On the
    clock, every quick proof of a lab answering at once ran out of its second, and each
    cut cost a new server."""
    import threading

    worker = Worker(_spin)
    try:
        assert worker.request(b"0", 5.0).value == "proved"
        server = worker.server_pid

        def hold_off() -> None:
            time.sleep(0.05)
            os.kill(server, signal.SIGSTOP)
            time.sleep(1.5)
            os.kill(server, signal.SIGCONT)

        holder = threading.Thread(target=hold_off)
        started = time.monotonic()
        holder.start()
        outcome = worker.request(b"0.2", 0.6)
        holder.join()
        assert time.monotonic() - started > 1.5  # it did wait on the clock
        assert outcome.finished and outcome.value == "proved"
        assert worker.server_pid == server  # and kept its server
    finally:
        worker.stop()


def test_a_proof_past_its_cpu_is_cut_there_and_one_off_the_cpu_by_the_clock():
    """Spinning past its CPU budget, a proof is cut after about that much CPU (not the
    clock's longer bound), and its server replaced; a proof that waits off the processor
    (sleeps) is cut at the clock's bound, wall_seconds of its budget."""
    from tutor.engine.worker import RELAY_GRACE, wall_seconds

    worker = Worker(lambda payload: _spin(payload) if payload != b"sleep" else time.sleep(60))
    try:
        assert worker.request(b"0", 5.0).finished
        template, server = worker._pid, worker.server_pid
        started = time.monotonic()
        assert not worker.request(b"30", 0.3).finished
        assert time.monotonic() - started < wall_seconds(0.3)  # cut by its CPU, early
        assert gone(server) and worker._pid == template
        started = time.monotonic()
        assert not worker.request(b"sleep", 0.3).finished
        assert time.monotonic() - started < wall_seconds(0.3) + RELAY_GRACE
        assert worker.request(b"0", 5.0).value == "proved"  # a new server, same template
        assert worker._pid == template
    finally:
        worker.stop()
