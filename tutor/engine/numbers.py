"""How close is close enough: the rule that compares an answer's values with the factor's.

One rule, scaled to the factor itself, so that it means the same for a factor whose
entries are 0.002 (several σ′ ≤ ¼ multiplied together) as for one whose entries are
2000. Entry by entry,

    |a − e| ≤ rtol·|e| + κ·max|E|        (E the whole expected factor)

The first term is "this many significant figures of each entry"; the second lets an
entry that is tiny beside the others (a near-cancellation) be typed to the precision
of the factor as a whole. Only an all-zero factor has an absolute floor. Nothing here
depends on the unit: multiplying answer and factor by any c > 0 changes no verdict.

Hand-typed numbers use ``HAND`` (three significant figures); expressions, evaluated
in floating point, use ``EXACT``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

ZERO_FLOOR = 1e-12  # an all-zero factor: anything this close to 0 is 0
NEAR_FACTOR = 3  # within three times the rule (1.5% for three figures): a matter of
# precision; 5% off is an arithmetic slip, not rounding (found walking every lesson)
NICE_SCALE_LIMIT = 4  # p/q with |p|, q ≤ 4 (2, ½, −3, ¾ …), or a power of ten


@dataclass(frozen=True)
class Tolerance:
    """``rtol`` relative to each entry, ``kappa`` relative to the factor's largest entry."""

    rtol: float
    kappa: float

    @classmethod
    def for_step(cls, rtol: float | None) -> Tolerance:
        """A lesson step's ``tolerance`` sets rtol; κ keeps its ratio to rtol."""
        if rtol is None:
            return HAND
        return cls(rtol, HAND.kappa * rtol / HAND.rtol)

    def bounds(self, expected: np.ndarray) -> np.ndarray:
        """The largest allowed |a − e|, entry by entry (an entry of inf or nan widens no
        other's bound: it meets no rule itself, see entries_within)."""
        finite = np.abs(expected[np.isfinite(expected)])
        largest = float(np.max(finite)) if finite.size else 0.0
        if not largest > 0:
            return np.full(expected.shape, ZERO_FLOOR)
        return self.rtol * np.abs(expected) + self.kappa * largest

    def widened(self, times: float) -> Tolerance:
        return Tolerance(self.rtol * times, self.kappa * times)

    @property
    def figures(self) -> int:
        """The significant figures this rule asks for: 3 for rtol 5e-3, 4 for 5e-4 or 1e-3."""
        return max(1, math.ceil(-math.log10(self.rtol / 5) - 1e-9))


def four_figures(value: float) -> str:
    """A number as the tutor shows it: four significant figures, enough to work by hand;
    never "-0"."""
    text = f"{value:.4g}"
    return "0" if text == "-0" else text


def figures_text(figures: int) -> str:
    words = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
    name = words[figures - 1] if figures <= len(words) else str(figures)
    return f"{name} significant figure{'s' if figures != 1 else ''}"


HAND = Tolerance(5e-3, 5e-4)
EXACT = Tolerance(1e-7, 1e-9)


def entries_within(answer: np.ndarray, expected: np.ndarray, tolerance: Tolerance) -> np.ndarray:
    """A boolean matrix: which entries of ``answer`` meet the rule (False where either is
    not finite: a key of -inf is a fault of the lesson, which no answer matches)."""
    with np.errstate(all="ignore"):
        gap = np.abs(answer - expected)
        return (np.isfinite(answer) & np.isfinite(expected)
                & (gap <= tolerance.bounds(expected)))


def close(answer: np.ndarray, expected: np.ndarray, tolerance: Tolerance) -> bool:
    """Every entry meets the rule (and the shapes agree)."""
    if answer.shape != expected.shape:
        return False
    return bool(np.all(entries_within(answer, expected, tolerance)))


def off_entries(answer: np.ndarray, expected: np.ndarray, tolerance: Tolerance
                ) -> tuple[tuple[int, int], ...]:
    """The (row, column) of each entry that misses the rule, counted from 1."""
    if answer.shape != expected.shape:
        return ()
    wrong = ~entries_within(answer, expected, tolerance)
    return tuple((int(i) + 1, int(j) + 1) for i, j in np.argwhere(wrong))


def entries_off(entries: tuple[tuple[int, int], ...], shape: tuple[int, int]) -> str:
    """ "entry (1,2) is off", "entries 1 and 3 are off", "every entry is off"; vectors by
    one index, matrices by (row,column)."""
    total = shape[0] * shape[1]
    if len(entries) == total and total > 1:
        return "every entry is off"
    if shape[0] == 1:
        names = [f"{j}" for _, j in entries]
    elif shape[1] == 1:
        names = [f"{i}" for i, _ in entries]
    else:
        names = [f"({i},{j})" for i, j in entries]
    if len(names) > 6:
        names = [*names[:5], f"{len(names) - 5} more"]
    if len(names) == 1:
        return f"entry {names[0]} is off"
    return f"entries {', '.join(names[:-1])} and {names[-1]} are off"


