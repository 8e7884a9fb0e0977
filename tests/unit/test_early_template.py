"""The proof worker's template is forked at the tutor's start, before the app loads, so it
holds none of the app's memory; it sleeps until the first proof, then serves as any
template. Each case runs in a fresh interpreter: what a fork holds depends on what its
process had loaded."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

PROOF = textwrap.dedent("""
    import json, os, sys
    from tutor.engine import early
    {fork}
    # The app's weight, loaded and written after the fork: 300 MB resident here.
    ballast = bytes(300 * 2**20)
    ballast = ballast.replace(b"\\0", b"x", 1)  # a copy: every page written
    from tutor.engine import prover
    from tutor.engine.parser import parse
    from tutor.engine.problem import Problem
    asleep = prover._worker._asleep
    template = prover._worker._pid
    problem = Problem({{"x": (1, 1)}}, [])
    proved = prover.prove(problem, parse("sigma(x) * (1 - sigma(x))", ["x"]),
                          parse("exp(-x) / (1 + exp(-x))^2", ["x"]), 30.0)
    def rss_mb(pid):
        for line in open(f"/proc/{{pid}}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    print(json.dumps({{"asleep": asleep, "same": template == prover._worker._pid,
                      "proved": proved, "rss": rss_mb(prover._worker._pid),
                      "tutor_rss": rss_mb(os.getpid())}}))
""")


def run(fork: str) -> dict:
    done = subprocess.run([sys.executable, "-c", PROOF.format(fork=fork)], capture_output=True,
                          text=True, timeout=120, env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_early_template_serves_proofs_and_holds_none_of_what_was_loaded_after_it():
    result = run("early.fork_proof_template()")
    assert result["asleep"] is True  # adopted by the worker, not yet prepared
    assert result["same"] is True  # the proof ran in it: no second template was forked
    assert result["proved"] is True
    assert result["tutor_rss"] > 300
    assert result["rss"] < 250, result  # sympy, numpy and the engine; not the 300 MB


def test_a_template_forked_from_the_running_tutor_holds_its_memory():
    """The control: without the early fork the template is forked at the first proof, and
    every page the tutor holds then is the template's too."""
    result = run("")
    assert result["asleep"] is False and result["proved"] is True
    assert result["rss"] > 300, result


def test_the_tutor_forks_its_template_before_loading_the_app():
    script = textwrap.dedent("""
        import sys, types
        from tutor.engine import early
        seen = []
        early.fork_template = lambda parts: seen.append(
            [name for name in ("textual", "numpy", "msgspec") if name in sys.modules])
        sys.modules["tutor.app.launch"] = types.SimpleNamespace(run=lambda args: 0)
        import tutor.cli.command as command
        command.refuse_without_terminal = lambda: False
        command.run_app(None)
        print(seen)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[[]]"  # forked once, with none of them loaded


def test_no_early_template_where_a_lab_service_is_named(tmp_path):
    script = textwrap.dedent("""
        from tutor.engine import early
        early.fork_proof_template()
        print(early.adopt())
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60,
                          env={"PATH": "/usr/bin:/bin", "CHAIN_TUTOR_PROOFS": str(tmp_path / "s")})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "None"


def test_an_early_template_whose_tutor_ends_without_a_proof_ends_too():
    script = textwrap.dedent("""
        from tutor.engine import early
        early.fork_proof_template()
        print(early._forked[0], flush=True)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    pid = int(done.stdout)
    import os
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        with open(f"/proc/{pid}/stat") as stat:
            if stat.read().split(")")[-1].split()[0] == "Z":
                return  # ended; reaped by init in time
        time.sleep(0.05)
    raise AssertionError(f"the sleeping template {pid} outlived its tutor")
