"""Random networks for endless practice, written as network files.

A drawn network is text in the network-file syntax, so that what a student practises
is exactly what they could have typed, goes through the same reader and generator, and
can be saved and shared. The same seed gives the same network on every machine
(stdlib random). Its first line is a comment with a short title, which the network
reader takes as the lesson's title.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

ACTIVATIONS = ("sigma", "tanh", "relu")
BATCH_CHANCE = 0.25
BATCH_SIZES = (2, 3)
LOSS_WORDS = {"none": "", "squared": "squared loss", "softmax": "softmax loss"}
# Skills no drawn network exercises: nothing drawn multiplies two functions of the
# weights (tests/unit/test_weakest.py checks this list against 200 seeds; 500 were seen).
UNDRAWN_SKILLS = frozenset({"product-rule"})
SKILL_TRIES = 500  # seeds tried for a skill; the rarest drawn (sum-of-paths) is 1 in 15


@dataclass(frozen=True)
class RandomNetwork:
    """A drawn network: its network-file text and the title its first line holds."""

    seed: int
    title: str
    text: str


def random_network(seed: int) -> str:
    """The network file of ``draw_network(seed)``."""
    return draw_network(seed).text


def draw_network(seed: int) -> RandomNetwork:
    """Depth 1–4, widths 1–4, σ/tanh/relu, maybe a skip connection, maybe a loss, and one
    time in four a mini-batch of 2 or 3 columns.

    The batch is drawn from a stream of its own, so a seed drawn before there were
    batches still gives the same network when it draws none.
    """
    rng = random.Random(f"network/{seed}")
    batch_rng = random.Random(f"network/{seed}/batch")
    batch = batch_rng.choice(BATCH_SIZES) if batch_rng.random() < BATCH_CHANCE else 0
    depth = rng.randint(1, 4)
    widths = [rng.randint(1, 4) for _ in range(depth + 1)]
    loss = rng.choice(("none", "squared", "softmax"))
    if batch and loss == "softmax":  # softmax takes a vector: a batch has no softmax loss
        loss = batch_rng.choice(("none", "squared"))
    body = _Body(batch)
    skip = rng.random() < 0.4
    skipped = False
    activations: list[str] = []
    h = body.x
    layers = []
    for layer in range(1, depth + 1):
        activation = _activation(rng.choice(ACTIVATIONS), activations,
                                 loss == "softmax" and layer == depth)
        activations.append(activation)
        z, out = body.z(layer), body.h(layer)
        layers.append(f"{z} = W{layer} @ {h}")
        if skip and layer > 1 and widths[layer] == widths[layer - 1]:
            layers.append(f"{out} = {h} + {activation}({z})")
            skip, skipped = False, True
        else:
            layers.append(f"{out} = {activation}({z})")
        h = out
    goal = rng.randint(1, depth)
    title = _title(seed, widths, activations, skipped, loss, batch)
    lines = [f"# {title}", *body.inputs(widths, loss), *layers, *body.top(h, loss),
             f"goal: d{'L' if loss != 'none' else 'f'}/dW{goal}"]
    return RandomNetwork(seed, title, "\n".join(lines) + "\n")


def drawn_skills(seed: int) -> frozenset[str]:
    """The skills of the steps of random network ``seed``'s lesson (made, not validated:
    a few milliseconds); none if it cannot be made."""
    from tutor.networks.generator import generate
    from tutor.networks.reader import parse_network

    try:
        lesson = generate(parse_network(random_network(seed)), validate=False)
    except Exception:  # noqa: BLE001 - a network that cannot be asked exercises nothing
        return frozenset()
    return frozenset(skill for step in lesson.steps for skill in step.skills)


def network_for_skill(skill: str, start: int, tries: int = SKILL_TRIES) -> int | None:
    """The first seed from ``start`` on (start, start + 1, …) whose random network has a
    step carrying ``skill``; None if none of ``tries`` seeds does."""
    from tutor.seeds import SEED_HIGHEST

    if skill in UNDRAWN_SKILLS:
        return None
    for seed in range(start, min(start + tries, SEED_HIGHEST + 1)):
        if skill in drawn_skills(seed):
            return seed
    return None


def _activation(drawn: str, before: list[str], last_before_softmax: bool) -> str:
    """The drawn activation, unless it would put a relu at its kink or softmax on big scores.

    A relu layer may be all 0: after it, tanh would pass on its 0 and a relu would sit at
    its kink, so the next layer is σ. σ of that dead layer is 0.5 everywhere, and a sum of
    two-decimal weights times 0.5 can be exactly 0, so a relu right after that σ becomes
    tanh. Before softmax, σ keeps the scores bounded.
    """
    if last_before_softmax or before[-1:] == ["relu"]:
        return "sigma"
    if drawn == "relu" and before[-2:] == ["relu", "sigma"]:
        return "tanh"
    return drawn


class _Body:
    """The names and lines that differ between one input column and a batch of them."""

    def __init__(self, batch: int) -> None:
        self.batch = batch
        self.x = "X" if batch else "x"

    def z(self, layer: int) -> str:
        return f"Z{layer}" if self.batch else f"z{layer}"

    def h(self, layer: int) -> str:
        return f"H{layer}" if self.batch else f"h{layer}"

    def inputs(self, widths: list[int], loss: str) -> list[str]:
        # Two-decimal normal draws: with one decimal, a relu's input is exactly 0 (its kink,
        # where no derivative exists) too often, and a layer of dead relus zeroes the next.
        columns = self.batch or 1
        lines = [f"{self.x} : {widths[0]}x{columns} normal"]
        depth = len(widths) - 1
        for layer in range(1, depth + 1):
            lines.append(f"W{layer} : {widths[layer]}x{widths[layer - 1]} normal")
        outputs = 3 if loss == "softmax" else 1
        # Output weights within ±1 keep softmax's probabilities away from 0, where log's
        # finite differences lose their digits.
        lines.append(f"w : {outputs}x{widths[depth]}" + (" positive" if loss == "softmax" else ""))
        if loss == "squared":
            lines.append(f"Y : 1x{self.batch}" if self.batch else "y : 1")
        elif loss == "softmax":
            lines.append("y : 3x1 onehot")
        return lines

    def top(self, h: str, loss: str) -> list[str]:
        """The output and the scalar on top of it: a batch's output row is summed."""
        if not self.batch:
            lines = [f"f = w @ {h}"]
            if loss == "squared":
                lines.append("L = 0.5 * (f - y)^2")
            elif loss == "softmax":
                lines += ["p = softmax(f)", "L = -sum(y * log(p))"]
            return lines
        if loss == "squared":
            return [f"F = w @ {h}", "L = 0.5 * sum((F - Y)^2)"]
        return [f"F = w @ {h}", "f = sum(F)"]


def _title(seed: int, widths: list[int], activations: list[str], skip: bool, loss: str,
           batch: int) -> str:
    parts = [f"depth {len(activations)}", "widths " + "-".join(map(str, widths)),
             "-".join(activations)]
    if skip:
        parts.append("skip")
    if LOSS_WORDS[loss]:
        parts.append(LOSS_WORDS[loss])
    if batch:
        parts.append(f"batch of {batch}")
    return f"Random network {seed}: " + ", ".join(parts)
