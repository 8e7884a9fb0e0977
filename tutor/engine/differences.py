"""Finite differences that say how far to trust them: the numerical check of every key.

A fixed step fails at the values networks draw. Where a softmax or σ saturates
(p ≈ 1e-4), a step of 1e-6 is a hundredth of p, its truncation error passes any fixed
tolerance, and a right key was refused as "a fault of the generator"; where p is 1e-10
the step leaves log's domain. So each entry's step is scaled to its own magnitude
(p ± 1e-4·p stays positive for any p > 0), central differences at h and h/2 are
combined by Richardson extrapolation, and their difference (with the rounding that
dividing by h magnifies) estimates the result's error. A key is wrong only when it is
off by more than that error; where the error is too large to judge by (a kink inside
the step, an overflow, values past float precision), the check says it cannot decide,
and sympy decides (tutor.lessons.validation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tutor.engine import Values
from tutor.engine.problem import Problem

# h = RELATIVE_STEP·|x| for each entry x (the largest |x| of the quantity for an entry
# that is 0): Richardson's result is off by O(h⁴), the rounding by ε·|f|/h, and 1e-4
# keeps both far below the differences a wrong key makes (1e-4 of the value).
RELATIVE_STEP = 1e-4
# A forward pass can round far worse than ε·|f| (a log of 1 − σ(20), or any cancellation
# a network writes), and its noise can fall alike at h and h/2: so a key found wrong is
# checked again at steps this many times larger (noise/h ten times smaller), and is wrong
# only if it is wrong there too; steps that contradict each other decide nothing.
RECHECK = 10.0
# A wrong key is as far from the Jacobian at any step, and rounding noise falls as 1/h: a
# gap that shrinks this many times when the step grows RECHECK times is noise (rounding
# that ε·|f| does not see, of an intermediate: log σ(s) with σ(s) a few ε from 1), and it
# decides nothing.
NOISE_SHRINK = 3.0
SAFETY = 4.0  # |D(h) − D(h/2)| is already ~3× the error of D(h/2), and more of the result's
ROUNDING = 64 * float(np.finfo(float).eps)  # a forward pass's own rounding, relative to |f|
FLOOR = 1e-7  # of the Jacobian's largest entry: below it no check in floats can tell
TINY = 1e-12  # an absolute floor, for a Jacobian that is 0 at the point
TRUST = 1e-3  # an error estimate past this share of the Jacobian's scale decides nothing

AGREES, WRONG, UNDECIDED = "agrees", "wrong", "undecided"


@dataclass(frozen=True)
class Estimate:
    """A derivative by finite differences, and bounds on how far it is from the truth:
    the truncation (|D(h) − D(h/2)|, which the function's curvature makes) and the
    rounding (ε·|f|/h, the floor of what floats can tell); and ``kink``, past 0 where the
    point is not smooth within the step."""

    value: np.ndarray
    truncation: np.ndarray
    rounding: np.ndarray
    kink: np.ndarray

    @property
    def error(self) -> np.ndarray:
        return self.truncation + self.rounding


def steps(base: np.ndarray, relative: float = RELATIVE_STEP) -> np.ndarray:
    """Each entry's step: a share of its own size, so that x ± h never changes x's sign."""
    size = np.abs(np.asarray(base, dtype=float))
    largest = float(size.max(initial=0.0))
    return relative * np.where(size > 0, size, largest if largest > 0 else 1.0)


def _richardson(value_at, centre: np.ndarray, step: float) -> tuple[np.ndarray, ...]:
    """Central differences at step and step/2, extrapolated, with their error estimates;
    ``value_at(t)`` is the output at the point moved by t along the perturbation, and
    ``centre`` the output at the point itself (its forward pass: no pass more).

    A kink at the centre fools Richardson (both steps see the mean of the two slopes),
    so the one-sided slopes' gap says it: smooth, it halves with the step (h·f″); at a
    kink it stays the jump in slope."""
    passes = [np.asarray(value_at(t), dtype=float).reshape(-1)
              for t in (step, -step, step / 2, -step / 2)]
    centre = np.asarray(centre, dtype=float).reshape(-1)
    with np.errstate(all="ignore"):
        wide = (passes[0] - passes[1]) / (2 * step)
        narrow = (passes[2] - passes[3]) / step
        value = narrow + (narrow - wide) / 3
        size = np.max(np.abs(np.stack(passes + [centre])), axis=0)
        gap_wide = np.abs(passes[0] - 2 * centre + passes[1]) / step
        gap_narrow = np.abs(passes[2] - 2 * centre + passes[3]) / (step / 2)
        return (value, np.abs(narrow - wide), ROUNDING * size / step,
                gap_narrow - 0.75 * gap_wide)


def _centre(problem: Problem, of: str, wrt: str, values: Values) -> np.ndarray:
    """``of`` at the point: from its forward pass when it holds it (a variant's, a sample's)."""
    if of in values:
        return values[of]
    return problem.value_with(of, wrt, values[wrt], values)


def jacobian(problem: Problem, of: str, wrt: str, values: Values,
             relative: float = RELATIVE_STEP) -> Estimate:
    """∂of/∂wrt at ``values`` (its lesson shape), entry by entry of wrt: 4 passes each."""
    base = np.asarray(values[wrt], dtype=float)
    sizes = steps(base, relative)
    centre = _centre(problem, of, wrt, values)
    columns = []
    for index in np.ndindex(base.shape):
        unit = np.zeros_like(base)
        unit[index] = 1.0
        columns.append(_richardson(
            lambda t, u=unit: problem.value_with(of, wrt, base + t * u, values), centre,
            sizes[index]))
    shape = problem.derivative_shape(of, wrt)
    return Estimate(*(np.stack(parts, axis=1).reshape(shape)
                      for parts in zip(*columns, strict=True)))


def along(problem: Problem, of: str, wrt: str, values: Values, direction: np.ndarray,
          relative: float = RELATIVE_STEP) -> tuple[Estimate, np.ndarray]:
    """The Jacobian times a perturbation: ``direction`` (wrt's shape) scaled entry by entry
    to wrt's own sizes. Four passes, whatever wrt's size; returns the estimate and the
    perturbation, which the key's Jacobian must map to the same vector."""
    base = np.asarray(values[wrt], dtype=float)
    move = direction * steps(base) / RELATIVE_STEP
    parts = _richardson(lambda t: problem.value_with(of, wrt, base + t * move, values),
                        _centre(problem, of, wrt, values), relative)
    return Estimate(*parts), move


def gap(key: np.ndarray, estimate: Estimate) -> float:
    """How far the key is from the estimate, at its farthest entry."""
    key = np.asarray(key, dtype=float).reshape(estimate.value.shape)
    with np.errstate(all="ignore"):
        return float(np.max(np.abs(key - estimate.value), initial=0.0))


def resolution(estimate: Estimate) -> float:
    """The smallest gap between a key and ``estimate`` that verdict calls wrong."""
    scale = float(np.max(np.abs(estimate.value), initial=0.0))
    with np.errstate(all="ignore"):
        return float(np.max(SAFETY * estimate.error, initial=0.0)) + FLOOR * scale + TINY


def verdict(key: np.ndarray, estimate: Estimate) -> str:
    """AGREES, WRONG (off by more than the estimate's error) or UNDECIDED.

    Undecided where the truncation estimate is large beside the Jacobian (the steps are
    not where Richardson's estimate holds: a kink, a steep stretch), past what rounding
    explains. Rounding alone decides: a vanishing gradient (1e-100 through 29 σ layers)
    agrees with differences of 0 ± ε·|f|/h, as far as floats can tell."""
    value, error = estimate.value, estimate.error
    key = np.asarray(key, dtype=float).reshape(value.shape)
    if not (np.all(np.isfinite(value)) and np.all(np.isfinite(error))):
        return UNDECIDED  # an overflow, or outside a function's domain within the step
    scale = float(np.max(np.abs(value), initial=0.0))
    floor = FLOOR * scale + TINY
    reference = max(scale, float(np.max(np.abs(key), initial=0.0)))
    unsure = TRUST * reference + SAFETY * estimate.rounding + floor
    if np.any(estimate.truncation > unsure) or np.any(estimate.kink > unsure):
        return UNDECIDED
    if np.any(np.abs(key - value) > SAFETY * error + floor):
        return WRONG
    return AGREES
