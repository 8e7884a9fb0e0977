"""What the generator refuses, and where: the limits a network's lesson must keep to.

A network inside every limit of its file (sizes, definitions, goals) can still make a
lesson no one could work or check: a key longer than an answer may be, a quantity used
so often that the steps run into thousands, a lesson whose validation takes minutes, a
value that is no number at a drawn point. Each check here refuses such a network with a
GeneratorError at the line that causes it, before the work it would cost is done.
"""

from __future__ import annotations

from tutor.engine import EngineError, Node, parse, to_text
from tutor.engine.nodes import children
from tutor.lessons.model import Lesson
from tutor.networks.reader import Network, NetworkError
from tutor.progress.limits import MAX_STEPS, id_problem

MAX_COPIES = 100  # uses of quantities used more than once, each a step of its own


class GeneratorError(NetworkError):
    """A network the generator refuses: a goal it cannot ask, or a lesson that failed checks."""


def within_copies(uses: dict[str, int], definition) -> None:
    """Refuse, at the definition that passes it, more than MAX_COPIES uses of quantities
    used more than once: each use is a step of its own (and the walk looks through the
    definitions for each), so 58 lines of x * x * … made 4,000 steps in two minutes
    before the key's length refused them."""
    copies = sum(count for count in uses.values() if count > 1)
    if copies > MAX_COPIES:
        many = sorted((n for n, c in uses.items() if c > 1), key=lambda n: -uses[n])
        raise GeneratorError(
            f"{', '.join(many[:3])} {'is' if len(many) == 1 else 'are'} used {copies} times "
            f"in all on the way to the goals, past the limit of {MAX_COPIES}: each use is a "
            "factor of its own to find. Name a repeated product once (p = x * x) and use the "
            "name", definition.line, 1)


def within_limits(network: Network, names: list[str], answer: str, composes: str | None,
                  of: str, wrt: str, kind: str, user: str | None) -> None:
    """Refuse a step whose key (or composes) no one could type: the lesson reads each
    with the answer language's parser, whose limits (2,000 characters, 60 levels of
    nesting, numbers below 1e12, …) a student's answer has too."""
    for what, text in (("key", answer), ("product of its factors", composes)):
        if text is None:
            continue
        try:
            parse(text, names)
        except EngineError as error:
            where = network.definition(of if kind == "local" else user or "")
            advice = (f"split {where.name} = … into smaller definitions"
                      if where is not None else
                      f"ask for a goal nearer to {wrt}, or make the network between "
                      f"{wrt} and {of} smaller")
            raise GeneratorError(
                f"the {what} of ∂{of}/∂{wrt}, written out, is past what an answer may "
                f"be ({error.message.rstrip('.')}), so no student could type it: "
                f"{advice}.", where.line if where is not None else None, 1) from None


def storable(steps: int, step_id: str, of: str, wrt: str) -> None:
    """Refuse, before it is made, a step whose progress an import would refuse."""
    if steps >= MAX_STEPS:
        raise GeneratorError(f"this network's lesson has more steps than the limit of "
                             f"{MAX_STEPS:,} steps for a lesson: ask fewer goals, or use "
                             "each quantity in fewer places")
    wrong = id_problem(step_id)
    if wrong is not None:
        shown = step_id if len(step_id) <= 40 else step_id[:39] + "…"
        raise GeneratorError(f"the step ∂{of}/∂{wrt} would have the id {shown!r}, "
                             f"which {wrong}: give the quantities shorter names")


def not_too_long(key: Node, of: str, wrt: str) -> None:
    """Refuse a key past the answer language's length before writing it out: a quantity
    used twice in each layer doubles the key at every layer (the trees share their
    parts, their text does not), so writing it could take longer than anyone waits."""
    from tutor.engine.tokens import MAX_LENGTH

    # Each node is at least one character of text: counting stops past the limit.
    if _nodes_past(key, MAX_LENGTH) or len(to_text(key)) > MAX_LENGTH:
        raise GeneratorError(
            f"∂{of}/∂{wrt} would be written with more than {MAX_LENGTH:,} characters, past "
            "the answer language's limit: a quantity used many times adds a term for each "
            "use, and one used twice in each layer doubles the terms at every layer. Use it "
            "once per layer, or make the network shallower.")


def _nodes_past(node: Node, limit: int) -> bool:
    count, pending = 0, [node]
    while pending:
        count += 1
        if count > limit:
            return True
        pending.extend(children(pending.pop()))
    return False