def near_miss(answer: np.ndarray, expected: np.ndarray, tolerance: Tolerance) -> bool:
    """Not within the rule, but every entry within NEAR_FACTOR times it: precision."""
    return (
        answer.shape == expected.shape
        and not close(answer, expected, tolerance)
        and close(answer, expected, tolerance.widened(NEAR_FACTOR))
    )


def figures_given(answer: np.ndarray, expected: np.ndarray, tolerance: Tolerance) -> int | None:
    """The significant figures an answer was rounded to, when fewer than the rule asks.

    Each entry either meets the rule or is its key entry rounded, or cut off, to k < the
    rule's figures (``0.019`` for −0.01956 counts: people truncate as often as they round);
    the answer's figures are the fewest k of its entries. None when it meets the rule, or
    when any entry is not such a rounding: 0.0065 for 0.0072 has two figures but is not
    the key to two (nor to one), so it is an arithmetic slip, which counts as an attempt.
    A 0 typed for an entry that is not 0 is never a rounding: a row of zeros for a row of
    small entries is a factor missing from that row, not figures cut short.
    """
    if answer.shape != expected.shape or not (np.all(np.isfinite(answer))
                                              and np.all(np.isfinite(expected))):
        return None
    within = entries_within(answer, expected, tolerance)
    if within.all():
        return None
    given = tolerance.figures
    for a, e in zip(answer[~within], expected[~within], strict=True):
        k = next((k for k in range(tolerance.figures - 1, 0, -1)
                  if _rounds_to(float(a), float(e), k)), None)
        if k is None:
            return None
        given = min(given, k)
    return given


def _rounds_to(typed: float, exact: float, figures: int) -> bool:
    """Whether ``typed`` is ``exact`` rounded or cut off to ``figures`` significant figures."""
    if exact == 0 or typed == 0:
        return False
    unit = 10.0 ** (math.floor(math.log10(abs(exact))) - figures + 1)
    steps = abs(exact) / unit
    cut = math.floor(steps + 1e-9)  # 0.03 computed as 0.0299999… is cut to 0.03
    # Rounded: up past the half, and either way at a half (0.025 → 0.02 or 0.03).
    kept = {cut, cut + 1} if steps - cut >= 0.5 - 1e-9 else {cut}
    return any(abs(abs(typed) - c * unit) <= 1e-9 * abs(exact) for c in kept) and (
        (typed > 0) == (exact > 0))


def fitted_scale(answer: np.ndarray, expected: np.ndarray) -> float | None:
    """The c that makes c·expected closest to answer (least squares), if there is one."""
    a, e = answer.reshape(-1), expected.reshape(-1)
    norm = float(e @ e)
    if not norm > 0 or not np.all(np.isfinite(a)):
        return None
    scale = float(a @ e) / norm
    if not math.isfinite(scale) or scale == 0:
        return None
    return scale


def nice_scale(scale: float, tolerance: Tolerance) -> float | None:
    """The simple constant a hand slip produces (2, ½, −3, ¾, 10, 0.1 …) near ``scale``.

    A number-only answer is one point: its ratio to the factor is only evidence of a
    stray constant when that constant is one a person would write, never 1.014.
    """
    candidates = {float(Fraction(p, q)) for q in range(1, NICE_SCALE_LIMIT + 1)
                  for p in range(-NICE_SCALE_LIMIT, NICE_SCALE_LIMIT + 1) if p}
    candidates |= {sign * 10.0**power for sign in (1, -1) for power in (-3, -2, -1, 1, 2, 3)}
    best = min(candidates, key=lambda c: abs(c - scale))
    if abs(best - scale) <= tolerance.widened(NEAR_FACTOR).rtol * abs(best) and abs(best) != 1:
        return best
    return None


def scale_text(scale: float) -> str:
    """2, ½ → "1/2", −¾ → "-3/4", 0.1, 100."""
    fraction = Fraction(scale).limit_denominator(1000)
    if fraction.denominator == 1:
        return str(fraction.numerator)
    if abs(scale) < 1 and fraction.numerator in (1, -1) and fraction.denominator in (10, 100,
                                                                                     1000):
        return f"{scale:g}"
    return f"{fraction.numerator}/{fraction.denominator}"
