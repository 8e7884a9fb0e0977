"""Networks as deep-learning courses assign them: each makes a lesson whose every key agrees
with central finite differences (the oracle, Richardson-extrapolated) at several seeds.

The families: logistic regression (one example, a batch, the loss as −log σ), softmax
regression (with and without a bias), sigmoid, tanh and relu MLPs, layer and batch
normalisation written out, one attention head (with and without a projection), GRU and
LSTM cells, a two-step RNN with shared weights, a tied autoencoder, a VAE's
reparameterisation, skip-gram (full softmax, a negative sample), a backprop-ninja batch
MLP, a residual block, weight decay, a chain of scalar functions. Written for this test,
each family with a variant.
"""

from __future__ import annotations

import numpy as np
import pytest

from tutor.engine import evaluate
from tutor.networks.generator import generate_from_text

SEEDS = (1, 2, 3)
NETWORKS = {
    "logistic": """\
# logistic regression, one example
x : 3x1
w : 1x3
b : 1
y : 1 positive
s = w @ x + b
p = sigma(s)
L = -(y * log(p) + (1 - y) * log(1 - p))
goal: dL/dw
""",
    "logistic-softplus": """\
# logistic loss as -log sigma
x : 3x1
w : 1x3
s = w @ x
L = -log(sigma(s))
goal: dL/dw
""",
    "logistic-batch": """\
# logistic regression on a batch, one column per example
X : 3x4
w : 1x3
Y : 1x4 positive
P = sigma(w @ X)
L = -sum(Y * log(P) + (1 - Y) * log(1 - P))
goal: dL/dw
""",
    "softmax-regression": """\
# softmax regression
x : 4x1
W : 3x4
y : 3x1 onehot
z = W @ x
p = softmax(z)
L = -sum(y * log(p))
goal: dL/dW
""",
    "softmax-regression-bias": """\
# softmax regression with a bias
x : 4x1
W : 3x4
b : 3x1
y : 3x1 onehot
p = softmax(W @ x + b)
L = -sum(y * log(p))
goal: dL/db
""",
    "mlp-sigmoid": """\
# two sigmoid layers, squared loss
x : 2x1
W1 : 3x2
W2 : 1x3
y : 1
h = sigma(W1 @ x)
f = W2 @ h
L = 0.5 * (f - y)^2
goal: dL/dW1
""",
    "mlp-tanh-relu": """\
# tanh then relu
x : 3x1
W1 : 4x3
W2 : 2x4
v : 1x2
h1 = tanh(W1 @ x)
h2 = relu(W2 @ h1)
f = v @ h2
goal: df/dW1
""",
    "layernorm": """\
# layer normalisation written out
x : 4x1
g : 4x1
c : 4x1
w : 1x4
mu = sum(x) / 4
d = x - mu
v = sum(d * d) / 4
n = d / sqrt(v + 0.00001)
y = g * n + c
L = w @ y
goal: dL/dx
""",
    "batchnorm": """\
# batch normalisation written out, examples in rows
X : 4x3
gamma : 3x1
beta : 1x3
mu = ones(1, 4) @ X / 4
D = X - ones(4, 1) @ mu
V = ones(1, 4) @ (D * D) / 4
N = D / (ones(4, 1) @ sqrt(V + 0.00001))
Y = N @ diag(gamma) + ones(4, 1) @ beta
L = sum(Y * Y)
goal: dL/dgamma
""",
    "batchnorm-input": """\
# batch normalisation: the input's gradient
X : 4x3
G : 1x3
beta : 1x3
mu = ones(1, 4) @ X / 4
D = X - ones(4, 1) @ mu
V = ones(1, 4) @ (D * D) / 4
N = D / (ones(4, 1) @ sqrt(V + 0.00001))
Y = N * (ones(4, 1) @ G) + ones(4, 1) @ beta
L = sum(tanh(Y))
goal: dL/dX
""",
    "attention": """\
# one attention head, one query
q : 3x1
K : 4x3
V : 4x2
w : 1x2
s = K @ q / 1.7
a = softmax(s)
o = V.T @ a
L = w @ o
goal: dL/dK
""",
    "attention-projected": """\
# one attention head with a query projection
x : 3x1
Wq : 3x3
K : 4x3
V : 4x2
w : 1x2
q = Wq @ x
a = softmax(K @ q)
o = V.T @ a
L = w @ tanh(o)
goal: dL/dWq
""",
    "gru": """\
# a GRU cell
x : 2x1
h : 2x1
Wz : 2x2
Uz : 2x2
Wr : 2x2
Ur : 2x2
Wn : 2x2
Un : 2x2
w : 1x2
z = sigma(Wz @ x + Uz @ h)
r = sigma(Wr @ x + Ur @ h)
n = tanh(Wn @ x + Un @ (r * h))
g = (1 - z) * n + z * h
L = w @ g
goal: dL/dUn
""",
    "gru-state": """\
# a GRU cell: the state's gradient
x : 2x1
h : 2x1
Wz : 2x2
Uz : 2x2
Un : 2x2
w : 1x2
z = sigma(Wz @ x + Uz @ h)
n = tanh(Un @ h + x)
g = (1 - z) * n + z * h
L = w @ g
goal: dL/dh
""",
    "lstm": """\
# an LSTM cell
x : 2x1
h : 2x1
c : 2x1
Wi : 2x2
Wf : 2x2
Wo : 2x2
Wg : 2x2
w : 1x2
i = sigma(Wi @ x + h)
f = sigma(Wf @ x + h)
o = sigma(Wo @ x + h)
g = tanh(Wg @ x)
c2 = f * c + i * g
h2 = o * tanh(c2)
L = w @ h2
goal: dL/dWf
""",
    "lstm-cell": """\
# an LSTM cell: the cell state's gradient
x : 2x1
h : 2x1
c : 2x1
Wf : 2x2
Wo : 2x2
w : 1x2
f = sigma(Wf @ x + h)
o = sigma(Wo @ x + h)
c2 = f * c + tanh(x)
h2 = o * tanh(c2)
L = w @ h2
goal: dL/dc
""",
    "rnn": """\
# a two-step RNN, weights shared
x1 : 2x1
x2 : 2x1
h0 : 3x1
W : 3x2
U : 3x3
v : 1x3
h1 = tanh(W @ x1 + U @ h0)
h2 = tanh(W @ x2 + U @ h1)
L = v @ h2
goal: dL/dW
""",
    "rnn-recurrent": """\
# a two-step RNN: the recurrent weights
x1 : 2x1
x2 : 2x1
h0 : 2x1
W : 2x2
U : 2x2
v : 1x2
h1 = tanh(W @ x1 + U @ h0)
h2 = tanh(W @ x2 + U @ h1)
L = v @ h2
goal: dL/dU
""",
    "autoencoder": """\
# a tied autoencoder
x : 3x1
W : 2x3
h = sigma(W @ x)
r = W.T @ h
L = sum((r - x) * (r - x))
goal: dL/dW
""",
    "autoencoder-relu": """\
# a tied autoencoder with relu
x : 4x1
W : 2x4
h = relu(W @ x)
r = W.T @ h
L = sum((r - x)^2)
goal: dL/dW
""",
    "vae": """\
# a VAE's reparameterisation
x : 3x1
Wm : 2x3
Wv : 2x3
e : 2x1
m = Wm @ x
lv = Wv @ x
z = m + exp(0.5 * lv) * e
L = sum(z * z) - 0.5 * sum(1 + lv - m * m - exp(lv))
goal: dL/dWv
""",
    "vae-mean": """\
# a VAE: the mean's weights
x : 3x1
Wm : 2x3
Wv : 2x3
e : 2x1
m = Wm @ x
z = m + exp(0.5 * (Wv @ x)) * e
L = sum(z * z) + 0.5 * sum(m * m)
goal: dL/dWm
""",
    "skipgram": """\
# skip-gram with a full softmax
x : 5x1 onehot
y : 5x1 onehot
W : 5x3
U : 5x3
h = W.T @ x
p = softmax(U @ h)
L = -sum(y * log(p))
goal: dL/dW
""",
    "skipgram-negative": """\
# skip-gram with one negative sample
h : 3x1
u : 3x1
n : 3x1
L = -log(sigma(u.T @ h)) - log(sigma(-(n.T @ h)))
goal: dL/dh
""",
    "ninja": """\
# a batch MLP, backprop-ninja style: one column per example
X : 3x4
W1 : 5x3
b1 : 5x1
W2 : 2x5
b2 : 2x1
Y : 2x4
H = tanh(W1 @ X + b1 @ ones(1, 4))
Z = W2 @ H + b2 @ ones(1, 4)
L = sum((Z - Y) * (Z - Y)) / 4
goal: dL/dW1
""",
    "ninja-bias": """\
# a batch MLP: the first bias
X : 3x4
W1 : 5x3
b1 : 5x1
W2 : 2x5
H = relu(W1 @ X + b1 @ ones(1, 4))
Z = W2 @ H
L = sum(Z * Z) / 4
goal: dL/db1
""",
    "residual": """\
# a residual block
x : 3x1
W1 : 3x3
W2 : 3x3
w : 1x3
h = x + W2 @ relu(W1 @ x)
L = w @ h
goal: dL/dx
""",
    "weight-decay": """\
# squared loss with weight decay
x : 3x1
W : 2x3
y : 2x1
e = W @ x - y
L = sum(e * e) + 0.01 * sum(W * W)
goal: dL/dW
""",
    "scalar-chain": """\
# a chain of scalar functions
a : 1
b = a^3 - 2 * a
c = exp(-b^2)
d = -tanh(c) / 3
goal: dd/da
""",
}
# A variant that differs from its family's network in its last lines only.
NETWORKS["layernorm-gain"] = NETWORKS["layernorm"].replace(
    " written out", ": the gain's gradient").replace(
    "L = w @ y\ngoal: dL/dx", "L = w @ tanh(y)\ngoal: dL/dg")