def within_work(lesson: Lesson, network: Network, ends: list[int]) -> None:
    """Refuse, at the goal that passes it, a lesson whose validation would outrun the
    limit (tutor.lessons.validation.MAX_WORK): the sizes, definitions and goals each within
    their limits can still multiply into a lesson that takes minutes to check."""
    from tutor.lessons.validation import MAX_WORK, validation_work

    total = 0
    for index, work in enumerate(validation_work(lesson)):
        total += work
        if total > MAX_WORK:
            goal = network.goals[next(g for g, end in enumerate(ends) if index < end)]
            raise GeneratorError(
                f"checking the lesson up to this goal would take past the limit of "
                f"{MAX_WORK:,} evaluations ({len(lesson.steps)} steps in all, "
                f"{sum(validation_work(lesson)):,} evaluations), which keeps making a "
                "lesson within a minute: ask fewer goals, or make the network shallower "
                "or its sizes smaller", goal.line, 1)


def defined_everywhere(lesson: Lesson, network: Network) -> None:
    """Refuse, at its line, a network whose forward pass is not a number at the drawn
    values, or whose relu meets its kink there: no step of it could be checked, and the
    student must learn why from the line, not from a failed validation.

    Poles (1/x, log and sqrt of what may be negative) were refused as the network was
    read (tutor.networks.domains), for every draw; what only numbers show is left here:
    an overflow (exp(exp(100 x))), and a relu whose argument is exactly 0 (relu(x - x)),
    where it has no derivative and finite differences see a slope of ½."""
    import numpy as np

    from tutor.lessons.validation import validation_points

    for values in validation_points(lesson):
        for definition in network.definitions:
            if not np.all(np.isfinite(values[definition.name])):
                raise GeneratorError(
                    f"{definition.name} = {definition.text} is not a number at some drawn "
                    "values of the inputs: its values overflow there. Keep what goes into "
                    "exp and powers small.", definition.line, 1)
            kink = _at_a_kink(definition.node, values)
            if kink is not None:
                raise GeneratorError(
                    f"{definition.name} = {definition.text}: the argument of "
                    f"{to_text(kink)} is exactly 0 at some drawn values of the inputs, where "
                    "relu has a kink and no derivative, so no factor through it could be "
                    "checked. Give relu an argument that is not exactly 0 at the drawn values "
                    "(a difference of equal quantities, x - x, is 0 everywhere).",
                    definition.line, 1)


def _at_a_kink(node: Node, values) -> Node | None:
    """The first relu(…) in ``node`` whose argument has an entry exactly 0 at ``values``."""
    import numpy as np

    from tutor.engine import evaluate
    from tutor.engine.nodes import Call

    if isinstance(node, Call) and node.func == "relu" and np.any(
            evaluate(node.args[0], values) == 0):
        return node
    return next((found for child in children(node)
                 if (found := _at_a_kink(child, values)) is not None), None)


def beyond_differences(lesson: Lesson, network: Network, steps: list[str]) -> GeneratorError:
    """The refusal of a network whose keys neither check can confirm, though the rules
    that wrote them are checked on every other network: at every drawn point the finite
    differences' own error estimate is too large to judge by (values so large or steep
    that they lose their digits, a kink within the step), and sympy ran out of time.
    Said at the definition with the largest value, not as a fault."""
    import numpy as np

    from tutor.lessons.validation import validation_points

    largest, where = 0.0, None
    for values in validation_points(lesson):
        for definition in network.definitions:
            size = float(np.max(np.abs(values[definition.name]), initial=0.0))
            if size > largest:
                largest, where = size, definition
    labels = ", ".join(lesson.factors[s].label for s in steps[:3] if s in lesson.factors)
    more = f" and {len(steps) - 3} more" if len(steps) > 3 else ""
    named = (f" ({where.name} reaches {largest:.3g})" if where is not None else "")
    return GeneratorError(
        f"finite differences, which check every factor of a lesson, cannot confirm "
        f"{len(steps)} of this one's ({labels}{more}): at every drawn value their own error "
        f"is too large to judge by, its numbers too large or too steep for them{named}, and "
        "sympy could not prove them in its time. Make the network shallower or its sizes "
        "smaller, or put a squashing function (tanh, sigma) between its layers.",
        where.line if where is not None else None, 1)
