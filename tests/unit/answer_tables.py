"""Answer tables for every step of the shipped curriculum, checked against seed 1.

For each lesson and step: answers that must be accepted (genuinely different forms,
at least one numbers-only matrix literal per lesson, computed for seed 1 with
`chain-tutor show LESSON --seed 1 --json`), and wrong answers with the diagnosis code
each must produce ("" for a plain wrong answer with no diagnosis).
"""

from __future__ import annotations

SEED = 1

# lesson id -> step id -> {"accept": [answer, ...], "reject": [(answer, code), ...]}
TABLES: dict[str, dict[str, dict[str, list]]] = {
    "scalar-chain-rule": {
        "du_dx": {
            "accept": ["3", "[3]", "6 / 2"],
            "reject": [
                ("1", "scale"),
                ("3 * x", "known-mistake"),
                ("3 * x + 1", "known-mistake"),
                ("-3", "sign"),
            ],
        },
        "dv_du": {
            "accept": ["2 * u", "u + u", "6*x + 2", "2 * (3*x + 1)", "[-2.8]"],
            "reject": [
                ("u", "known-mistake"),
                ("u", "scale"),
                ("2 * x", "known-mistake"),
                ("-2 * u", "sign"),
                ("u^2", ""),
                ("0*u - 2.8", "specific-values"),
            ],
        },
        "dy_dv": {
            "accept": ["-exp(-v)", "-y", "-1 / exp(v)", "-exp(-u^2)", "[-0.14086]"],
            "reject": [
                ("exp(-v)", "known-mistake"),
                ("y", "sign"),
                ("-v * exp(-v - 1)", "known-mistake"),
                ("-2 * exp(-v)", "scale"),
            ],
        },
        "dy_dx": {
            "accept": [
                "-exp(-v) * 2 * u * 3",
                "-6 * u * y",
                "3 * 2*u * (-y)",
                "-6 * (3*x + 1) * exp(-(3*x + 1)^2)",
                "[1.1832]",
            ],
            "reject": [
                ("-exp(-v) * 2 * u", "known-mistake"),
                ("-2 * u * exp(-v)", "scale"),
                ("6 * u * y", "sign"),
                ("-exp(-v)", "known-mistake"),
                ("-6 * x * y", "wrong-quantity"),
                ("-exp(-v) * 2 * u * 3 * 3", "extra-factor"),
            ],
        },
    },
    "sigmoid-derivative": {
        "ds_dt": {
            "accept": [
                "s * (1 - s)",
                "sigma(t) * (1 - sigma(t))",
                "exp(-t) / (1 + exp(-t))^2",
                "s - s^2",
                "[0.19661]",
            ],
            "reject": [
                ("s", "known-mistake"),
                ("-exp(-t) / (1 + exp(-t))^2", "sign"),
                ("sigma(s) * (1 - sigma(s))", "known-mistake"),
                ("2 * s * (1 - s)", "scale"),
            ],
        },
        "dr_dt": {
            "accept": [
                "2 * r * (1 - r)",
                "2 * sigma(2*t) * (1 - sigma(2*t))",
                "(r - r^2) * 2",
                "[0.20999]",
            ],
            "reject": [
                ("r * (1 - r)", "scale"),
                ("r * (1 - r)", "known-mistake"),
                ("2 * s * (1 - s)", "known-mistake"),
                ("-2 * r * (1 - r)", "sign"),
            ],
        },
        "dg_dh": {
            "accept": ["ones(1, 3)", "[1 1 1]", "ones(3, 1).T", "(h / h).T"],
            "reject": [
                ("ones(3, 1)", "transpose"),
                ("h.T", "known-mistake"),
                ("2 * ones(1, 3)", "scale"),
                ("1", "shape"),
            ],
        },
        "dg_dz": {
            "accept": [
                "(h * (1 - h)).T",
                "(sigma(z) * (1 - sigma(z))).T",
                "ones(1, 3) * (h * (1 - h)).T",
                "h.T - (h^2)'",
                "[0.19661 0.24752 0.24938]",
            ],
            "reject": [
                ("h * (1 - h)", "transpose"),
                ("h.T", "known-mistake"),
                ("diag(h * (1 - h))", "vector-vs-diag"),
                ("-(h * (1 - h)).T", "sign"),
                ("(h * (1 - h)).T @ h", "shape"),
            ],
        },
    },
    "linear-jacobian": {
        "dz_dx": {
            "accept": ["W", "W.T.T", "W''", "[0 3; 0 3; -1 -3]"],
            "reject": [
                ("W.T", "transpose"),
                ("x.T", "known-mistake"),
                ("-W", "sign"),
                ("2 * W", "scale"),
            ],
        },
        "dz_db": {
            "accept": ["eye(3)", "diag(ones(3, 1))", "[1 0 0; 0 1 0; 0 0 1]"],
            "reject": [
                ("ones(3, 1)", "vector-vs-diag"),
                ("ones(3, 3)", "known-mistake"),
                ("-eye(3)", "sign"),
                ("1", "shape"),
            ],
        },
        "dy_dz": {
            "accept": ["A", "(A.T).T", "A @ eye(3)"],
            "reject": [("A.T", "transpose"), ("W", "shape"), ("-A", "sign")],
        },
        "dy_dx": {
            "accept": ["A @ W", "(W.T @ A.T).T", "A @ eye(3) @ W", "[-2 -12; 1 9]"],
            "reject": [
                ("W @ A", "known-mistake"),
                ("W @ A", "order"),
                ("W.T @ A.T", "transpose"),
                ("-A @ W", "sign"),
                ("A @ (W + W)", "scale"),
                ("A @ W - A @ W + [-2 -12; 1 9]", "specific-values"),
            ],
        },
        "dy_db": {
            "accept": ["A", "A @ eye(3)", "[-1 -1 2; 3 -1 -1]"],
            "reject": [
                ("A @ ones(3, 1)", "known-mistake"),
                ("A.T", "transpose"),
                ("W", "shape"),
            ],
        },
    },
    "elementwise-activation": {
        "dh_dz": {
            "accept": [
                "diag(h * (1 - h))",
                "diag(sigma(z) * (1 - sigma(z)))",
                "diag(h) @ (eye(3) - diag(h))",
                "diag(h) - diag(h)^2",
            ],
            "reject": [
                ("h * (1 - h)", "vector-vs-diag"),
                ("h @ (1 - h).T", "known-mistake"),
                ("diag(h)", "known-mistake"),
                ("-diag(h * (1 - h))", "sign"),
            ],
        },
        "dq_dz": {
            "accept": [
                "diag(2 * z)",
                "2 * diag(z)",
                "diag(z + z)",
                "[-1.52 0 0; 0 -1.36 0; 0 0 -0.08]",
            ],
            "reject": [
                ("2 * z", "vector-vs-diag"),
                ("2 * z @ z.T", "known-mistake"),
                ("diag(z)", "scale"),
                ("diag(z^2)", ""),
            ],
        },
        "dz_dx": {
            "accept": ["W", "(W.T).T", "eye(3) @ W"],
            "reject": [("W.T", "transpose"), ("x.T", "shape"), ("-W", "sign")],
        },
        "dh_dx": {
            "accept": [
                "diag(h * (1 - h)) @ W",
                "diag(h) @ diag(1 - h) @ W",
                "(W.T @ diag(h * (1 - h))).T",
                "[0.17369 -0.13027; 0.089276 -0.17855; 0.19992 0.14994]",
            ],
            "reject": [
                ("(h * (1 - h)) * W", "known-mistake"),
                ("W.T @ diag(h * (1 - h))", "transpose"),
                ("diag(h) @ W", "known-mistake"),
                ("W", "missing-factor"),
                ("diag(sigma(h) * (1 - sigma(h))) @ W", "wrong-point"),
            ],
        },
    },
    "scalar-gradient-vector": {
        "df_dh": {
            "accept": ["w.T", "w'", "[-0.3 0.1 -0.9]"],
            "reject": [("w", "transpose"), ("h.T", "known-mistake"), ("-w.T", "sign")],
        },
        "df_dw": {
            "accept": ["h.T", "sigma(z).T", "sigma(z')"],
            "reject": [("h", "transpose"), ("w.T", "known-mistake"), ("(h * (1 - h)).T", "")],
        },
        "dh_dz": {
            "accept": [
                "diag(h * (1 - h))",
                "diag(sigma(z) * (1 - sigma(z)))",
                "diag(h - h^2)",
            ],
            "reject": [
                ("h * (1 - h)", "vector-vs-diag"),
                ("diag(h)", "not-differentiated"),
                ("-diag(h - h^2)", "sign"),
            ],
        },
        "df_dz": {
            "accept": [
                "w.T @ diag(h * (1 - h))",
                "(w * h * (1 - h)).T",
                "(diag(h * (1 - h)) @ w).T",
                "w.T * (h - h^2).T",
                "[-0.06165 0.025 -0.2115]",
            ],
            "reject": [
                ("diag(h * (1 - h)) @ w", "transpose"),
                ("w.T * h * (1 - h)", "known-mistake"),
                ("w.T @ (h * (1 - h))", "known-mistake"),
                ("-(w * h * (1 - h)).T", "sign"),
                ("w.T", "missing-factor"),
            ],
        },
    },
    "weight-gradient": {
        "df_dz": {
            "accept": ["v.T", "v'", "[0.8 0.7 0.2]"],
            "reject": [("v", "transpose"), ("x.T", "shape"), ("-v.T", "sign")],
        },
        "dz_dx": {
            "accept": ["W", "(W').T", "[0.6 0.6; 0.8 0.7; -0.9 0.1]"],
            "reject": [("W.T", "transpose"), ("x.T", "shape"), ("0.5 * W", "scale")],
        },
        "df_dx": {
            "accept": ["v.T @ W", "(W.T @ v).T", "[0.86 0.99]"],
            "reject": [
                ("W.T @ v", "transpose"),
                ("x.T", ""),
                ("-v.T @ W", "sign"),
                ("x.T - x.T + [0.86 0.99]", "specific-values"),
            ],
        },
        "df_dW": {
            "accept": [
                "v @ x.T",
                "(x @ v.T).T",
                "v.T.T @ x'",
                "[0.4 -0.64; 0.35 -0.56; 0.1 -0.16]",
            ],
            "reject": [
                ("x @ v.T", "transpose"),
                ("v * x.T", "known-mistake"),
                ("v", "missing-factor"),
                ("x.T", "known-mistake"),
                ("2 * v @ x.T", "scale"),
                ("W", ""),
            ],
        },
    },
    "one-hidden-layer": {
        "df_dw2": {
            "accept": ["h1.T", "sigma(W1 @ x).T", "sigma(x.T @ W1.T)"],
            "reject": [("h1", "transpose"), ("w2.T", "known-mistake"), ("-h1.T", "sign")],
        },
        "df_dh1": {
            "accept": ["w2.T", "w2'", "[0.5 -0.1 0.9]"],
            "reject": [("w2", "transpose"), ("h1.T", "wrong-quantity"), ("2 * w2.T", "scale")],
        },
        "dh1_dz1": {
            "accept": [
                "diag(h1 * (1 - h1))",
                "diag(sigma(z1) * (1 - sigma(z1)))",
                "diag(h1) - diag(h1 * h1)",
            ],
            "reject": [
                ("h1 * (1 - h1)", "vector-vs-diag"),
                ("diag(h1)", "known-mistake"),
                ("eye(3)", ""),
            ],
        },
        "df_dz1": {
            "accept": [
                "w2.T @ diag(h1 * (1 - h1))",
                "(w2 * h1 * (1 - h1)).T",
                "(diag(h1 * (1 - h1)) @ w2)'",
                "[0.116 -0.023776 0.21398]",
            ],
            "reject": [
                ("diag(h1 * (1 - h1)) @ w2", "transpose"),
                ("w2.T", "known-mistake"),
                ("-(w2 * h1 * (1 - h1)).T", "sign"),
            ],
        },
        "df_dW1": {
            "accept": [
                "(w2.T @ diag(h1 * (1 - h1))).T @ x.T",
                "(w2 * h1 * (1 - h1)) @ x.T",
                "diag(h1 * (1 - h1)) @ w2 @ x.T",
                "(x @ w2.T @ diag(h1 * (1 - h1))).T",
                "[0.116 -0.058002; -0.023776 0.011888; 0.21398 -0.10699]",
            ],
            "reject": [
                ("x @ w2.T @ diag(h1 * (1 - h1))", "transpose"),
                ("w2 @ x.T", "known-mistake"),
                ("w2.T @ diag(h1 * (1 - h1))", "shape"),
                ("-(w2 * h1 * (1 - h1)) @ x.T", "sign"),
            ],
        },
    },
    "two-layer-sigmoid": {
        "df_dh2": {
            "accept": ["W3", "W3.T.T", "[0.7 0.8]"],
            "reject": [("W3.T", "transpose"), ("h2.T", "wrong-quantity"), ("-W3", "sign")],
        },
        "dh2_dz2": {
            "accept": [
                "diag(h2 * (1 - h2))",
                "diag(sigma(z2) * (1 - sigma(z2)))",
                "diag(h2) @ diag(1 - h2)",
            ],
            "reject": [
                ("h2 * (1 - h2)", "vector-vs-diag"),
                ("diag(sigma(h2) * (1 - sigma(h2)))", "known-mistake"),
                ("h2 @ (1 - h2).T", ""),
            ],
        },
        "dz2_dh1": {
            "accept": ["W2", "(W2.T).T", "[1 0.3; 0.7 0]"],
            "reject": [("W2.T", "transpose"), ("h1.T", "known-mistake"), ("-W2", "sign")],
        },
        "dh1_dz1": {
            "accept": [
                "diag(h1 * (1 - h1))",
                "diag(sigma(W1 @ x) * (1 - sigma(W1 @ x)))",
                "diag(h1) - diag(h1)^2",
            ],
            "reject": [
                ("h1 * (1 - h1)", "vector-vs-diag"),
                ("diag(h2 * (1 - h2))", "wrong-quantity"),
                ("-diag(h1 * (1 - h1))", "sign"),
            ],
        },
        "df_dz1": {
            "accept": [
                "W3 @ diag(h2 * (1 - h2)) @ W2 @ diag(h1 * (1 - h1))",
                "((W3.T * h2 * (1 - h2)).T @ W2) * (h1 * (1 - h1)).T",
                "(diag(h1 * (1 - h1)) @ W2.T @ diag(h2 * (1 - h2)) @ W3.T).T",
                "[0.053828 0.011993]",
            ],
            "reject": [
                ("W3 @ diag(h2 * (1 - h2)) @ diag(h1 * (1 - h1))", "known-mistake"),
                ("W3 @ diag(h2 * (1 - h2)) @ W2.T @ diag(h1 * (1 - h1))", "known-mistake"),
                ("diag(h1 * (1 - h1)) @ W2.T @ diag(h2 * (1 - h2)) @ W3.T", "transpose"),
                ("-W3 @ diag(h2 * (1 - h2)) @ W2 @ diag(h1 * (1 - h1))", "sign"),
                # Structural slips the chain finds without an authored mistake:
                ("W3 @ diag(h2 * (1 - h2)) @ diag(h1 * (1 - h1))", "missing-factor"),
                ("W3 @ W2 @ diag(h1 * (1 - h1))", "missing-factor"),
                ("W3 @ W2.T @ diag(h1 * (1 - h1))", "missing-factor"),
                ("W3 @ diag(h2 * (1 - h2)) @ W2 @ W2 @ diag(h1 * (1 - h1))", "extra-factor"),
                ("W3 @ diag(h2 * (1 - h2)) @ W1 @ W2 @ diag(h1 * (1 - h1))", "extra-factor"),
                ("W3 @ W2 @ diag(h2 * (1 - h2)) @ diag(h1 * (1 - h1))", "order"),
                ("W3 @ diag(h2 * (1 - h2)) @ W2.T @ diag(h1 * (1 - h1))", "factor-transposed"),
                ("W3 @ diag(sigma(h2) * (1 - sigma(h2))) @ W2 @ diag(h1 * (1 - h1))",
                 "wrong-point"),
            ],
        },
        "df_dW1": {
            "accept": [
                "(W3 @ diag(h2 * (1 - h2)) @ W2 @ diag(h1 * (1 - h1))).T @ x.T",
                "diag(h1 * (1 - h1)) @ W2.T @ diag(h2 * (1 - h2)) @ W3.T @ x.T",
                "(x @ W3 @ diag(h2 * (1 - h2)) @ W2 @ diag(h1 * (1 - h1))).T",
                "[0.053828 -0.032297; 0.011993 -0.0071955]",
            ],
            "reject": [
                (
                    "W3 * sigma(W2@h1)*(1-sigma(W2@h1)) * sigma(W1@x)*(1-sigma(W1@x))",
                    "known-mistake",
                ),
                ("x @ (W3 @ diag(h2 * (1 - h2)) @ W2 @ diag(h1 * (1 - h1)))", "transpose"),
                ("W3 @ diag(h2 * (1 - h2)) @ W2 @ diag(h1 * (1 - h1))", "shape"),
                # The posted closed form: its authored explanation, and W2 and xᵀ missing.
                (
                    "W3 * sigma(W2@h1)*(1-sigma(W2@h1)) * sigma(W1@x)*(1-sigma(W1@x))",
                    "missing-factor",
                ),
                ("W3 @ diag(h2 * (1 - h2)) @ W2 @ diag(h1 * (1 - h1))", "missing-factor"),
                ("diag(h1 * (1 - h1)) @ W2.T @ diag(h2 * (1 - h2)) @ W3.T", "missing-factor"),
                ("diag(h1 * (1 - h1)) @ diag(h2 * (1 - h2)) @ W3.T @ x.T", "missing-factor"),
                ("diag(h1 * (1 - h1)) @ W2 @ diag(h2 * (1 - h2)) @ W3.T @ x.T",
                 "factor-transposed"),
            ],
        },
    },
    "two-layer-upstream": {
        "df_dW3": {
            "accept": ["h2.T", "sigma(z2).T", "[0.57725 0.54406]"],
            "reject": [("h2", "transpose"), ("W3", "known-mistake"), ("-h2.T", "sign")],
        },
        "df_dh2": {
            "accept": ["W3", "W3''", "[-0.7 0.1]"],
            "reject": [("W3.T", "transpose"), ("h2.T", "known-mistake"), ("-W3", "sign")],
        },
        "df_dz2": {
            "accept": [
                "W3 @ diag(h2 * (1 - h2))",
                "W3 * (h2 * (1 - h2)).T",
                "(W3.T * h2 * (1 - h2)).T",
                "[-0.17082 0.024806]",
            ],
            "reject": [
                ("W3 * h2 * (1 - h2)", "known-mistake"),
                ("diag(h2 * (1 - h2)) @ W3.T", "transpose"),
                ("W3", "missing-factor"),
            ],
        },
        "df_dW2": {
            "accept": [
                "(W3 @ diag(h2 * (1 - h2))).T @ h1.T",
                "diag(h2 * (1 - h2)) @ W3.T @ h1.T",
                "(h1 @ W3 @ diag(h2 * (1 - h2))).T",
                "(W3.T * h2 * (1 - h2)) @ h1.T",
                "[-0.10062 -0.066512; 0.014612 0.0096584]",
            ],
            "reject": [
                ("h1 @ W3 @ diag(h2 * (1 - h2))", "transpose"),
                ("(W3 @ diag(h2 * (1 - h2))).T @ h1.T @ W1", "extra-factor"),
                ("(W3 @ diag(h2 * (1 - h2))).T @ x.T", "known-mistake"),
                ("W3.T @ h1.T", "known-mistake"),
                ("-diag(h2 * (1 - h2)) @ W3.T @ h1.T", "sign"),
            ],
        },
        "df_dh1": {
            "accept": [
                "W3 @ diag(h2 * (1 - h2)) @ W2",
                "(W2.T @ diag(h2 * (1 - h2)) @ W3.T).T",
                "(W3 * (h2 * (1 - h2)).T) @ W2",
                "[0.0074418 -0.13666]",
            ],
            "reject": [
                ("W3 @ diag(h2 * (1 - h2)) @ W2.T", "known-mistake"),
                ("W3 @ diag(h2 * (1 - h2))", "known-mistake"),
                ("W2.T @ diag(h2 * (1 - h2)) @ W3.T", "transpose"),
                ("W3 @ W2", "missing-factor"),
            ],
        },
        "df_dz1": {
            "accept": [
                "W3 @ diag(h2 * (1 - h2)) @ W2 @ diag(h1 * (1 - h1))",
                "(W3 @ diag(h2 * (1 - h2)) @ W2) * (h1 * (1 - h1)).T",
                "(diag(h1 * (1 - h1)) @ W2.T @ diag(h2 * (1 - h2)) @ W3.T).T",
                "[0.0018014 -0.032492]",
            ],
            "reject": [
                ("W3 @ diag(h2 * (1 - h2)) @ W2 @ diag(h2 * (1 - h2))", "known-mistake"),
                ("W3 @ diag(h2 * (1 - h2)) @ diag(h1 * (1 - h1))", "known-mistake"),
                ("-W3 @ diag(h2 * (1 - h2)) @ W2 @ diag(h1 * (1 - h1))", "sign"),
            ],
        },
        "df_dW1": {
            "accept": [
                "(W3 @ diag(h2 * (1 - h2)) @ W2 @ diag(h1 * (1 - h1))).T @ x.T",
                "diag(h1 * (1 - h1)) @ W2.T @ diag(h2 * (1 - h2)) @ W3.T @ x.T",
                "[0.0016213 0; -0.029243 0]",
            ],
            "reject": [
                ("x @ W3 @ diag(h2 * (1 - h2)) @ W2 @ diag(h1 * (1 - h1))", "transpose"),
                (
                    "(W3 @ diag(h2 * (1 - h2)) @ W2 @ diag(h1 * (1 - h1))).T @ h1.T",
                    "known-mistake",
                ),
                ("2 * diag(h1 * (1 - h1)) @ W2.T @ diag(h2 * (1 - h2)) @ W3.T @ x.T", "scale"),
            ],
        },
    },
    "squared-loss": {
        "dL_df": {
            "accept": ["f - y", "w2.T @ h1 - y", "-(y - f)", "[0.5226]"],
            "reject": [
                ("2 * (f - y)", "known-mistake"),
                ("y - f", "sign"),
                ("0.5 * (f - y)", "scale"),
                ("f", ""),
            ],
        },
        "dL_dw2": {
            "accept": [
                "(f - y) * h1.T",
                "(f - y) @ h1.T",
                "h1.T * (f - y)",
                "[0.25346 0.28864 0.17925]",
            ],
            "reject": [
                ("h1.T", "known-mistake"),
                ("(f - y) * h1", "transpose"),
                ("(y - f) * h1.T", "sign"),
            ],
        },
        "dL_dh1": {
            "accept": ["(f - y) * w2.T", "(w2 * (f - y)).T", "(f - y) @ w2'"],
            "reject": [
                ("w2.T", "known-mistake"),
                ("(y - f) * w2.T", "sign"),
                ("(f - y) * w2", "transpose"),
            ],
        },
        "dL_dz1": {
            "accept": [
                "(f - y) * w2.T @ diag(h1 * (1 - h1))",
                "(f - y) * (w2 * h1 * (1 - h1)).T",
                "((f - y) * w2.T) @ diag(h1) @ diag(1 - h1)",
            ],
            "reject": [
                ("w2.T @ diag(h1 * (1 - h1))", "known-mistake"),
                ("(f - y) * w2.T", "known-mistake"),
                ("(f - y) * diag(h1 * (1 - h1)) @ w2", "transpose"),
                ("(f - y) * w2.T @ diag(sigma(h1) * (1 - sigma(h1)))", "wrong-point"),
            ],
        },
        "dL_dW1": {
            "accept": [
                "((f - y) * w2.T @ diag(h1 * (1 - h1))).T @ x.T",
                "(f - y) * (w2 * h1 * (1 - h1)) @ x.T",
                "(x @ ((f - y) * w2.T @ diag(h1 * (1 - h1)))).T",
                "[-0.023496 -0.0052213; -0.034889 -0.0077532; 0.074193 0.016487]",
            ],
            "reject": [
                ("(w2 * h1 * (1 - h1)) @ x.T", "known-mistake"),
                ("x @ ((f - y) * w2.T @ diag(h1 * (1 - h1)))", "transpose"),
                ("(y - f) * (w2 * h1 * (1 - h1)) @ x.T", "sign"),
                ("(w2 * h1 * (1 - h1)) @ x.T", "missing-factor"),
            ],
        },
    },
    "softmax-cross-entropy": {
        "dL_dp": {
            "accept": ["-(y / p).T", "-y.T / p.T", "(-y / p)'", "[0 0 -5.3732]"],
            "reject": [
                ("-(y / p)", "transpose"),
                ("(y / p).T", "sign"),
                ("-(y * log(p)).T", "known-mistake"),
                ("-y.T", ""),
            ],
        },
        "dp_dz": {
            "accept": [
                "diag(p) - p @ p.T",
                "diag(p) @ (eye(3) - ones(3, 1) @ p.T)",
                "(diag(p) - p @ p.T).T",
                "[0.2091 -0.15369 -0.055418; -0.15369 0.24974 -0.096054;"
                " -0.055418 -0.096054 0.15147]",
            ],
            "reject": [
                ("diag(p * (1 - p))", "known-mistake"),
                ("diag(p) - p.T @ p", "known-mistake"),
                ("p @ p.T - diag(p)", "sign"),
                ("p * (1 - p)", "shape"),
            ],
        },
        "dL_dz": {
            "accept": [
                "(p - y).T",
                "p.T - y.T",
                "(softmax(z) - y).T",
                "-(y / p).T @ (diag(p) - p @ p.T)",
                "[0.29777 0.51612 -0.81389]",
            ],
            "reject": [
                ("p - y", "transpose"),
                ("(y - p).T", "sign"),
                ("-(y / p).T @ diag(p * (1 - p))", "known-mistake"),
                ("p.T", ""),
            ],
        },
        "dL_dW": {
            "accept": [
                "(p - y) @ x.T",
                "(x @ (p - y).T).T",
                "p @ x.T - y @ x.T",
                "[-0.14889 -0.089332; -0.25806 -0.15484; 0.40695 0.24417]",
            ],
            "reject": [
                ("x @ (p - y).T", "transpose"),
                ("(p - y) * x.T", "known-mistake"),
                ("(y - p) @ x.T", "sign"),
                ("-(y / p) @ x.T", "missing-factor"),
            ],
        },
    },
    "tanh-relu": {
        "dh1_dz1": {
            "accept": [
                "diag(1 - h1^2)",
                "diag(1 - tanh(z1)^2)",
                "eye(3) - diag(h1)^2",
                "diag((1 - h1) * (1 + h1))",
            ],
            "reject": [
                ("1 - h1^2", "vector-vs-diag"),
                ("diag(1 - z1^2)", "known-mistake"),
                ("diag(1 - tanh(h1)^2)", "wrong-point"),
                ("diag(h1 * (1 - h1))", "known-mistake"),
                ("diag(h1^2 - 1)", "sign"),
            ],
        },
        "dh2_dz2": {
            "accept": ["diag(step(z2))", "diag(step(W2 @ h1))", "[1 0; 0 0]"],
            "reject": [
                ("step(z2)", "vector-vs-diag"),
                ("diag(h2)", "known-mistake"),
                ("eye(2)", "known-mistake"),
                ("diag(z2)", ""),
            ],
        },
        "df_dh2": {
            "accept": ["v.T", "v'", "[0.9 -0.4]"],
            "reject": [("v", "transpose"), ("-v.T", "sign"), ("h2.T", "wrong-quantity")],
        },
        "df_dz1": {
            "accept": [
                "v.T @ diag(step(z2)) @ W2 @ diag(1 - h1^2)",
                "(v * step(z2)).T @ W2 * (1 - h1^2).T",
                "(diag(1 - h1^2) @ W2.T @ diag(step(z2)) @ v).T",
                "[-0.53421 -0.058661 -0.072902]",
            ],
            "reject": [
                ("v.T @ W2 @ diag(1 - h1^2)", "known-mistake"),
                ("v.T @ diag(step(z2)) @ W2 @ diag(h1 * (1 - h1))", "known-mistake"),
                ("diag(1 - h1^2) @ W2.T @ diag(step(z2)) @ v", "transpose"),
                ("v.T @ W2 @ diag(1 - h1^2)", "missing-factor"),
                ("v.T @ diag(step(z2)) @ W2 @ diag(1 - tanh(h1)^2)", "wrong-point"),
            ],
        },
        "df_dW1": {
            "accept": [
                "(v.T @ diag(step(z2)) @ W2 @ diag(1 - h1^2)).T @ x.T",
                "diag(1 - h1^2) @ W2.T @ diag(step(z2)) @ v @ x.T",
                "(x @ v.T @ diag(step(z2)) @ W2 @ diag(1 - h1^2)).T",
                "[-0.64105 -0.21368; -0.070393 -0.023464; -0.087483 -0.029161]",
            ],
            "reject": [
                ("x @ v.T @ diag(step(z2)) @ W2 @ diag(1 - h1^2)", "transpose"),
                ("(v.T @ W2 @ diag(1 - h1^2)).T @ x.T", "known-mistake"),
                ("(v.T @ diag(step(z2)) @ W2).T @ x.T", "missing-factor"),
                ("-(v.T @ diag(step(z2)) @ W2 @ diag(1 - h1^2)).T @ x.T", "sign"),
            ],
        },
    },
    "mini-batch": {
        "df_dw": {
            "accept": ["(H @ ones(3, 1)).T", "ones(1, 3) @ H.T", "[1.6657 1.2455]"],
            "reject": [
                ("H @ ones(3, 1)", "transpose"),
                ("H.T", "known-mistake"),
                ("sum(H)", "shape"),
                ("(H @ ones(3, 1)).T / 3", "scale"),
            ],
        },
        "df_dH": {
            "accept": [
                "w @ ones(1, 3)",
                "(ones(3, 1) @ w.T).T",
                "[0.8 0.8 0.8; -0.8 -0.8 -0.8]",
            ],
            "reject": [
                ("w", "known-mistake"),
                ("w.T", "known-mistake"),
                ("ones(2, 3)", ""),
                ("-w @ ones(1, 3)", "sign"),
            ],
        },
        "df_dZ": {
            "accept": [
                "(w @ ones(1, 3)) * H * (1 - H)",
                "diag(w) @ (H * (1 - H))",
                "H * (1 - H) * (w @ ones(1, 3))",
                "[0.19715 0.194 0.1846; -0.1964 -0.19021 -0.1644]",
            ],
            "reject": [
                ("H * (1 - H)", "known-mistake"),
                ("w.T @ (H * (1 - H))", "known-mistake"),
                ("H * (1 - H)", "missing-factor"),
                ("(w @ ones(1, 3)) * sigma(H) * (1 - sigma(H))", "wrong-point"),
                ("-diag(w) @ (H - H^2)", "sign"),
                ("w @ ones(1, 3)", "missing-factor"),
            ],
        },
        "df_dW": {
            "accept": [
                "((w @ ones(1, 3)) * H * (1 - H)) @ X.T",
                "diag(w) @ (H * (1 - H)) @ X.T",
                "(X @ ((w @ ones(1, 3)) * H * (1 - H)).T).T",
                "[0.22245 -0.076668; -0.20058 0.072056]",
            ],
            "reject": [
                ("X @ ((w @ ones(1, 3)) * H * (1 - H)).T", "transpose"),
                ("((w @ ones(1, 3)) * H * (1 - H)) @ X.T / 3", "scale"),
                ("(w * H * (1 - H)) @ X.T", "known-mistake"),
            ],
        },
    },
}


def accepted() -> list[tuple[str, str, str]]:
    """(lesson, step, answer) for every answer that must be accepted."""
    return [
        (lesson, step, answer)
        for lesson, steps in TABLES.items()
        for step, table in steps.items()
        for answer in table["accept"]
    ]


def rejected() -> list[tuple[str, str, str, str]]:
    """(lesson, step, answer, diagnosis code) for every answer that must be rejected."""
    return [
        (lesson, step, answer, code)
        for lesson, steps in TABLES.items()
        for step, table in steps.items()
        for answer, code in table["reject"]
    ]


def key_free(feedback: str, key, typed: str = "", names=()) -> bool:
    """The feedback never writes the step's key, in either notation (beyond a name of up to
    three characters, which any sentence about that quantity must print), unless the answer
    itself writes it (a factor written twice is quoted as written)."""
    from tutor.engine.nodes import SCREEN, to_text
    from tutor.engine.parser import parse

    texts = {to_text(key), to_text(key, SCREEN)}
    if typed:
        answer = parse(typed, names)
        written = to_text(answer) + " " + to_text(answer, SCREEN)
        texts = {text for text in texts if text not in written}
    return all(len(text) <= 3 or text not in feedback for text in texts)
