"""What is said about a wrong answer that a mutation of the key explains (tutor.engine.mutations).

Why apart: that module finds the slip; this one decides what may be said without giving the
answer away. A sentence names what the student typed and what it is (h2 is σ(z2); W1 is the
first layer's weights), where it stands (the factor of the chain, by its step's label), and
what kind of slip it is — never the expression that belongs there: a formula is shown only
with a placeholder (1 − t² for t = tanh(z)), and a quantity that belongs is described by the
lesson's words for it, not printed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from tutor.engine import numbers
from tutor.engine.chains import Match, chain_of
from tutor.engine.edits import Edit, rule
from tutor.engine.functions import FUNCTIONS
from tutor.engine.mutations import Mutant, Mutations
from tutor.engine.nodes import Name, Node, names_in, to_text
from tutor.engine.numbers import EXACT
from tutor.engine.numeric import evaluate
from tutor.engine.structural import MAX_SENTENCES, Finding, Structural, _sentence

if TYPE_CHECKING:
    from tutor.engine.check import Factor
    from tutor.engine.problem import Problem


def words(found: Sequence[Mutant], mutations: Mutations, factor: Factor, problem: Problem,
          typed: bool) -> Structural:
    codes: dict[str, None] = {}
    sentences: dict[str, None] = {}
    findings: dict[Finding, None] = {}
    for mutant in found:
        if mutant.chain is not None:
            chain = chain_of(factor, problem)
            codes[mutant.chain.code] = None
            sentences[_sentence(Match(mutant.chain, False), chain, factor.label, typed)] = None
            for atom in mutant.chain.about:
                link = chain.links[atom.link]
                findings[Finding(mutant.chain.code, to_text(link.node, problem.glyphs),
                                 link.label)] = None
        for edit in mutant.edits:
            codes[edit.code] = None
            sentences[_said(edit, factor, problem, typed)] = None
            findings[_finding(edit, factor, problem)] = None
    return Structural(tuple(codes), tuple(sentences)[:MAX_SENTENCES], tuple(findings))


def _finding(edit: Edit, factor: Factor, problem: Problem) -> Finding:
    return Finding(edit.code, _typed(edit, problem), _where_label(edit, factor, problem))


def _typed(edit: Edit, problem: Problem) -> str:
    """What the answer writes in the slip's place, as a short form the student typed."""
    if edit.code == "wrong-quantity":
        return edit.typed
    if edit.code == "product-kind":
        return "⊙" if edit.typed == "*" else "@"
    if edit.code in ("not-differentiated", "not-elementwise", "wrong-point"):
        return _call(edit, problem)
    if edit.code == "missing-batch-sum" and edit.argument is not None:
        return to_text(edit.argument, problem.glyphs)
    return ""


def _call(edit: Edit, problem: Problem) -> str:
    written = FUNCTIONS[edit.function].written
    return f"{written}({to_text(edit.argument, problem.glyphs)})"


def _where_label(edit: Edit, factor: Factor, problem: Problem) -> str | None:
    """The label of the factor of the chain the slip is in (None: the step's own factor)."""
    within = edit.within
    if within is None or within is factor.expected:
        return None
    step = _step_that_is(within, factor, problem)
    return step.label if step is not None else None


def _step_that_is(node: Node, factor: Factor, problem: Problem, first=None):
    """The lesson's other step whose key is ``node``, as written or in value at the samples
    (in the order ``first`` gives, if any): how a part of the key is named by its label."""
    steps = [step for step_id, step in (factor.steps or {}).items() if step_id != factor.step]
    if first is not None:
        steps.sort(key=first)
    for step in steps:
        if step.expected == node:
            return step
    samples = problem.samples[:2]
    try:
        values = [evaluate(node, point) for point in samples]
    except (KeyError, ValueError):
        return None
    for step in steps:
        if names_in(step.expected) - problem.shapes.keys():
            continue
        try:
            theirs = [evaluate(step.expected, point) for point in samples]
        except (KeyError, ValueError):
            continue
        if all(a.shape == b.shape and numbers.close(a, b, EXACT)
               for a, b in zip(values, theirs, strict=True)):
            return step
    return None


