"""Random networks: what is drawn, the same for a seed everywhere, and titled for the lesson.

That every drawn network becomes a lesson whose keys pass finite differences is held by
test_random_networks_validate in test_generator.py (500 seeds), and with sympy by
test_random_networks_keys_are_proved_where_sympy_finishes there.
"""

from __future__ import annotations

import re

from tutor.networks.drawn import draw_network, random_network
from tutor.networks.reader import parse_network

SEEDS = range(300)

SEED_17 = """\
# Random network 17: depth 4, widths 2-4-1-3-4, tanh-relu-sigma-tanh
x : 2x1 normal
W1 : 4x2 normal
W2 : 1x4 normal
W3 : 3x1 normal
W4 : 4x3 normal
w : 1x4
z1 = W1 @ x
h1 = tanh(z1)
z2 = W2 @ h1
h2 = relu(z2)
z3 = W3 @ h2
h3 = sigma(z3)
z4 = W4 @ h3
h4 = tanh(z4)
f = w @ h4
goal: df/dW2
"""


def test_a_seed_draws_the_same_network_every_time_and_seeds_differ():
    assert draw_network(17).text == SEED_17  # as before there were batches: none is drawn
    assert random_network(17) == SEED_17
    assert len({draw_network(seed).text for seed in SEEDS}) == len(SEEDS)


def test_the_title_is_the_files_first_comment_so_the_lesson_shows_it():
    drawn = draw_network(17)
    assert drawn.title == "Random network 17: depth 4, widths 2-4-1-3-4, tanh-relu-sigma-tanh"
    assert parse_network(drawn.text).title == drawn.title


def test_the_draws_cover_what_the_issue_lists():
    networks = [parse_network(draw_network(seed).text) for seed in SEEDS]
    depths = {sum(1 for i in n.inputs if re.fullmatch(r"W\d", i.name)) for n in networks}
    assert depths == {1, 2, 3, 4}
    sides = {side for n in networks for i in n.inputs if i.name.startswith("W")
             for side in i.shape}
    assert sides == {1, 2, 3, 4}
    texts = [draw_network(seed).text for seed in SEEDS]
    for function in ("sigma(", "tanh(", "relu(", "softmax("):
        assert any(function in text for text in texts), function
    titles = [draw_network(seed).title for seed in SEEDS]
    for word in ("skip", "squared loss", "softmax loss", "batch of 2", "batch of 3"):
        assert any(word in title for title in titles), word


def test_about_one_network_in_four_is_a_batch_whose_loss_sums_to_a_scalar():
    batches = [draw_network(seed) for seed in SEEDS if "batch" in draw_network(seed).title]
    assert 0.15 < len(batches) / len(SEEDS) < 0.35
    for drawn in batches:
        network = parse_network(drawn.text)
        columns = int(drawn.title.rsplit(" ", 1)[1])
        assert network.shapes["X"][1] == columns and "x" not in network.shapes
        assert all(d.shape[1] == columns for d in network.definitions if d.name[0] in "ZHF")
        goal = network.goals[0]
        assert network.shapes[goal.of] == (1, 1)
        assert "softmax" not in drawn.text  # softmax takes a vector, not a batch
        if "squared loss" in drawn.title:
            assert network.shapes["Y"] == (1, columns)
            assert network.definition("L").text == "0.5 * sum((F - Y)^2)"
        else:
            assert network.definition("f").text == "sum(F)"


def test_no_relu_where_a_dead_layer_would_put_it_at_its_kink():
    for seed in range(2000):
        activations = re.findall(r"= (?:\w+ \+ )?(sigma|tanh|relu)\(", draw_network(seed).text)
        for layer, activation in enumerate(activations[:-1]):
            if activation == "relu":
                assert activations[layer + 1] == "sigma", seed
                assert activations[layer + 2:layer + 3] != ["relu"], seed
