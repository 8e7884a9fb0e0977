"""Random networks for endless practice, written as network files.

A drawn network is text in the network-file syntax, so that what a student practises
is exactly what they could have typed, goes through the same reader and generator, and
can be saved and shared. The same seed gives the same network on every machine
(stdlib random).
"""

from __future__ import annotations

import random

ACTIVATIONS = ("sigma", "tanh", "relu")


def random_network(seed: int) -> str:
    """Depth 1–4, widths 1–4, σ/tanh/relu, maybe a skip connection, maybe a loss."""
    rng = random.Random(f"network/{seed}")
    depth = rng.randint(1, 4)
    widths = [rng.randint(1, 4) for _ in range(depth + 1)]
    loss = rng.choice(("none", "squared", "softmax"))
    # Two-decimal normal draws: with one decimal, a relu's input is exactly 0 (its kink,
    # where no derivative exists) too often, and a layer of dead relus zeroes the next.
    lines = [f"# a random network (seed {seed})", f"x : {widths[0]}x1 normal"]
    for layer in range(1, depth + 1):
        lines.append(f"W{layer} : {widths[layer]}x{widths[layer - 1]} normal")
    outputs = 3 if loss == "softmax" else 1
    # Output weights within ±1 keep softmax's probabilities away from 0, where log's
    # finite differences lose their digits.
    lines.append(f"w : {outputs}x{widths[depth]}" + (" positive" if loss == "softmax" else ""))
    if loss == "squared":
        lines.append("y : 1")
    elif loss == "softmax":
        lines.append("y : 3x1 onehot")
    h = "x"
    skip = rng.random() < 0.4
    previous = ""
    for layer in range(1, depth + 1):
        lines.append(f"z{layer} = W{layer} @ {h}")
        activation = rng.choice(ACTIVATIONS)
        if previous == "relu" or (loss == "softmax" and layer == depth):
            # After a relu layer, which may be all 0, tanh would pass on its 0 and a second
            # relu would sit at its kink; σ(0) = 0.5. Before softmax, σ keeps scores bounded.
            activation = "sigma"
        previous = activation
        if skip and layer > 1 and widths[layer] == widths[layer - 1]:
            lines.append(f"h{layer} = {h} + {activation}(z{layer})")
            skip = False
        else:
            lines.append(f"h{layer} = {activation}(z{layer})")
        h = f"h{layer}"
    lines.append(f"f = w @ {h}")
    top = "f"
    if loss == "squared":
        lines.append("L = 0.5 * (f - y)^2")
        top = "L"
    elif loss == "softmax":
        lines += ["p = softmax(f)", "L = -sum(y * log(p))"]
        top = "L"
    lines.append(f"goal: d{top}/dW{rng.randint(1, depth)}")
    return "\n".join(lines) + "\n"