def _said(edit: Edit, factor: Factor, problem: Problem, typed: bool) -> str:
    label = _where_label(edit, factor, problem)
    where = f"In the factor {label}" if label else f"In {factor.label}"
    lead = "Your numbers fit one slip. " if typed else ""
    glyphs = problem.glyphs
    if edit.code == "wrong-quantity":
        shown = f"{edit.typed}ᵀ" if edit.transposed else edit.typed
        same = "of that shape" if edit.transposed else "of the same shape"
        return (f"{lead}{where}, {shown} stands where another quantity {same} "
                f"belongs: {describe(edit.typed, problem, factor.expected)}. "
                f"{_belongs(edit, problem)}")
    if edit.code == "not-differentiated":
        value = (f"{edit.output} = {_call(edit, problem)}" if edit.output
                 else _call(edit, problem))
        written = FUNCTIONS[edit.function].written
        return (f"{lead}{where}, the activation is not differentiated: {value} is the "
                f"function's value, where the chain needs its derivative {written}′"
                f"({to_text(edit.argument, glyphs)}), entry by entry.")
    if edit.code == "wrong-point":
        written = FUNCTIONS[edit.function].written
        form = to_text(rule(edit.function, Name(0, 0, "t"), Name(0, 0, "t")), glyphs)
        out = f"{edit.output} = " if edit.output else ""
        return (f"{lead}{where}, {written}′ is written in closed form at the layer's input "
                f"{to_text(edit.argument, glyphs)}: the form {form} holds for t the "
                f"function's value ({out}{_call(edit, problem)}), not its argument.")
    if edit.code == "product-kind":
        if edit.typed == "*":
            return (f"{lead}{where}, an elementwise product (⊙) stands where a matrix product "
                    "(@) belongs: both fit here because the matrices are square, but only @ "
                    "composes two links of a chain.")
        return (f"{lead}{where}, a matrix product (@) stands where an elementwise product (⊙) "
                "belongs: both fit here, but multiplying entry by entry (an elementwise "
                "function's slope, a mask) is ⊙.")
    if edit.code == "not-elementwise":
        written = FUNCTIONS[edit.function].written
        argument = to_text(edit.argument, glyphs)
        return (f"{lead}{where}, {written} is differentiated as if it acted entry by entry, "
                f"but each entry of {written}({argument}) depends on every entry of {argument}: "
                "its Jacobian is not diagonal, it has off-diagonal entries too.")
    if edit.code == "missing-path":
        return f"{lead}{_path_sentence(edit, factor, problem)}"
    ones = to_text(edit.argument, glyphs) if edit.argument is not None else "ones(…)"
    return (f"{lead}Your answer is the gradient of each example of the batch on its own, "
            f"unsummed: {factor.label} adds them up over the batch, and the sum (the product "
            f"with {ones}) is missing.")


def describe(name: str, problem: Problem, key: Node | None = None) -> str:
    """What a quantity is: the lesson's words for an input, the definition of any other —
    unless the definition writes the step's key (L = ½(f − y)² for ∂L/∂f = f − y)."""
    about = problem.about.get(name, "")
    if about and not about.startswith(("an input", "a number")):
        about = about.split(",")[0]
        return f"{name} is the {_bare(about)}" if _is_role(about) else f"{name} is {about}"
    definition = dict(problem.definitions).get(name)
    if definition is not None:
        shown = to_text(definition, problem.glyphs)
        if key is not None and any(len(k) > 3 and k in shown for k in (
                to_text(key), to_text(key, problem.glyphs))):
            return f"{name} is a value the forward pass computes"
        return f"{name} = {shown}"
    return f"{name} is an input of the lesson"


def _bare(about: str) -> str:
    return about.removeprefix("the ")


def _is_role(about: str) -> bool:
    return not about.startswith(("a ", "an ", "the ", "three ", "two "))


def _belongs(edit: Edit, problem: Problem) -> str:
    """Where the typed quantity's place belongs, in words, without naming what goes there."""
    about = problem.about.get(edit.meant, "")
    if about and _is_role(about) and not about.startswith(("an input", "a number")):
        return f"That place needs the {about.split(',')[0]}."
    defined = dict(problem.definitions)
    typed, meant = edit.typed in defined, edit.meant in defined
    if typed and meant:
        return "Check which layer each quantity of the chain comes from."
    if meant and problem.numbers_only:
        return "That place needs a quantity computed along the way, not an input."
    if meant:
        return ("That place needs a value the forward pass computes, not an input of the "
                "network (a weight and an activation are easy to swap).")
    if typed:
        return ("That place needs an input of the network (a weight or the data), not a value "
                "the forward pass computes.")
    return "Check which quantity each factor of the chain is about."


def _path_sentence(edit: Edit, factor: Factor, problem: Problem) -> str:
    own = (factor.steps or {}).get(factor.step) if factor.step else None
    of = own.of if own and own.of else "the output"
    wrt = own.wrt if own and own.wrt else "the quantity"
    dropped = edit.argument
    name = _path_name(dropped, factor, problem) if dropped is not None else ""
    return (f"{of} depends on {wrt} along more than one path, and {factor.label} is the sum "
            f"of every path's product of factors: the path {name} is left out.".replace(
                "the path  is", "one path is"))


def _path_name(dropped: Node, factor: Factor, problem: Problem) -> str:
    """The path an addend is: an earlier step's factor by its label, or the quantities it
    passes through, or the direct one."""
    own = (factor.steps or {}).get(factor.step) if factor.step else None

    def nearness(step) -> int:
        """The steps this sum is made of first: the same output, by a copy of the input."""
        if own is None or step.of != own.of:
            return 2
        copy = dict(problem.definitions).get(step.wrt or "")
        return 0 if isinstance(copy, Name) and copy.name == own.wrt else 1

    step = _step_that_is(dropped, factor, problem, first=nearness)
    if step is not None:
        via = f" through {step.wrt}" if step.wrt else ""
        return f"{via.strip()} ({step.label})".strip()
    defined = [n for n, _ in problem.definitions if n in names_in(dropped)]
    if defined:
        return "through " + ", ".join(defined)
    return "that goes straight from one to the other"
