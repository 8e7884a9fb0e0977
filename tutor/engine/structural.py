"""Structural findings on a wrong answer: which factor of the chain is missing, extra, swapped,
transposed or taken at the wrong point, said in words that name it.

Why apart from tutor.engine.chains: that module knows the chain and its variants; this one
decides what may be said to a student about a match without giving the answer away. A
factor is named by its step's label. Its form is printed only where the student has seen
it already: a factor the answer itself contains (repeated, inserted, swapped, transposed,
σ′ at the wrong point), or a missing factor that is an earlier step's key — steps open in
order, so that step is solved or revealed, and the chain header shows it. A missing
factor that is no step of the lesson (xᵀ in ∂f/∂W1) is located by its neighbours instead,
and numbers typed by hand, which show no forms, get labels only.

When no variant explains an answer, one more test: if every factor the answer writes is
a factor of the chain (as written, transposed, or a vector for its diagonal matrix) and
some factors of the chain are absent, those are missing. It also explains the ill-shaped
posted closed form, whose numbers only numpy's broadcasting gives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tutor.engine import numbers
from tutor.engine.chain_terms import Atom, Group, Link, placeholder, shown
from tutor.engine.chain_variants import Variant
from tutor.engine.chains import Builder, Chain, Match, chain_of
from tutor.engine.errors import EngineError
from tutor.engine.functions import FUNCTIONS
from tutor.engine.nodes import Node, to_text
from tutor.engine.numbers import EXACT, Tolerance
from tutor.engine.numeric import evaluate

if TYPE_CHECKING:
    from tutor.engine.check import Factor
    from tutor.engine.problem import Problem, Values

MAX_SENTENCES = 3
MAX_ANSWER_FACTORS = 12  # the cover search is exponential in principle


@dataclass(frozen=True)
class Finding:
    """One structural finding: its code, the factor as the tutor prints it, its step label."""

    code: str
    factor: str
    label: str | None = None

    def to_json(self) -> dict:
        return {"code": self.code, "factor": self.factor, "label": self.label}


@dataclass(frozen=True)
class Structural:
    codes: tuple[str, ...] = ()
    sentences: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()


NOTHING = Structural()


def structural(node: Node, factor: Factor, problem: Problem, answers: Sequence[np.ndarray],
               shape, points: Sequence[Values], tolerance: Tolerance,
               typed: bool, presence: bool = True) -> Structural:
    """What the chain says about a wrong, well-shaped answer (``typed``: numbers only);
    ``presence``: then, for an expression, which factors it lacks (missing_by_presence)."""
    chain = chain_of(factor, problem)
    if not chain.variants and len(chain.atoms) < 2:
        return NOTHING
    key_value = evaluate(factor.expected, points[0]) if typed else None
    matches = chain.matches(answers, shape, points, tolerance, key_value)
    if matches:
        return _words(matches, chain, factor.label, typed)
    if typed or not presence:
        return NOTHING
    return missing_by_presence(node, factor, problem, points)


def missing_by_presence(node: Node, factor: Factor, problem: Problem,
                        points: Sequence[Values], broadcast: bool = False) -> Structural:
    """Factors of the chain the answer lacks, when every factor it writes is one of them."""
    chain = chain_of(factor, problem)
    leaves = chain.atoms
    if len(leaves) < 2:
        return NOTHING
    try:
        builder = Builder({}, problem, broadcast)
        term = builder.flatten(node, composes=False)
        mine = [[evaluate(link.node, p, broadcast) for link in builder.links] for p in points]
    except EngineError:
        return NOTHING
    segments = _segments(term)
    count = sum(1 for _ in _leaves(term))
    if count > MAX_ANSWER_FACTORS or count >= len(leaves) + 1:
        return NOTHING
    leaf_values = [[_atom_value(chain.link_values(p), atom) for p in points] for atom in leaves]
    segment_values = {span: [evaluate(placeholder, {f"_{i}": v for i, v in enumerate(m)},
                                      broadcast) for m in mine]
                      for span, placeholder in segments.items()}
    # One factor written must be one of the chain's as the chain writes it: wᵀ alone for
    # w·1ᵀ is the wrong derivative (by h, as a row), not w·1ᵀ with 1ᵀ left out.
    used = _cover(0, count, frozenset(), segment_values, leaf_values, exact=count < 2)
    if not used or len(used) == len(leaves):
        return NOTHING
    if count < 2 and len(leaves) - len(used) > 1:
        return NOTHING  # one factor written: "all the others are missing" says nothing
    missing = [atom for k, atom in enumerate(leaves) if k not in used]
    findings = tuple(_finding("missing-factor", chain.links[a.link], a, chain) for a in missing)
    named = [chain.links[a.link] for a in missing if chain.links[a.link].step]
    sentences = [_missing_sentence(link, Atom(0), None, False, chain, False)
                 for link in named]
    unnamed = len(missing) - len(named)
    if unnamed:
        who = "A factor" if unnamed == 1 else f"{unnamed} factors"
        verb = "is" if unnamed == 1 else "are"
        also = " also" if named else ""
        sentences.append(f"{who} of the chain {verb}{also} missing: every link of the chain "
                         "contributes one.")
    return Structural(("missing-factor",), tuple(sentences[:MAX_SENTENCES]), findings)


def _atom_value(values: Sequence[np.ndarray], atom: Atom) -> np.ndarray:
    return values[atom.link].T if atom.transposed else values[atom.link]


def _leaves(term):
    if isinstance(term, Atom):
        yield term
    else:
        for item in term.items:
            yield from _leaves(item)


def _segments(term) -> dict[tuple[int, int], Node]:
    """Each written factor alone, and each run of factors multiplied elementwise."""
    found: dict[tuple[int, int], Node] = {}
    position = 0

    def walk(t) -> None:
        nonlocal position
        if isinstance(t, Atom):
            found[(position, position + 1)] = placeholder(t)
            position += 1
            return
        start = position
        spans = []
        for item in t.items:
            before = position
            walk(item)
            spans.append((before, position, item))
        if t.op == "*":
            for i in range(len(spans)):
                for j in range(i + 1, len(spans)):
                    run = tuple(item for _, _, item in spans[i:j + 1])
                    if all(isinstance(item, Atom) for item in run):
                        found[(spans[i][0], spans[j][1])] = placeholder(Group("*", run))
        del start

    walk(term)
    return found


def _cover(position: int, end: int, used: frozenset[int], segments, leaves,
           exact: bool = False) -> frozenset[int] | None:
    if position == end:
        return used
    for stop in range(end, position, -1):
        values = segments.get((position, stop))
        if values is None:
            continue
        for k, leaf in enumerate(leaves):
            if k not in used and _resembles(values, leaf, exact):
                found = _cover(stop, end, used | {k}, segments, leaves, exact)
                if found is not None:
                    return found
    return None


def _resembles(written: Sequence[np.ndarray], link: Sequence[np.ndarray],
               exact: bool = False) -> bool:
    """The same factor, perhaps transposed, or a vector for its diagonal matrix (``exact``:
    the same factor only)."""
    def same(a: np.ndarray, e: np.ndarray) -> bool:
        if a.shape == e.shape and numbers.close(a, e, EXACT):
            return True
        if exact:
            return False
        if numbers.close(a, e, EXACT) or numbers.close(a.T, e, EXACT):
            return True
        if min(a.shape) == 1 and e.shape[0] == e.shape[1] == a.size > 1:
            return numbers.close(np.diag(a.reshape(-1)), e, EXACT)
        return False

    pairs = [(a, e) for a, e in zip(written, link, strict=True) if np.all(np.isfinite(e))]
    return bool(pairs) and all(same(a, e) for a, e in pairs)


# -- words ------------------------------------------------------------------------------------
def _words(matches: Sequence[Match], chain: Chain, label: str, typed: bool) -> Structural:
    codes: dict[str, None] = {}
    sentences: dict[str, None] = {}
    findings: dict[Finding, None] = {}
    for match in matches:
        variant = match.variant
        codes[variant.code] = None
        sentences[_sentence(match, chain, label, typed)] = None
        for atom in variant.about:
            findings[_finding(variant.code, chain.links[atom.link], atom, chain)] = None
    return Structural(tuple(codes), tuple(sentences)[:MAX_SENTENCES], tuple(findings))


def _finding(code: str, link: Link, atom: Atom, chain: Chain) -> Finding:
    """A missing factor as the chain holds it (its step's key); others as the answer writes them."""
    node = link.node if link.step and code == "missing-factor" else shown(link.node,
                                                                          atom.transposed)
    return Finding(code, to_text(node, chain.glyphs), link.label)


def _form(link: Link, atom: Atom, flipped: bool, chain: Chain) -> str:
    return to_text(shown(link.node, atom.transposed != flipped), chain.glyphs)


def _named(link: Link, atom: Atom, flipped: bool, typed: bool, chain: Chain) -> str | None:
    """"∂z2/∂h1 = W2" from an expression, "∂z2/∂h1" from numbers, None if it cannot be named."""
    if link.label and not typed:
        return f"{link.label} = {_form(link, atom, flipped, chain)}"
    if link.label:
        return link.label
    return None if typed else _form(link, atom, flipped, chain)


def _sentence(match: Match, chain: Chain, label: str, typed: bool) -> str:
    variant, flipped = match.variant, match.flipped
    atoms = variant.about
    links = [chain.links[a.link] for a in atoms]
    if variant.code == "missing-factor":
        return _missing_sentence(links[0], atoms[0], variant, flipped, chain, typed)
    names = [_named(link, atom, flipped, typed, chain)
             for link, atom in zip(links, atoms, strict=True)]
    if variant.code == "extra-factor" and variant.repeated:
        who = f"The factor {names[0]}" if names[0] else "One factor of the chain"
        return f"{who} appears twice: each link of the chain contributes one factor, once."
    if variant.code == "extra-factor":
        if names[0] is None:
            return f"Your numbers include a factor that is not a link of the chain of {label}."
        return f"{names[0]} is one factor too many: it is not a link of the chain of {label}."
    if variant.code == "order":
        if None in names:
            return ("Two factors of the chain are swapped: matrix products do not commute, so "
                    "the factors must follow the chain link by link.")
        return (f"The factors {names[0]} and {names[1]} are in the wrong order: matrix "
                "products do not commute, so the factors must follow the chain link by link.")
    if variant.code == "factor-transposed":
        link, atom = links[0], atoms[0]
        if link.label and not typed:
            # Named by what the chain holds, with the form the answer wrote beside it.
            written = _form(link, atom, flipped, chain)
            meant = to_text(shown(link.node, (not atom.transposed) != flipped), chain.glyphs)
            who = f"The factor {link.label} = {meant} (your {written})"
        else:
            who = f"The factor {names[0]}" if names[0] else "One factor of the chain"
        return (f"{who} stands transposed in the chain: in numerator layout each factor has "
                "one row per output and one column per input, and the chain of them is read "
                "either all as rows or all transposed.")
    function, argument, output = links[0].point
    glyph = FUNCTIONS[function].written
    where = f"the factor {links[0].label}" if links[0].label else "your answer"
    return (f"In {where}, {glyph}′ is taken at {output}, the layer's output; it belongs at the "
            f"layer's input {to_text(argument, chain.glyphs)}, and {output} is already "
            f"{glyph}({to_text(argument, chain.glyphs)}).")


def _missing_sentence(link: Link, atom: Atom, variant: Variant | None, flipped: bool,
                      chain: Chain, typed: bool) -> str:
    """Which factor is missing and where: a step's factor by its label (and its form, which
    the student has seen, from an expression); any other by its shape, located by the
    factors around it in the product as the answer writes them."""
    where = "" if flipped or variant is None else _where(variant, chain, typed)
    if link.label and link.step:
        if typed:
            return (f"The factor {link.label} is missing{where}: your numbers are the product "
                    "of the other factors of the chain.")
        return (f"The factor {link.label} = {to_text(link.node, chain.glyphs)} is missing{where}: "
                "every link of the chain contributes one.")
    rows, columns = chain.shapes[atom.link][::-1] if atom.transposed else chain.shapes[atom.link]
    which = "A factor" if (rows, columns) == (1, 1) else f"A {rows}×{columns} factor"
    if flipped:
        return (f"{which} of the chain is missing, and what you wrote is the rest of the chain "
                "transposed: every link of the chain contributes one.")
    return f"{which} of the chain is missing{where}: every link of the chain contributes one."


def _where(variant: Variant, chain: Chain, typed: bool) -> str:
    """ between W3 and W2 / at the right end of your product, after W3ᵀ / … — in a matrix
    product, where order matters; an elementwise one has no place to name."""
    if variant.within != "@":
        return ""
    before, after = (None if a is None else _neighbour(chain.links[a.link], a, typed, chain)
                     for a in variant.near)
    if before and after:
        return f" between {before} and {after}"
    # One factor left is no product to have ends: "missing before W" then.
    ends = {"left": " at the left end of your product",
            "right": " at the right end of your product"}
    end = ends.get(variant.place, "") if isinstance(variant.term, Group) else ""
    beside = f"after {before}" if before else f"before {after}" if after else ""
    if end and beside:
        return f"{end}, {beside}"
    return end or (f" {beside}" if beside else "")


def _neighbour(link: Link, atom: Atom, typed: bool, chain: Chain) -> str | None:
    """A factor the answer holds: as it writes it (W3ᵀ), or by its label for numbers typed
    by hand, which show no forms (the factor (∂f/∂h2)ᵀ); None when it has neither."""
    if not typed:
        return _form(link, atom, False, chain)
    if link.label:
        shown_label = f"({link.label})ᵀ" if atom.transposed else link.label
        return f"the factor {shown_label}"
    return None
