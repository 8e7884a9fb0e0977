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

from tutor.engine import FUNCTIONS, Node, Shape, infer_shape, shape_text, to_text
from tutor.engine.nodes import BinOp, Call, Name, Neg, Num, Transpose, children, with_children
from tutor.lessons.model import StepMistake

LONG = 60  # a key longer than this is not offered whole as a hint
POWER_HINT = "Power rule with the chain rule: ∂(u^n) = n u^(n−1) ∂u."


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
        return _scaled(construct(node.right))  # 0.5 * (f - y)^2 is a power, scaled
    if isinstance(node, BinOp) and node.op in "*/" and isinstance(node.right, Num):
        return _scaled(construct(node.left))  # tanh(z) / 3 is no quotient rule's
    if isinstance(node, Neg):
        return _scaled(construct(node.operand))
    if isinstance(node, BinOp):
        return {"@": "linear", "+": "sum-rule", "-": "sum-rule", "*": "product", "/": "quotient",
                "^": "power"}[node.op]
    if isinstance(node, Transpose):
        return "transpose"
    if isinstance(node, Name):
        return "copy"
    return "other"


def _scaled(kind: str) -> str:
    # -tanh(x) is no elementwise definition of its own (whose texts name one function and
    # its slope): the constant in front has its own words.
    return "scaled-elementwise" if kind == "elementwise" else kind


