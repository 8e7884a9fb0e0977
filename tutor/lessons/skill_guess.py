"""The skills a step exercises, read off the step and the lesson's definitions: what
`validate` proposes for a step that declares none, what a lesson file without them gets at
load, and what every generated step carries (tutor.networks.generator).

The reading is structural, from the factor's place in the network, never from names:
a factor of a definition that uses ``wrt`` directly is a *local* Jacobian, classed by the
definition's top operation (a linear map, an elementwise function, softmax, a loss, a
product of two terms that both depend on ``wrt``); a factor further up is a *chain*
(several paths to ``wrt``: a sum of paths), and a scalar's gradient with respect to a
weight is a weight gradient whichever way it is reached. A batch is a matrix of examples
summed (``sum`` or ``ones``) on the way to a scalar.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from tutor.engine.functions import FUNCTIONS
from tutor.engine.nodes import BinOp, Call, Name, Neg, Node, Transpose, names_in
from tutor.engine.parser import parse

Shape = tuple[int, int]


Proposer = Callable[[str, str, str, "str | None"], tuple[str, ...]]


def proposer(definitions: Mapping[str, str], shapes: Mapping[str, Shape]) -> Proposer:
    """propose_skills for the steps of one lesson, its definitions parsed once."""
    names = list(shapes)
    trees = {name: _parsed(text, names) for name, text in definitions.items()}
    return lambda of, wrt, answer, composes: _propose(of, wrt, answer, composes, trees, shapes)


def propose_skills(of: str, wrt: str, answer: str, composes: str | None,
                   definitions: Mapping[str, str], shapes: Mapping[str, Shape]
                   ) -> tuple[str, ...]:
    """One or more skills of tutor.lessons.skills.SKILLS for the factor ∂of/∂wrt."""
    return proposer(definitions, shapes)(of, wrt, answer, composes)


def _propose(of: str, wrt: str, answer: str, composes: str | None,
             trees: Mapping[str, Node | None], shapes: Mapping[str, Shape]
             ) -> tuple[str, ...]:
    names = list(shapes)
    scalar = shapes.get(of) == (1, 1)
    skills: list[str] = []
    if scalar and _is_weight(wrt, trees, shapes):
        skills.append("weight-gradient")
    definition = trees.get(of)
    local = definition is not None and wrt in names_in(definition) and not composes
    if local and not skills:
        skills += _local(definition, wrt, shapes)
        # A scalar by a column vector: the factor is a row, here written with a transpose.
        rows, columns = shapes.get(wrt, (1, 1))
        if scalar and columns == 1 and rows > 1 and _transposes(_parsed(answer, names)):
            skills.append("layout")
    elif local:
        pass  # a scalar's gradient by a weight it multiplies: the weight gradient alone
    elif composes:
        product = _parsed(composes, [*names, *_ids(composes)])
        if _top_sum(product):
            skills.append("sum-of-paths")
        elif not skills:
            skills.append("chain-product")
            if isinstance(product, BinOp) and product.op == "*":
                skills.append("elementwise-jacobian")  # upstream ⊙ σ′: an elementwise link
    elif not skills:
        skills.append("chain-product")
    # A batch's examples summed into a scalar: its gradient, and the weights', add them up.
    if scalar and _batched(of, wrt, trees, shapes) and (local or "weight-gradient" in skills):
        skills.append("batch-sum")
    return tuple(dict.fromkeys(skills or ["chain-product"]))


def _local(definition: Node, wrt: str, shapes: Mapping[str, Shape]) -> list[str]:
    """The skills of a definition's own Jacobian with respect to one of its names."""
    top = _strip(definition)
    scalar = all(shapes.get(name) == (1, 1) for name in names_in(top))
    if isinstance(top, Call) and top.func == "softmax":
        return ["softmax-jacobian"]
    if _is_loss(top):
        return ["loss-gradient"]
    if isinstance(top, Call) and FUNCTIONS[top.func].elementwise:
        inner = top.args[0] if top.args else None
        nested = not (isinstance(inner, Name) and inner.name == wrt)  # σ(2t): a link inside
        return ["scalar-derivative" if scalar else "elementwise-jacobian",
                *(["chain-product"] if nested else [])]
    if scalar:
        return ["scalar-derivative"]
    if isinstance(top, BinOp) and top.op == "*" and all(
            wrt in names_in(side) for side in (top.left, top.right)):
        return ["product-rule"]
    if isinstance(top, BinOp) and top.op in ("@", "+", "-") or isinstance(top, Transpose):
        return ["linear-jacobian"]
    if isinstance(top, Call) and top.func == "sum":
        return ["linear-jacobian"]
    return ["elementwise-jacobian"]


