"""Generating a lesson from a network file and validating it, as `chain-tutor new` does.

`python benchmarks/generate.py [RUNS]` (run.py runs it in a fresh process) prints one JSON
object: for a depth-8 × width-8 network (x : 8x1, W1..W8 : 8x8, tanh and σ layers, a
squared loss, goal dL/dW1),

- ``fd``: generation with finite-difference validation only (symbolic budget 0), the
  first run in the process and the median of RUNS; and the whole command
  `chain-tutor new FILE --budget 0 -o LESSON` (interpreter start and imports included);
- ``full``: the same with sympy at `chain-tutor new`'s default --budget (read from its
  argument parser), the median of up to 3 runs, with what became of each step's proof;
- ``random``: `new`'s work at that budget on the first 20 random networks of
  `practice --random` (tutor.networks.drawn), which is what students' own networks
  look like: per network, the median and the longest;
- ``worst``: the whole command `chain-tutor new FILE -o LESSON` (default budget and
  time limit) on the worst network the limits admit (worst_admitted: 60 definitions,
  20×20 weights, 8 goals, padded to just under validation.MAX_WORK), one run, with its
  CPU time; the landed code before the limits took 386 s on the unpadded network;
- ``course``: the whole commands `chain-tutor new FILE -o LESSON` and then
  `chain-tutor validate LESSON` (default budgets) on the hardest network a course
  assigns (course_batch: a batch MLP with batch normalisation written out and
  softmax cross-entropy, three goals), one run each, with their CPU times; issue #22
  reported 97 s for new + validate on such a network (`validate` then repeated all of
  `new`'s work; `new` now stamps the lesson and `validate` trusts the stamp). Target: 10 s.

A proof's outcome and time are recorded by wrapping tutor.engine.prover.prove_derivative
(the proof worker), which validation calls once per step: "proved", "cut" (the budget
ran out, or the expression was past the size bounds before sympy started), "undecided".
"""

from __future__ import annotations

import json
import statistics
import sys
import time

DEPTH = WIDTH = 8
RANDOM_SEEDS = range(20)


def deep_network(depth: int = DEPTH, width: int = WIDTH) -> str:
    lines = [f"x : {width}x1"] + [f"W{i} : {width}x{width}" for i in range(1, depth + 1)]
    lines += [f"w : 1x{width}", "y : 1"]
    h = "x"
    for i in range(1, depth + 1):
        lines += [f"z{i} = W{i} @ {h}", f"h{i} = {'tanh' if i % 2 else 'sigma'}(z{i})"]
        h = f"h{i}"
    lines += [f"f = w @ {h}", "L = 0.5 * (f - y)^2", "goal: dL/dW1"]
    return "\n".join(lines) + "\n"


def worst_admitted(pad: int = 50) -> str:
    """x : 20x1 through 29 tanh/σ layers of 20×20 weights to a squared loss, with 8 goals
    dL/dW1..dL/dW8 (32 inputs, 60 definitions, 8 goals: each at its limit), each layer
    padded with `+ c` terms (an input off every path) until the lesson's validation work
    is just under the limit (pad 52 is refused)."""
    lines = ["x : 20x1", "c : 20x1"] + [f"W{i} : 20x20" for i in range(1, 30)]
    lines += ["w : 1x20", "y : 1"]
    h = "x"
    for i in range(1, 30):
        lines += [f"z{i} = W{i} @ {h}" + " + c" * pad,
                  f"h{i} = {'tanh' if i % 2 else 'sigma'}(z{i})"]
        h = f"h{i}"
    lines += [f"f = w @ {h}", "L = 0.5 * (f - y)^2"]
    return "\n".join(lines + [f"goal: dL/dW{i}" for i in range(1, 9)]) + "\n"


def course_batch() -> str:
    """A course's "backprop by hand" exercise: a batch of 8 examples (rows) through a
    linear layer, batch normalisation written out (mean, variance, scale and shift),
    tanh, a second linear layer, a row-wise softmax and the mean cross-entropy; the
    gradients of both weight matrices and of the scale."""
    return "\n".join([
        "# batch MLP with batch norm and softmax cross-entropy",
        "X : 8x4", "W1 : 4x6", "b1 : 1x6", "gamma : 1x6", "beta : 1x6", "W2 : 6x3",
        "b2 : 1x3", "Y : 8x3 onehot",
        "H0 = X @ W1 + ones(8, 1) @ b1",
        "mu = ones(1, 8) @ H0 / 8",
        "D = H0 - ones(8, 1) @ mu",
        "var = ones(1, 8) @ D^2 / 8",
        "Xhat = D / (ones(8, 1) @ sqrt(var + 0.00001))",
        "Hbn = Xhat * (ones(8, 1) @ gamma) + ones(8, 1) @ beta",
        "H = tanh(Hbn)",
        "Z = H @ W2 + ones(8, 1) @ b2",
        "E = exp(Z)",
        "P = E / (E @ ones(3, 3))",
        "L = -sum(Y * log(P)) / 8",
        "goal: dL/dW1", "goal: dL/dgamma", "goal: dL/dW2"]) + "\n"


