"""The words of a generated lesson: each step's prompt, hints and note, from its construct.

A shipped lesson's author explains each factor by the rule that produces it (a linear
map's Jacobian is its matrix; an elementwise function's is diagonal). The generator
knows which rule produced each factor, so it says the same things here, one text per
rule, with the step's own names and shapes filled in. Kept apart from the generator so
that the wording can be improved without touching the walk.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tutor.engine import FUNCTIONS, Node, Shape, shape_text, to_text
from tutor.engine.nodes import BinOp, Call, Name, Num, Transpose
from tutor.lessons import StepMistake

LONG = 60  # a key longer than this is not offered whole as a hint


@dataclass(frozen=True)
class Words:
    prompt: str
    hints: tuple[str, ...]
    note: str = ""
    mistakes: tuple[StepMistake, ...] = ()


def construct(node: Node) -> str:
    """Which rule a definition's outermost operation calls for."""
    if isinstance(node, Call):
        function = FUNCTIONS[node.func]
        if function.elementwise:
            return "elementwise"
        return node.func  # sum, softmax
    if isinstance(node, BinOp) and node.op in "*@" and isinstance(node.left, Num):
        return construct(node.right)  # 0.5 * (f - y)^2 is a power, scaled
    if isinstance(node, BinOp):
        return {"@": "linear", "+": "sum-rule", "-": "sum-rule", "*": "product", "/": "quotient",
                "^": "power"}[node.op]
    if isinstance(node, Transpose):
        return "transpose"
    if isinstance(node, Name):
        return "copy"
    return "other"