def _strip(node: Node) -> Node:
    """A definition without the constant scale or sign around it (0.5 * (f - y)^2)."""
    while True:
        if isinstance(node, Neg):
            node = node.operand
        elif isinstance(node, BinOp) and node.op == "*" and not names_in(node.left):
            node = node.right
        else:
            return node


def _is_loss(top: Node) -> bool:
    """A squared difference, or −Σ y·log(p): a loss of a prediction."""
    if isinstance(top, BinOp) and top.op == "^" and isinstance(_strip(top.left), BinOp):
        return _strip(top.left).op == "-"
    if isinstance(top, Call) and top.func == "sum" and top.args:
        return _is_loss(_strip(top.args[0])) or _has_log(top.args[0])
    return False


def _has_log(node: Node) -> bool:
    if isinstance(node, Call):
        return node.func == "log" or any(_has_log(arg) for arg in node.args)
    if isinstance(node, BinOp):
        return _has_log(node.left) or _has_log(node.right)
    if isinstance(node, (Neg, Transpose)):
        return _has_log(node.operand)
    return False


def _is_weight(name: str, trees: Mapping[str, Node | None], shapes: Mapping[str, Shape]
               ) -> bool:
    """A quantity (no definition) that multiplies from the left (W @ h) or transposed
    (w.T @ h) in some definition: the network's weights, not its inputs."""
    if name in trees or name not in shapes:
        return False
    return any(tree is not None and _multiplies(tree, name) for tree in trees.values())


def _multiplies(node: Node, name: str) -> bool:
    if isinstance(node, BinOp):
        if node.op == "@":
            left = node.left.operand if isinstance(node.left, Transpose) else node.left
            if isinstance(left, Name) and left.name == name:
                return True
        return _multiplies(node.left, name) or _multiplies(node.right, name)
    if isinstance(node, (Neg, Transpose)):
        return _multiplies(node.operand, name)
    if isinstance(node, Call):
        return any(_multiplies(arg, name) for arg in node.args)
    return False


def _batched(of: str, wrt: str, trees: Mapping[str, Node | None],
             shapes: Mapping[str, Shape]) -> bool:
    """A scalar made from a matrix of examples (more than one column, summed): the
    gradient sums over the batch."""
    def summed(node: Node) -> bool:
        if isinstance(node, Call):
            return node.func in ("sum", "ones") or any(summed(arg) for arg in node.args)
        if isinstance(node, BinOp):
            return summed(node.left) or summed(node.right)
        if isinstance(node, (Neg, Transpose)):
            return summed(node.operand)
        return False

    tree = trees.get(of)
    if tree is None or not summed(tree):
        return False
    wide = [name for name in names_in(tree) if shapes.get(name, (1, 1))[1] > 1]
    return bool(wide) and shapes.get(wrt, (1, 1)) != shapes.get(of)


def _transposes(node: Node | None) -> bool:
    if isinstance(node, Transpose):
        return True
    if isinstance(node, BinOp):
        return _transposes(node.left) or _transposes(node.right)
    if isinstance(node, Neg):
        return _transposes(node.operand)
    if isinstance(node, Call):
        return any(_transposes(arg) for arg in node.args)
    return False


def _top_sum(node: Node | None) -> bool:
    return isinstance(node, BinOp) and node.op in ("+", "-")


def _ids(text: str) -> list[str]:
    """The step ids a ``composes`` names (any word the parser would take for a name)."""
    word, found = "", []
    for char in text + " ":
        if char.isalnum() or char == "_":
            word += char
        else:
            if word and not word[0].isdigit():
                found.append(word)
            word = ""
    return found


def _parsed(text: str, names: list[str]) -> Node | None:
    try:
        return parse(text, names)
    except Exception:  # noqa: BLE001 - a proposal is advice: no tree, no proposal from it
        return None