class Texts:
    def __init__(self, definitions: Mapping[str, Node], shapes: Mapping[str, Shape],
                 copies: Mapping[str, Sequence[str]]) -> None:
        self.definitions = definitions
        self.shapes = shapes
        self.copies = copies

    def shape(self, name: str) -> str:
        return shape_text(self.shapes[name])

    def for_step(self, kind: str, of: str, wrt: str, shape: Shape, key: Node,
                 composes: str | None = None, **context) -> Words:
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
                 f"In the steps' ids, in the prompt's order: {' @ '.join(parts)}."),
                self._chain_note(of, wrt, shape))
        if kind == "sum":
            parts = context["parts"]
            return Words(
                f"{wrt} reaches {of} along {len(parts)} paths, one through each copy "
                f"({', '.join(self.copies[wrt])}). What is {label} ({shape_text(shape)})? You "
                "may use the earlier steps' ids.",
                ("Each copy equals " + wrt + ", so ∂copy/∂" + wrt + " is the identity: the "
                 "total derivative adds up every path's contribution.",
                 " + ".join(parts)),
                "A branch in the forward pass is a sum in the backward pass: every path from "
                f"{wrt} to {of} contributes its own product of factors.")
        last = _outline(key) if len(key_text) <= LONG else composes
        user, upstream = context["user"], context.get("upstream")
        definition = self.definitions[user]
        if isinstance(definition, BinOp) and definition.op == "@" \
                and isinstance(definition.left, Name) and definition.left.name == wrt:
            return self._weight(of, wrt, user, upstream, label, shape, key, last)
        expression = to_text(definition)
        if upstream is None:
            prompt_end = f"{user} = {expression}: differentiate it by {wrt}."
        else:
            prompt_end = (f"{user} = {expression}: work back through it from ∂{of}/∂{user} "
                          f"(you may type its step, {upstream}).")
        return Words(
            f"{self._gradient_shape(label, wrt, shape)} {prompt_end}",
            (self._gradient_entry(of, wrt),
             self._backward_rule(of, wrt, user, definition),
             *self._diag_hint(of, wrt, user, definition),
             *((last,) if last else ())),
            self._gradient_note(wrt))

    def _gradient_shape(self, label: str, wrt: str, shape: Shape) -> str:
        """What the gradient of a scalar by wrt looks like, by what wrt is: a matrix keeps
        its shape; a column's gradient is a row (numerator layout, as ∂L/∂x is in the
        shipped lessons); a row keeps its shape; a scalar's is a number."""
        rows, cols = self.shapes[wrt]
        if rows == cols == 1:
            return f"{label} is 1×1 (the derivative of a scalar by a scalar)."
        if cols == 1:
            return (f"{label} is a {shape_text(shape)} row (the gradient of a scalar by the "
                    f"{self.shape(wrt)} column {wrt}, in numerator layout: one entry per "
                    f"entry of {wrt}).")
        if rows == 1:
            return (f"{label} has {wrt}'s shape, {shape_text(shape)} (the gradient of a "
                    "scalar by a row vector).")
        return (f"{label} has {wrt}'s shape, {shape_text(shape)} (the gradient of a scalar "
                "by a matrix).")

    def _gradient_entry(self, of: str, wrt: str) -> str:
        if min(self.shapes[wrt]) == 1:
            return f"Entry i is how {of} moves when only {wrt}_i moves."
        return f"Entry (i, j) is how {of} moves when only {wrt}[i,j] moves."

    def _gradient_note(self, wrt: str) -> str:
        if self.shapes[wrt][1] == 1 and self.shapes[wrt][0] > 1:
            return (f"Working back through a definition keeps each quantity's own shape, so "
                    f"elementwise slopes enter with ⊙ instead of diag; the gradient by the "
                    f"column {wrt} is written as a row, as numerator layout asks.")
        return ("A gradient keeps the shape of what it is taken by, so elementwise slopes "
                "enter with ⊙ instead of diag.")

    def _diag_hint(self, of: str, wrt: str, user: str, definition: Node) -> tuple[str, ...]:
        """How a vector on a diagonal (a scale, as batch normalisation's γ) takes its
        gradient back: diag(g) scales the rows or the columns of what it multiplies."""
        for node in _subtrees(definition):
            if not (isinstance(node, BinOp) and node.op == "@"):
                continue
            if _is_diag_of(node.right, wrt):
                other = _grouped(node.left)
                return (f"{to_text(node)} multiplies column j of {other} by {wrt}_j, so "
                        f"∂{of}/∂{wrt}_j adds up column j of ∂{of}/∂{user} ⊙ {other}: "
                        f"a row of ones on the left sums each column.",)
            if _is_diag_of(node.left, wrt):
                other = _grouped(node.right)
                return (f"{to_text(node)} multiplies row i of {other} by {wrt}_i, so "
                        f"∂{of}/∂{wrt}_i adds up row i of ∂{of}/∂{user} ⊙ {other}: a "
                        "column of ones on the right sums each row.",)
        return ()

    def _chain_note(self, of: str, wrt: str, shape: Shape) -> str:
        if shape[0] != 1:
            return (f"This is the Jacobian from {wrt} to {of}: every factor between them, "
                    "multiplied in the order of the chain (numerator layout).")
        root = self.definitions.get(wrt)
        if root is None or (isinstance(root, Name) and root.name not in self.definitions):
            # an input (a weight, the network's input) or a copy of one
            return (f"This is {of}'s gradient by {wrt}: everything from {of} back to {wrt}, "
                    "multiplied out in one row (numerator layout).")
        note = (f"This is the upstream gradient at {wrt}: everything from {of} back to {wrt} "
                "in one row (numerator layout).")
        if any(isinstance(e, Call) and FUNCTIONS[e.func].elementwise and _is_name(e.args[0], wrt)
               for e in self.definitions.values()):  # wrt is a pre-activation
            note += " Its transpose is backpropagation's δ."
        return note

    def _backward_rule(self, of: str, wrt: str, user: str, definition: Node) -> str:
        """How the gradient passes back through the definition that uses wrt, for its rule."""
        kind = construct(definition)
        if kind == "elementwise" and _is_name(definition.args[0], wrt):  # type: ignore[attr-defined]
            function = FUNCTIONS[definition.func]  # type: ignore[attr-defined]
            slope = function.derivative.format(arg=wrt, out=user)
            return (f"{user} = {function.written}({wrt}) entry by entry: each entry of "
                    f"∂{of}/∂{wrt} is the same entry of ∂{of}/∂{user} times the slope {slope}. "
                    "Use * (⊙), not diag.")
        core = _unscaled(definition)
        if kind == "scaled-elementwise" and isinstance(core, Call) \
                and _is_name(core.args[0], wrt):  # -tanh(z), 2 * sigma(z), sigma(z) / 3
            function = FUNCTIONS[core.func]
            slope = function.derivative.format(arg=wrt, out=to_text(core))
            return (f"{user} = {to_text(definition)}: a constant times {function.written}"
                    f"({wrt}), entry by entry. Each entry of ∂{of}/∂{wrt} is the same entry "
                    f"of ∂{of}/∂{user} times the constant and the slope {slope}. Use * (⊙), "
                    "not diag.")
        if kind == "linear" and user == of:
            return (f"{of} is linear in {wrt}: entry (i, j) of the gradient is what multiplies "
                    f"{wrt}[i,j] in {of}.")
        if kind == "linear" and isinstance(definition, BinOp) and _is_name(definition.right, wrt):
            left = to_text(definition.left)
            return (f"{user} = {left} @ {wrt}: the gradient passes back to {wrt} as "
                    f"({left})ᵀ @ G, with G = ∂{of}/∂{user} in {user}'s shape.")
        if kind == "sum-rule":
            return (f"A sum passes its gradient unchanged to each term that holds {wrt}; then "
                    "work back through that term.")
        if kind == "sum":
            return (f"sum adds every entry, so ∂sum(M)/∂M is a matrix of ones in M's shape; "
                    f"then work back through the argument to {wrt}.")
        return ("For a product A @ B the gradient passes as G @ Bᵀ to A and Aᵀ @ G to B; for an "
                "elementwise function, G ⊙ f' with no diag.")

    def _weight(self, of: str, wrt: str, user: str, upstream: str | None, label: str,
                shape: Shape, key: Node, last: str | None) -> Words:
        """∂of/∂W for user = W @ input: an outer product, or a sum of them over a batch."""
        definition = self.definitions[user]
        other = to_text(definition.right)  # type: ignore[attr-defined]
        other_shape = infer_shape(definition.right, self.shapes)  # type: ignore[attr-defined]
        use = f" You may type {upstream} for ∂{of}/∂{user}." if upstream else ""
        if other_shape[1] == 1:
            return Words(
                f"{self._gradient_shape(label, wrt, shape)} Since {user} = "
                f"{to_text(definition)}, entry (i, j) is ∂{of}/∂{user}_i · {other}_j.{use}",
                (f"{user}_i = Σ_j {wrt}[i,j] · {other}_j, so ∂{user}_i/∂{wrt}[i,j] = {other}_j.",
                 f"An outer product: the column (∂{of}/∂{user})ᵀ times the row {other}ᵀ.",
                 *((last,) if last else ())),
                f"{label} = δ {other}ᵀ: a weight's gradient is the error at its output times the "
                "input it multiplies.",
                _transposed_mistake(key, shape))
        columns = other_shape[1]
        return Words(
            f"{self._gradient_shape(label, wrt, shape)} {user} = {to_text(definition)} "
            f"holds one example in each of its {columns} columns, and each example adds its own "
            f"outer product to {label}.{use}",
            (f"For example n alone, ∂{of}/∂{wrt} is δ_n {other}_nᵀ: column n of ∂{of}/∂{user} "
             f"(already in {user}'s shape, no transpose) times column n of {other}, transposed.",
             f"Summed over the columns, Σ_n a_n b_nᵀ is A @ Bᵀ: ({self.shape(user)}) @ "
             f"({shape_text((other_shape[1], other_shape[0]))}) = {shape_text(shape)}.",
             *((last,) if last else ())),
            f"{label} = Δ {other}ᵀ with Δ = ∂{of}/∂{user}: each example's error times its input, "
            "summed over the batch.",
            _transposed_mistake(key, shape))

    def _local(self, of: str, wrt: str, label: str, sizes: str, key: Node, shape: Shape
               ) -> Words:
        expression = self.definitions[of]
        written = to_text(expression)
        kind = construct(expression)
        key_text = to_text(key)
        if kind == "elementwise":
            return self._elementwise(of, wrt, label, key, shape)
        rules = {  # each rule's hints, made only for the rule that applies
            "linear": lambda: self._linear_hints(of, wrt, expression),
            "sum-rule": lambda: self._sum_rule_hints(of, wrt, expression),
            "product": lambda: ("Product rule, entry by entry: ∂(a ⊙ b) = diag(b) ∂a + diag(a) "
                                "∂b; a factor that does not contain " + wrt + " stays as it is.",),
            "quotient": lambda: ("Quotient rule, entry by entry: ∂(a / b) = ∂a / b − a ∂b / b².",),
            "power": lambda: (POWER_HINT,),
            "sum": lambda: self._sum_hints(wrt, expression),
            "softmax": lambda: (f"Differentiate {of}_i = e^({wrt}_i) / Σ_k e^({wrt}_k) by the "
                                f"quotient rule: ∂{of}_i/∂{wrt}_j = {of}_i·[i = j] − {of}_i "
                                f"{of}_j.",),
            "scaled-elementwise": lambda: (
                "A constant factor (a sign, a number) stays in front of the derivative.",
                "The function under it is applied entry by entry, so its Jacobian is a "
                "diagonal matrix of its slopes; multiply that by the constant."),
            "transpose": lambda: ("A transpose keeps a vector's entries in order.",
                                  *self._transposed_hints(_unscaled(expression))),
        }
        hints = rules.get(kind, lambda: ("Differentiate the definition by " + wrt + ", holding "
                                         "every other quantity fixed; work from the outermost "
                                         "operation in.",))()
        note = {
            "linear": "The Jacobian of a linear map is its matrix."
                      + (f" Here {wrt} multiplies from the left, so that matrix is "
                         f"{key_text}." if _left_operand(expression, wrt) else ""),
            "softmax": "Softmax couples its entries: the off-diagonal −p_i p_j records how "
                       "raising one score lowers every other probability.",
        }.get(kind, _squared_loss_note(expression))
        return Words(
            f"{of} = {written}. What is {label}? {sizes}",
            (*hints, *((_outline(key),) if len(key_text) <= LONG and _outline(key) else ())),
            note)

    def _elementwise(self, of: str, wrt: str, label: str, key: Node, shape: Shape) -> Words:
        expression = self.definitions[of]
        function = FUNCTIONS[expression.func]  # type: ignore[attr-defined]
        rule = function.derivative.format(arg="t", out=f"{function.written}(t)")
        mistakes = ()
        if shape[0] > 1 and isinstance(key, Call) and key.func == "diag":
            # The feedback keeps the key back: it is shown by reveal, after the hints.
            mistakes = (StepMistake(to_text(key.args[0]),
                                    f"Those are the right numbers, but as a "
                                    f"{self.shape(wrt)} vector. The Jacobian of an elementwise "
                                    f"function is a {shape_text(shape)} matrix, and {of}_i "
                                    f"depends only on {wrt}_i: where do these numbers go, and "
                                    "what fills the rest?"),)
        if shape == (1, 1):
            placed = ("A 1×1 Jacobian is the slope itself, written with the layer's names.",)
        else:
            placed = (f"{of}_i depends only on {wrt}_i: the off-diagonal entries are 0.",
                      f"Put the slope on the diagonal: {_outline(key) or 'diag(…)'}, with the "
                      "slope written in the layer's names.")
        return Words(
            f"{of} = {to_text(expression)}, applied entry by entry. What is the "
            f"{shape_text(shape)} Jacobian {label}? You may use {of} and {wrt}.",
            (f"The derivative of {function.written}(t) is {rule}.", *placed),
            f"An elementwise function's Jacobian is always diagonal: diag({function.written}'"
            f"({wrt})).", mistakes)

    def _linear_hints(self, of: str, wrt: str, expression: Node) -> tuple[str, ...]:
        if _left_operand(expression, wrt):
            right = to_text(expression.right)  # type: ignore[attr-defined]
            return (f"{of} = {to_text(expression)} is linear in the row {wrt}: entry k of {wrt} "
                    f"multiplies row k of {right}.",
                    f"So ∂{of}_i/∂{wrt}_k is entry (k, i) of {right}: the Jacobian is a "
                    "transpose (one row per entry of " + of + ").")
        return (f"{of} is a linear map of {wrt}: row i of the Jacobian holds the derivatives of "
                f"{of}_i by each entry of {wrt}.",
                "For a linear map A @ h the Jacobian ∂/∂h is A itself (numerator layout); for "
                "hᵀ @ a it is aᵀ.")

    def _sum_rule_hints(self, of: str, wrt: str, expression: Node) -> tuple[str, ...]:
        first = ("The derivative of a sum is the sum of the derivatives; a term without "
                 f"{wrt} contributes 0.")
        terms = [t for t in _terms(expression) if wrt in _names(t)]
        if len(terms) != 1 or _is_name(terms[0], wrt):
            return (first, f"∂{wrt}/∂{wrt} is the identity.")
        term = terms[0]
        if isinstance(term, Call) and FUNCTIONS[term.func].elementwise \
                and _is_name(term.args[0], wrt):
            function = FUNCTIONS[term.func]
            slope = function.derivative.format(arg=wrt, out=to_text(term))
            return (first, f"The term {to_text(term)} is applied entry by entry: its Jacobian "
                           f"is diagonal, with the slope {slope} (written with {wrt}: {of} is "
                           f"not {to_text(term)} alone).")
        return (first, f"Differentiate the term {to_text(term)} by {wrt} on its own.")

    def _transposed_hints(self, expression: Node) -> tuple[str, ...]:
        inner = expression.operand if isinstance(expression, Transpose) else None
        if isinstance(inner, Call) and FUNCTIONS[inner.func].elementwise:
            function = FUNCTIONS[inner.func]
            slope = function.derivative.format(arg=to_text(inner.args[0]), out=to_text(inner))
            return (f"So the Jacobian is {to_text(inner)}'s: {function.written} applied entry by "
                    f"entry, a diagonal matrix with the slope {slope}.",)
        return ()

    def _sum_hints(self, wrt: str, expression: Node) -> tuple[str, ...]:
        call = _unscaled(expression)
        hints = ["sum adds every entry: its Jacobian is a row of ones."]
        if isinstance(call, Call) and call.args and _entrywise(call.args[0]) \
                and not isinstance(call.args[0], Name) \
                and self.shapes.get(wrt) == infer_shape(call.args[0], self.shapes):
            argument = to_text(call.args[0])
            hints.append(f"Inside the sum, {argument} is computed entry by entry from {wrt}: "
                         "its Jacobian is diagonal, with each entry's own derivative.")
            if construct(call.args[0]) == "power":
                hints.append(POWER_HINT)
        return tuple(hints)

    def title(self, goals) -> str:
        return "Your network: " + ", ".join(f"∂{g.of}/∂{g.wrt}" for g in goals)

    def intro(self, network, definitions: Mapping[str, Node]) -> str:
        lines = [f"    {name} = {to_text(node)}" for name, node in definitions.items()]
        inputs = ", ".join(f"{i.name} ({shape_text(i.shape)})" for i in network.inputs)
        goals = ", ".join(f"**∂{g.of}/∂{g.wrt}**" for g in network.goals)
        parts = [
            f"A lesson generated from a network file. Inputs: {inputs}.",
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
    from tutor.networks.derivatives import matmul, tr

    swapped = matmul(tr(key.right), tr(key.left))
    return (StepMistake(to_text(swapped),
                        "That is the transpose. Row i belongs to output unit i, so the error "
                        "stands on the left and the input on the right: δ · inputᵀ."),)


def _is_name(node: Node, name: str) -> bool:
    return isinstance(node, Name) and node.name == name


def _grouped(node: Node) -> str:
    """The node's text, in parentheses unless it is a name."""
    return to_text(node) if isinstance(node, Name) else f"({to_text(node)})"


def _is_diag_of(node: Node, name: str) -> bool:
    from tutor.engine import names_in

    return isinstance(node, Call) and node.func == "diag" and name in names_in(node)


def _subtrees(node: Node) -> list[Node]:
    return [node, *(sub for child in children(node) for sub in _subtrees(child))]


def _outline(key: Node) -> str:
    """The key's form with every function's argument left out (diag(…) @ W2), for the last
    hint: the shape of the answer, not the answer; "" when that would be the key itself
    (a name, a transpose: the hints before it say which)."""
    def hide(node: Node) -> Node:
        if isinstance(node, Call):
            return with_children(node, tuple(Name(0, 0, name="…") for _ in node.args))
        parts = children(node)
        return with_children(node, tuple(hide(part) for part in parts)) if parts else node

    hidden = hide(key)
    return "" if hidden == key else to_text(hidden)


def _left_operand(node: Node, name: str) -> bool:
    """node is name @ (something): name multiplies from the left."""
    return isinstance(node, BinOp) and node.op == "@" and _is_name(node.left, name)


def _names(node: Node) -> set[str]:
    from tutor.engine import names_in

    return names_in(node)


def _terms(node: Node) -> list[Node]:
    """The terms of a sum or difference, signs dropped."""
    if isinstance(node, BinOp) and node.op in "+-":
        return _terms(node.left) + _terms(node.right)
    if isinstance(node, Neg):
        return _terms(node.operand)
    return [node]


def _unscaled(node: Node) -> Node:
    """The expression without a leading minus or constant factor: -sum(…), 0.5 * sum(…)."""
    if isinstance(node, Neg):
        return _unscaled(node.operand)
    if isinstance(node, BinOp) and node.op in "*@" and isinstance(node.left, Num):
        return _unscaled(node.right)
    if isinstance(node, BinOp) and node.op in "*/" and isinstance(node.right, Num):
        return _unscaled(node.left)
    return node


def _entrywise(node: Node) -> bool:
    """Computed entry by entry from names of one shape: its Jacobian by any of them is diagonal."""
    if isinstance(node, Name | Num):
        return True
    if isinstance(node, Neg):
        return _entrywise(node.operand)
    if isinstance(node, BinOp):
        if node.op == "^":
            return _entrywise(node.left) and isinstance(node.right, Num)
        return node.op in "+-*/" and _entrywise(node.left) and _entrywise(node.right)
    if isinstance(node, Call):
        return FUNCTIONS[node.func].elementwise and all(map(_entrywise, node.args))
    return False


def _squared_loss_note(node: Node) -> str:
    """For ½ u² or ½ sum(u²) (a squared loss): its slope is the signed miss u."""
    call = node.right if isinstance(node, BinOp) and node.op == "*" \
        and isinstance(node.left, Num) and node.left.text == "0.5" else None
    inner = call.args[0] if isinstance(call, Call) and call.func == "sum" else call
    if isinstance(inner, BinOp) and inner.op == "^" and isinstance(inner.right, Num) \
            and inner.right.text == "2":
        miss = to_text(inner.left)
        return f"For a squared loss ½({miss})² the slope is the signed miss {miss}, entry by entry."
    return ""