def course_command() -> dict:
    """`chain-tutor new` then `chain-tutor validate` on course_batch(): wall and CPU."""
    import os
    import subprocess
    import tempfile
    from pathlib import Path

    from tutor.networks.generator import generate_from_text

    text = course_batch()
    steps = len(generate_from_text(text, validate=False).steps)
    timed = {}
    with tempfile.TemporaryDirectory() as folder:
        network, lesson = Path(folder) / "course.txt", Path(folder) / "course.toml"
        network.write_text(text, encoding="utf-8")
        for name, command in (("new", ["new", str(network), "-o", str(lesson)]),
                              ("validate", ["validate", str(lesson)])):
            before = os.times()
            start = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "tutor", *command],
                                  capture_output=True)
            after = os.times()
            timed[f"{name}_s"] = time.perf_counter() - start
            timed[f"{name}_cpu_s"] = (after.children_user + after.children_system
                                      - before.children_user - before.children_system)
            timed[f"{name}_exit"] = done.returncode
    return {"network": "batch MLP (8×4 batch) with batch norm and cross-entropy, 3 goals",
            "steps": steps, **timed, "total_s": timed["new_s"] + timed["validate_s"]}


def worst_command() -> dict:
    """One run of the real `chain-tutor new` on worst_admitted(): wall and CPU time."""
    import os
    import subprocess
    import tempfile
    from pathlib import Path

    from tutor.lessons.validation import MAX_WORK, validation_work
    from tutor.networks.generator import TIME_LIMIT, generate_from_text

    text = worst_admitted()
    lesson = generate_from_text(text, validate=False)
    with tempfile.TemporaryDirectory() as folder:
        network = Path(folder) / "worst.txt"
        network.write_text(text, encoding="utf-8")
        before = os.times()
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "tutor", "new", str(network), "-o",
                               str(Path(folder) / "worst.toml")], capture_output=True)
        wall = time.perf_counter() - start
        after = os.times()
    return {
        "network": "depth 29 × width 20, 60 definitions, 8 goals, padded to the work limit",
        "steps": len(lesson.steps),
        "work": sum(validation_work(lesson)),
        "max_work": MAX_WORK,
        "exit": done.returncode,
        "command_s": wall,
        "command_cpu_s": (after.children_user + after.children_system
                          - before.children_user - before.children_system),
        "time_limit_s": TIME_LIMIT,
    }


def new_default_budget() -> float:
    from tutor.cli.parser import build_parser

    return build_parser().parse_args(["new", "network.txt"]).budget


class ProofLog:
    """Each proof validation asks for: its outcome and its wall time (request to verdict)."""

    def __init__(self) -> None:
        import tutor.engine.prover as prover

        self.entries: list[tuple[str, float]] = []
        original = prover.prove_derivative

        def timed(problem, node, of, wrt, budget):
            start = time.perf_counter()
            proof = original(problem, node, of, wrt, budget)
            outcome = {True: "proved", "timeout": "cut"}.get(proof, "undecided")
            self.entries.append((outcome, time.perf_counter() - start))
            return proof

        prover.prove_derivative = timed

    def take(self) -> list[tuple[str, float]]:
        entries, self.entries = self.entries, []
        return entries


def outcomes(entries: list[tuple[str, float]]) -> dict:
    proved = [seconds for outcome, seconds in entries if outcome == "proved"]
    return {
        "steps": len(entries),
        "proved": len(proved),
        "cut": sum(outcome == "cut" for outcome, _ in entries),
        "undecided": sum(outcome == "undecided" for outcome, _ in entries),
        "slowest_proved_s": max(proved, default=0.0),
    }


def timed_generate(text: str, budget: float) -> tuple[float, int]:
    from tutor.networks.generator import generate_from_text

    start = time.perf_counter()
    lesson = generate_from_text(text, symbolic_budget=budget)
    return time.perf_counter() - start, len(lesson.steps)


def command_seconds(text: str, runs: int) -> float:
    """The median wall time of the real `chain-tutor new FILE --budget 0 -o LESSON`."""
    import subprocess
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        network = Path(folder) / "deep.txt"
        network.write_text(text, encoding="utf-8")
        command = [sys.executable, "-m", "tutor", "new", str(network), "--budget", "0", "-o",
                   str(Path(folder) / "deep.toml")]
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    from tutor.networks.drawn import random_network

    log = ProofLog()  # imports sympy, which validation imports anyway: not in fd_first_s
    budget = new_default_budget()
    text = deep_network()
    fd = [timed_generate(text, 0.0) for _ in range(runs)]
    log.take()
    full = []
    for _ in range(min(runs, 3)):
        full.append(timed_generate(text, budget)[0])
        proofs = log.take()
    per_network, random_proofs = [], []
    for seed in RANDOM_SEEDS:
        per_network.append(timed_generate(random_network(seed), budget)[0])
        random_proofs += log.take()
    worst = worst_command()
    course = course_command()
    print(json.dumps({
        "network": f"depth {DEPTH} × width {WIDTH}, squared loss, goal dL/dW1",
        "steps": fd[0][1],
        "fd_first_s": fd[0][0],
        "fd_s": statistics.median(seconds for seconds, _ in fd),
        "command_fd_s": command_seconds(text, runs),
        "budget_s": budget,
        "full_s": statistics.median(full),
        "full_runs": len(full),
        "full_proofs": outcomes(proofs),
        "random": {
            "networks": len(per_network),
            "median_s": statistics.median(per_network),
            "max_s": max(per_network),
            "total_s": sum(per_network),
            "proofs": outcomes(random_proofs),
        },
        "worst": worst,
        "course": course,
    }))


if __name__ == "__main__":
    main()