class Texts:
    def __init__(self, definitions: Mapping[str, Node], shapes: Mapping[str, Shape],
                 copies: Mapping[str, Sequence[str]]) -> None:
        self.definitions = definitions
        self.shapes = shapes
        self.copies = copies

    def shape(self, name: str) -> str:
        return shape_text(self.shapes[name])

    def for_step(self, kind: str, of: str, wrt: str, shape: Shape, key: Node, **context
                 ) -> Words:
        label = f"∂{of}/∂{wrt}"
        sizes = f"({of} is {self.shape(of)} and {wrt} is {self.shape(wrt)}, so the answer is " \
                f"{shape_text(shape)}.)"
        key_text = to_text(key)
        if kind == "local":
            return self._local(of, wrt, label, sizes, key, shape)
        if kind == "chain":
            parts = context["parts"]
            return Words(
                f"Chain the factors: {label} = {' · '.join(_label(p) for p in parts)}. Give the "
                f"{shape_text(shape)} factor (you may type the product of the steps' ids).",
                ("Multiply the factors in the order of the chain, with @; each one's columns "
                 "meet the next one's rows.",
                 *((key_text,) if len(key_text) <= LONG else (" @ ".join(parts),))),
                f"This is the upstream gradient at {wrt}: everything from {of} back to {wrt} in "
                "one row (numerator layout). Its transpose is backpropagation's δ.")
        if kind == "sum":
            parts = context["parts"]
            copies = ", ".join(parts)
            return Words(
                f"{wrt} reaches {of} along {len(parts)} paths, one through each copy "
                f"({', '.join(self.copies[wrt])}). What is {label} ({shape_text(shape)})? You "
                f"may add the steps {copies}.",
                ("Each copy equals " + wrt + ", so ∂copy/∂" + wrt + " is the identity: the "
                 "total derivative adds up every path's contribution.",
                 " + ".join(parts)),
                "A branch in the forward pass is a sum in the backward pass: every path from "
                f"{wrt} to {of} contributes its own product of factors.")
        user = context["user"]
        expression = to_text(self.definitions[user])
        if isinstance(self.definitions[user], BinOp) and self.definitions[user].op == "@" \
                and isinstance(self.definitions[user].left, Name) \
                and self.definitions[user].left.name == wrt:
            other = to_text(self.definitions[user].right)
            return Words(
                f"{label} has {wrt}'s shape, {shape_text(shape)}. Since {user} = {expression}, "
                f"entry (i, j) is ∂{of}/∂{user}_i · {other}_j.",
                (f"{user}_i = Σ_j {wrt}[i,j] · {other}_j, so ∂{user}_i/∂{wrt}[i,j] = {other}_j.",
                 f"An outer product: the column (∂{of}/∂{user})ᵀ times the row {other}ᵀ.",
                 *((key_text,) if len(key_text) <= LONG else ())),
                f"{label} = δ {other}ᵀ: a weight's gradient is the error at its output times the "
                "input it multiplies.",
                _transposed_mistake(key, shape))
        return Words(
            f"{label} has {wrt}'s shape, {shape_text(shape)} (the gradient of a scalar by a "
            f"matrix). {user} = {expression}: work back through it from ∂{of}/∂{user}.",
            (f"Entry (i, j) is how {of} moves when only {wrt}[i,j] moves.",
             "For a product A @ B the gradient passes as G @ Bᵀ to A and Aᵀ @ G to B; for an "
             "elementwise function, G ⊙ f' with no diag.",
             *((key_text,) if len(key_text) <= LONG else ())),
            "A gradient by a matrix keeps the matrix's shape, so elementwise slopes enter with ⊙ "
            "instead of diag.")

    def _local(self, of: str, wrt: str, label: str, sizes: str, key: Node, shape: Shape
               ) -> Words:
        expression = self.definitions[of]
        written = to_text(expression)
        kind = construct(expression)
        if kind == "elementwise":
            function = FUNCTIONS[expression.func]  # type: ignore[attr-defined]
            rule = function.derivative.format(arg="t", out=f"{function.written}(t)")
            mistakes = ()
            if shape[0] > 1 and isinstance(key, Call) and key.func == "diag":
                mistakes = (StepMistake(to_text(key.args[0]),
                                        f"Those are the right numbers, but as a vector. The "
                                        f"Jacobian of an elementwise function is the "
                                        f"{shape_text(shape)} diagonal matrix {to_text(key)}."),)
            return Words(
                f"{of} = {written}, applied entry by entry. What is the {shape_text(shape)} "
                f"Jacobian {label}? You may use {of} and {wrt}.",
                (f"The derivative of {function.written}(t) is {rule}.",
                 f"{of}_i depends only on {wrt}_i: the off-diagonal entries are 0.",
                 f"Put the slope on the diagonal: {to_text(key)}"),
                f"An elementwise function's Jacobian is always diagonal: diag({function.written}'"
                f"({wrt})).", mistakes)
        hints = {
            "linear": (f"{of} is a linear map of {wrt}: row i of the Jacobian holds the "
                       f"derivatives of {of}_i by each entry of {wrt}.",
                       "For a linear map A @ h the Jacobian ∂/∂h is A itself (numerator layout); "
                       "for hᵀ @ a it is aᵀ."),
            "sum-rule": ("The derivative of a sum is the sum of the derivatives; a term without "
                         f"{wrt} contributes 0.",
                         f"∂{wrt}/∂{wrt} is the identity."),
            "product": ("Product rule, entry by entry: ∂(a ⊙ b) = diag(b) ∂a + diag(a) ∂b; a "
                        "factor that does not contain " + wrt + " stays as it is.",),
            "quotient": ("Quotient rule, entry by entry: ∂(a / b) = ∂a / b − a ∂b / b².",),
            "power": ("Power rule with the chain rule: ∂(u^n) = n u^(n−1) ∂u.",),
            "sum": ("sum adds every entry: its Jacobian is a row of ones.",),
            "softmax": (f"Differentiate {of}_i = e^({wrt}_i) / Σ_k e^({wrt}_k) by the quotient "
                        "rule: ∂p_i/∂z_j = p_i·[i = j] − p_i p_j.",
                        "diag(p) - p @ p.T"),
            "transpose": ("A transpose keeps a vector's entries in order.",),
        }.get(kind, ("Differentiate the definition by " + wrt + ", holding every other "
                     "quantity fixed; work from the outermost operation in.",))
        note = {
            "linear": "The Jacobian of a linear map is its matrix.",
            "softmax": "Softmax couples its entries: the off-diagonal −p_i p_j records how "
                       "raising one score lowers every other probability.",
            "power": "For a squared loss ½(f − y)² the slope is the signed miss f − y.",
        }.get(kind, "")
        key_text = to_text(key)
        return Words(
            f"{of} = {written}. What is {label}? {sizes}",
            (*hints, *((key_text,) if len(key_text) <= LONG and key_text not in hints else ())),
            note)

    def title(self, goals) -> str:
        return "Your network: " + ", ".join(f"∂{g.of}/∂{g.wrt}" for g in goals)

    def intro(self, network, definitions: Mapping[str, Node]) -> str:
        lines = [f"    {name} = {to_text(node)}" for name, node in definitions.items()]
        inputs = ", ".join(f"{i.name} ({shape_text(i.shape)})" for i in network.inputs)
        goals = ", ".join(f"**∂{g.of}/∂{g.wrt}**" for g in network.goals)
        parts = [
            f"A network generated from your description. Inputs: {inputs}.",
            "\n".join(lines),
            f"We want {goals}, one factor of the chain at a time, walking back from the output.",
        ]
        if self.copies:
            copied = ", ".join(f"{q} (as {', '.join(c)})" for q, c in self.copies.items())
            parts.append(f"Some quantities are used on more than one path: {copied}. Each use "
                         "has its own copy, equal to the original, so that each path's "
                         "contribution can be asked for; the total is their sum.")
        parts.append("**Convention: numerator layout.** ∂y/∂x for vectors has shape dim(y) × "
                     "dim(x): one row per output, one column per input. The gradient of a scalar "
                     "with respect to a matrix has that matrix's shape.")
        return "\n\n".join(parts) + "\n"


def _label(step_id: str) -> str:
    of, _, wrt = step_id[1:].partition("_d")
    return f"∂{of}/∂{wrt}"


def _transposed_mistake(key: Node, shape: Shape) -> tuple[StepMistake, ...]:
    if shape[0] != shape[1] or not isinstance(key, BinOp) or key.op != "@":
        return ()
    from tutor.derivatives import matmul, tr

    swapped = matmul(tr(key.right), tr(key.left))
    return (StepMistake(to_text(swapped),
                        "That is the transpose. Row i belongs to output unit i, so the error "
                        "stands on the left and the input on the right: δ · inputᵀ."),)
