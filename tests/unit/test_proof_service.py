"""The lab's shared proof service (`chain-tutor proofs`): tutors fork their proof worker
from it, hostile requests cost nobody else anything, and a tutor without it (none
running, full, stopped) forks its own as before."""

from __future__ import annotations

import json
import os
import pickle
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.unit.test_bounded_proofs import children_of, wait_gone
from tutor.engine import prover, wire
from tutor.engine.errors import EngineError
from tutor.engine.parser import parse
from tutor.engine.pipes import receive, send
from tutor.engine.worker import _pack, _unpack
from tutor.lessons.load import load_catalog

pytestmark = pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix sockets")

# A tutor's proofs, in a process of its own: what it was told, who its template is.
CLIENT = textwrap.dedent("""
    import json, os, sys
    from tutor.engine import prover
    from tutor.lessons.load import load_catalog
    lesson = load_catalog().get("two-layer-sigmoid")
    verdicts = [lesson.check("dh2_dz2", answer, 1).correct for answer in sys.argv[1:]]
    worker = prover._worker
    print(json.dumps({"verdicts": verdicts, "shared": worker.shared,
                      "template": worker._pid, "children": open(
                          f"/proc/{os.getpid()}/task/{os.getpid()}/children").read().split()}))
""")


def session_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[3])


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def start_service(folder: Path, *extra: str) -> tuple[subprocess.Popen, Path]:
    path = folder / "proofs.sock"
    service = subprocess.Popen([sys.executable, "-m", "tutor", "proofs", "--socket", str(path),
                                *extra], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not path.exists() and time.monotonic() < deadline and service.poll() is None:
        time.sleep(0.05)
    assert path.exists(), service.stderr.read() if service.poll() is not None else "no socket"
    return service, path


def stop_service(service: subprocess.Popen) -> None:
    service.send_signal(signal.SIGTERM)
    service.wait(20)


def client(path: Path | None, *answers: str) -> dict:
    env = dict(os.environ)
    if path is not None:
        env["CHAIN_TUTOR_PROOFS"] = str(path)
    result = subprocess.run([sys.executable, "-c", CLIENT, *answers], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_tutors_fork_their_proof_worker_from_the_service_and_prove_there(tmp_path):
    service, path = start_service(tmp_path)
    try:
        assert "CHAIN_TUTOR_PROOFS=" in service.stderr.readline()  # says how tutors use it
        seen = [client(path, "diag(h2 - h2^2)", "diag(exp(-z2)/(1+exp(-z2))^2)", "diag(h2)")
                for _ in range(2)]
        for run in seen:
            assert run["verdicts"] == [True, True, False]
            assert run["shared"] and run["children"] == []  # the tutor forked nothing
        # Each tutor had its own template; both were the service's children, and ended
        # with their tutors.
        templates = [run["template"] for run in seen]
        assert templates[0] != templates[1]
        assert wait_gone(templates, 10)
        deadline = time.monotonic() + 10
        while children_of(service.pid) and time.monotonic() < deadline:
            time.sleep(0.1)  # reaped within a second
        assert children_of(service.pid) == []
    finally:
        stop_service(service)
    assert service.returncode == 0 and not path.exists()


def test_without_a_service_a_tutor_forks_its_own_worker(tmp_path):
    run = client(tmp_path / "nobody-listens.sock", "diag(h2 - h2^2)")
    assert run["verdicts"] == [True] and not run["shared"]
    assert [int(pid) for pid in run["children"]] == [run["template"]]


def test_an_account_past_its_share_gets_a_worker_of_its_own(tmp_path):
    service, path = start_service(tmp_path, "--per-account", "1")
    held = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        held.connect(str(path))
        ready, template = _unpack(receive(held.fileno(), time.monotonic() + 10))
        assert ready == "ready"
        # The template is a session of its own: where the CPU is shared out by session
        # (autogroups), a student's proofs get a student's share, not a slice of the
        # service's one.
        assert session_of(template) == template != session_of(service.pid)
        run = client(path, "diag(h2 - h2^2)")  # this account holds its one template
        assert run["verdicts"] == [True] and not run["shared"]
    finally:
        held.close()
        stop_service(service)


def test_a_stopped_service_costs_its_tutors_no_verdict(tmp_path, monkeypatch):
    """The service ends under a tutor (restarted by the lab's admin): the tutor's next
    proof goes to a worker of its own, proved, not "timed out"."""
    service, path = start_service(tmp_path)
    monkeypatch.setenv("CHAIN_TUTOR_PROOFS", str(path))
    lesson = load_catalog().get("two-layer-sigmoid")
    worker = prover._worker
    worker.stop()
    try:
        assert lesson.check("dh2_dz2", "diag(h2 - h2^2)", 1).correct
        assert worker.shared
        stop_service(service)
        assert lesson.check("dh2_dz2", "diag(h2 - h2*h2)", 1).correct
        assert not worker.shared and worker._pid in children_of(os.getpid())
    finally:
        worker.stop()
        if service.poll() is None:
            stop_service(service)


def raw(path: Path) -> socket.socket:
    """A connection to the service as a hostile student would make one, by hand."""
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.connect(str(path))
    assert _unpack(receive(connection.fileno(), time.monotonic() + 10))[0] == "ready"
    return connection


class Planted:
    """Unpickling this would run a command: the service must never unpickle."""

    def __init__(self, mark: Path) -> None:
        self.mark = mark

    def __reduce__(self):
        return (os.system, (f"touch {self.mark}",))


def test_requests_are_read_as_data_and_a_hostile_one_costs_only_its_own_template(tmp_path):
    service, path = start_service(tmp_path)
    mark = tmp_path / "ran"
    try:
        hostile = [pickle.dumps(Planted(mark)),  # the old wire format, weaponised
                   _pack(["run", pickle.dumps(Planted(mark)), time.monotonic() + 5, 1.0]),
                   _pack(["warm", b"\x93", 1e300, 1e300]), b"\xc1" * 9, _pack({"run": 1}),
                   _pack(["run", b"", float("nan"), float("inf")])]
        for message in hostile:
            with raw(path) as connection:
                send(connection.fileno(), message)
                answer = receive(connection.fileno(), time.monotonic() + 10)
                if answer is not None:  # a well-formed envelope: the request's own error
                    status = _unpack(_unpack(answer)[1])
                    assert status[0] == "error", status
        with raw(path) as connection:  # a length of 2^64 - 1: not read into memory
            connection.sendall(b"\xff" * 8 + b"x" * 1000)
            connection.settimeout(10)
            try:  # its template ended at once (a reset: it left the rest unread)
                assert connection.recv(1) == b""
            except ConnectionResetError:
                pass
        assert not mark.exists()
        assert client(path, "diag(h2 - h2^2)")["verdicts"] == [True]  # still serving
    finally:
        stop_service(service)


def test_the_service_refuses_a_socket_path_it_must_not_take(tmp_path):
    taken = tmp_path / "file"
    taken.write_text("not a socket")
    result = subprocess.run([sys.executable, "-m", "tutor", "proofs", "--socket", str(taken)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "not a socket" in result.stderr
    assert "Traceback" not in result.stderr and taken.read_text() == "not a socket"


def test_every_shipped_lesson_goes_to_the_worker_and_back_unchanged():
    for lesson in load_catalog().lessons:
        problem = lesson.problem
        data = wire.decode(prover._spec(problem))
        inputs, definitions, simplex = wire.problem_from(data)
        assert inputs == dict(problem.inputs) and definitions == list(problem.definitions)
        assert simplex == dict(problem.simplex)
        for step in lesson.steps:
            for text in (step.answer, *(mistake.answer for mistake in step.mistakes)):
                try:
                    node = parse(text, [*problem.shapes, *(s.id for s in lesson.steps)])
                except EngineError:
                    continue
                assert wire.node_from(wire.node_data(node)) == node


@pytest.mark.parametrize("data", [
    None, [], ["num"], ["num", "x1"], ["name", "os.system"], ["op", "%", ["num", "1"],
                                                              ["num", "1"]],
    ["call", "eval", [["num", "1"]]], ["matrix", [["num", "1"]]], ["neg"],
    ["T", ["T"] * 3],
])
def test_a_node_that_is_not_one_is_refused(data):
    with pytest.raises(ValueError):
        wire.node_from(data)


def test_nesting_past_the_bound_is_refused_not_a_crash():
    data: list = ["num", "1"]
    for _ in range(wire.MAX_DEPTH + 5):
        data = ["neg", data]
    with pytest.raises(ValueError):
        wire.node_from(data)


def test_a_problem_larger_than_any_lesson_is_refused_before_anything_is_built():
    """4096×4096 inputs would have the worker build 16 million symbols until its memory
    ran out: no lesson has a side over 20."""
    huge = wire.problem_data({"x": (4096, 4096)}, [], {})
    with pytest.raises(ValueError):
        wire.problem_from(huge)
    many = wire.problem_data({f"x{i}": (1, 1) for i in range(wire.MAX_NAMES + 1)}, [], {})
    with pytest.raises(ValueError):
        wire.problem_from(many)
    assert wire.problem_from(wire.problem_data({"x": (20, 20)}, [], {}))[0] == {"x": (20, 20)}


def test_a_service_started_for_a_process_ends_when_that_process_is_killed(tmp_path):
    """serve's service lives as long as serve: killed with -9 (no cleanup of its own),
    serve leaves no service behind, which notices at once (it sleeps on the pipe's end,
    not on a timer: an idle service costs nothing)."""
    path = tmp_path / "proofs.sock"
    script = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from tutor.engine.proof_service import start_in_child
        print(start_in_child(Path({str(path)!r})), flush=True)
        time.sleep(120)
    """)
    owner = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    service = int(owner.stdout.readline())
    deadline = time.monotonic() + 60
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert path.exists()
    owner.kill()
    owner.wait(10)
    assert wait_gone([service], 10)
    assert not path.exists()  # it removed its socket on the way out


def test_a_service_that_cannot_answer_this_tutor_is_left_for_a_worker_of_its_own():
    """A service of another version (still running after an upgrade) hands out templates
    that read no request of this tutor's: after a second one fails at once, the tutor
    forks its own worker for good, and the proof is proved, not "timed out"."""
    import threading

    from tutor.engine.worker import Worker

    connections: list[int] = []

    def old_template(end: socket.socket) -> None:
        with end:
            send(end.fileno(), _pack(["ready", os.getpid()]))
            receive(end.fileno(), time.monotonic() + 10)  # a request it cannot read: it ends

    def connect() -> int:
        ours, theirs = socket.socketpair()
        threading.Thread(target=old_template, args=(theirs,), daemon=True).start()
        connections.append(ours.fileno())
        return ours.detach()

    worker = Worker(lambda payload: "proved", connect=connect)
    try:
        outcome = worker.request(b"", 5.0)
        assert outcome.finished and outcome.value == "proved"
        assert len(connections) == 2 and not worker.shared  # two tries, then its own
        assert worker.request(b"", 5.0).value == "proved"
        assert len(connections) == 2  # the service is not asked again
    finally:
        worker.stop()
