"""The terms a step's chain is made of: its links, and the tree of products over them.

Why this exists: a chain (tutor.engine.chains) and the wrong variants of it
(tutor.engine.chain_variants) are both trees of the same kind — atoms that name a link,
transposed or not, in groups multiplied by @ or * — and both need to rebuild, transpose
and print them. Kept here, below both, each can use them without the other: the chain
makes its variants, and the variants never reach back into the chain's module.

A term is evaluated over placeholder names "_0", "_1", … (one per link), so that the
links' values at a point are computed once and every variant is a few small products
of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tutor.engine.nodes import BinOp, Name, Node, Transpose

PRODUCTS = ("@", "*")


@dataclass(frozen=True)
class Link:
    """One factor of a chain, as the key writes it (before a transpose pushed onto it)."""

    node: Node
    label: str | None = None  # the step's label when it is a step of the lesson
    step: bool = False  # the factor is an earlier step's key, which the student has seen
    # a σ′ taken at a layer's output: (function, the layer's input, its output name)
    point: tuple[str, Node, str] | None = None


@dataclass(frozen=True)
class Atom:
    link: int  # index into Chain.links
    transposed: bool = False


@dataclass(frozen=True)
class Group:
    op: str  # "@" or "*"
    items: tuple[Term, ...]


Term = Atom | Group


def joined(op: str, left: Term, right: Term) -> Group:
    def items(term: Term) -> tuple[Term, ...]:
        return term.items if isinstance(term, Group) and term.op == op else (term,)

    return Group(op, items(left) + items(right))


def transposed(term: Term) -> Term:
    if isinstance(term, Atom):
        return Atom(term.link, not term.transposed)
    items = tuple(transposed(item) for item in term.items)
    return Group(term.op, items[::-1] if term.op == "@" else items)


def atoms_of(term: Term):
    if isinstance(term, Atom):
        yield term
    else:
        for item in term.items:
            yield from atoms_of(item)


def groups_of(term: Term, path: tuple[int, ...] = ()):
    if isinstance(term, Group):
        yield path, term
        for index, item in enumerate(term.items):
            yield from groups_of(item, (*path, index))


def replaced(term: Term, path: tuple[int, ...], items: tuple[Term, ...]) -> Term:
    """``term`` with the group at ``path`` holding ``items`` (one item stands alone)."""
    if not path:
        return items[0] if len(items) == 1 else Group(term.op, items)
    assert isinstance(term, Group)
    inner = replaced(term.items[path[0]], path[1:], items)
    return Group(term.op, (*term.items[:path[0]], inner, *term.items[path[0] + 1:]))


def placeholder(term: Term) -> Node:
    if isinstance(term, Atom):
        name = Name(0, 0, f"_{term.link}")
        return Transpose(0, 0, name) if term.transposed else name
    node = placeholder(term.items[0])
    for item in term.items[1:]:
        node = BinOp(0, 0, term.op, node, placeholder(item))
    return node


def expression(term: Term, links: Sequence[Link]) -> Node:
    """The term as an expression of the lesson's names (a variant as a student would type it)."""
    if isinstance(term, Atom):
        return shown(links[term.link].node, term.transposed)
    node = expression(term.items[0], links)
    for item in term.items[1:]:
        node = BinOp(0, 0, term.op, node, expression(item, links))
    return node


def shown(node: Node, transposed: bool) -> Node:
    if not transposed:
        return node
    return node.operand if isinstance(node, Transpose) else Transpose(0, 0, node)


def named(values: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
    """The links' values under the placeholder names a term is evaluated over."""
    return {f"_{i}": value for i, value in enumerate(values)}