def richardson(problem, of: str, wrt: str, values, h: float = 1e-4) -> np.ndarray:
    """Central differences at h and h/2, extrapolated: error O(h⁴) where the function is
    smooth, so a saturated σ or softmax is measured as well as a tame one."""
    coarse = problem.numeric_derivative(of, wrt, values, h)
    fine = problem.numeric_derivative(of, wrt, values, h / 2)
    return (4 * fine - coarse) / 3


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_a_course_network_makes_a_lesson_whose_keys_agree_with_finite_differences(name):
    lesson = generate_from_text(NETWORKS[name], name, symbolic_budget=0)
    assert lesson.steps
    for seed in SEEDS:
        values = lesson.variant(seed).values
        for step in lesson.steps:
            key = evaluate(lesson.factors[step.id].expected, values)
            truth = richardson(lesson.problem, step.of, step.wrt, values)
            assert key.size == truth.size, (step.id, key.shape, truth.shape)
            scale = max(1.0, float(np.max(np.abs(truth))))
            assert np.allclose(key.reshape(truth.shape), truth, rtol=1e-5, atol=1e-6 * scale), (
                name, seed, step.id, key, truth)


def test_every_family_is_here_with_a_variant():
    families = {name.split("-")[0] for name in NETWORKS}
    assert len(NETWORKS) >= 25 and len(families) >= 15
