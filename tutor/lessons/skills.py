"""The skills a step exercises: one list, the same words everywhere (lesson files, the
generator, `skills`, the report), and which of a step's skills a diagnosed slip concerns.

A step carries one or more skills; a wrong first answer is evidence against them. Where
the automatic diagnosis names the slip, only the skills it concerns are blamed (a
transpose is `layout`, σ for σ′ is `elementwise-jacobian`), so that one slip does not
lower every skill of a step (knowledge tracing's "thrashing" of conjunctive skills).
"""

from __future__ import annotations

from collections.abc import Iterable

# In teaching order; each with the sentence `skills` and the README use.
SKILLS: dict[str, str] = {
    "scalar-derivative": "the derivative of a function of one number",
    "linear-jacobian": "the Jacobian of a linear map: its matrix",
    "elementwise-jacobian": "an elementwise function's Jacobian: diag of its derivative",
    "chain-product": "the chain rule: the product of the links, in order",
    "weight-gradient": "the gradient with respect to a weight matrix",
    "loss-gradient": "a loss's gradient with respect to its prediction",
    "softmax-jacobian": "the softmax's Jacobian",
    "batch-sum": "a mini-batch: the sum over examples",
    "sum-of-paths": "a quantity reached by several paths: the sum over them",
    "product-rule": "the derivative of a product of two functions",
    "layout": "numerator layout: rows, columns and transposes",
}

# Diagnosis codes (tutor.engine) that name a slip of particular skills. A code that is
# not here (sign, scale, a known mistake, specific values…) says what is wrong but not
# which skill: all the step's skills are blamed.
_CONCERNS: dict[str, frozenset[str]] = {
    "shape": frozenset({"layout"}),
    "transpose": frozenset({"layout"}),
    "factor-transposed": frozenset({"layout"}),
    "order": frozenset({"layout", "chain-product"}),
    "vector-vs-diag": frozenset({"elementwise-jacobian"}),
    "not-elementwise": frozenset({"elementwise-jacobian"}),
    "not-differentiated": frozenset({"elementwise-jacobian", "scalar-derivative"}),
    "wrong-point": frozenset({"elementwise-jacobian", "scalar-derivative"}),
    "missing-factor": frozenset({"chain-product"}),
    "extra-factor": frozenset({"chain-product"}),
    "missing-path": frozenset({"sum-of-paths"}),
    "missing-batch-sum": frozenset({"batch-sum"}),
    "product-kind": frozenset({"elementwise-jacobian", "layout"}),
}
# Slips of writing, not of any skill: the answer is right as its writer grouped it
# (precedence), or right but rounded short (precision). They blame nothing.
WRITING_SLIPS = frozenset({"precedence", "precision"})


class SkillError(ValueError):
    """A skill that is not one of SKILLS (its message names the list)."""


def checked_skills(names: Iterable[str]) -> tuple[str, ...]:
    """``names`` in order, without repeats; SkillError for one that is not a skill."""
    found = tuple(dict.fromkeys(names))
    for name in found:
        if name not in SKILLS:
            raise SkillError(f"{name!r} is not a skill; the skills are: "
                             + ", ".join(SKILLS))
    return found


def blamed(skills: Iterable[str], codes: Iterable[str]) -> tuple[str, ...]:
    """Which of a step's ``skills`` a wrong answer with diagnosis ``codes`` is evidence
    against: those its named slips concern (where that leaves any of the step's), none
    for a slip of writing only, else all of them."""
    skills = tuple(skills)
    codes = [code for code in codes if code != "known-mistake"]
    if codes and all(code in WRITING_SLIPS for code in codes):
        return ()
    concerned: set[str] = set()
    for code in codes:
        concerned |= _CONCERNS.get(code, frozenset())
    named = tuple(skill for skill in skills if skill in concerned)
    return named or skills
