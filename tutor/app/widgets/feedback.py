"""The verdict on a checked answer, worded for the student, and the hints taken so far."""

from __future__ import annotations

from collections.abc import Sequence

from textual.content import Content

from tutor.app.notation import number
from tutor.app.widgets.prose import inline_content
from tutor.app.widgets.steady import Steady, set_display, show
from tutor.engine import Verdict
from tutor.lessons.model import Step

DIAGNOSIS_NAMES = {
    "transpose": "transposed",
    "shape": "wrong shape",
    "sign": "sign",
    "scale": "constant factor",
    "vector-vs-diag": "vector vs diagonal matrix",
    "known-mistake": "a known mistake",
    "specific-values": "numbers instead of names",
    "precision": "close, not precise enough",
    "precedence": "right, grouped otherwise",
    "missing-factor": "a factor missing",
    "extra-factor": "a factor too many",
    "order": "factors in the wrong order",
    "factor-transposed": "a factor transposed",
    "wrong-point": "a derivative at the wrong point",
    "wrong-quantity": "the wrong quantity",
    "not-differentiated": "not differentiated",
    "product-kind": "⊙ and @ mixed up",
    "not-elementwise": "taken as elementwise",
    "missing-path": "a path missing",
    "missing-batch-sum": "the batch not summed",
}
# A slip whose grid of values would show every true value, moved or negated.
REVEALING_SLIPS = {"transpose", "sign", "scale"}


def verdict_content(verdict: Verdict, step: Step, is_last: bool) -> Content:
    if verdict.verdict == "correct":
        return correct_content(verdict, step, is_last)
    if verdict.verdict == "invalid" and verdict.error is None:
        # Not the answer's form (the lesson's key is no number here, or the checker
        # failed): the preview has nothing to point at, so the engine's words are shown.
        return Content.assemble(("⚠ No attempt counted. ", "bold $text-warning"),
                                verdict.feedback)
    if verdict.verdict == "invalid":
        # The preview under the box already says what is wrong and points at it.
        return Content.assemble(
            ("⚠ Not an answer yet — no attempt counted. ", "bold $text-warning"),
            ("What is wrong is shown under the answer box.", "$text-muted"),
        )
    names = ", ".join(DIAGNOSIS_NAMES.get(code, code) for code in verdict.diagnosis)
    head = Content.assemble(
        ("✗ Not yet", "bold $text-error"), (f"  ({names})" if names else "", "$text-muted")
    )
    return Content("\n").join([head, feedback_content(verdict, step), *marked_rows(verdict)])


def feedback_content(verdict: Verdict, step: Step) -> Content:
    """The verdict's words: the engine's as they are, a known mistake's (which the lesson's
    author wrote) with their marks styled."""
    feedback = verdict.feedback
    known = "known-mistake" in verdict.diagnosis
    if known and verdict.shape is None and "shape" in verdict.diagnosis:
        # An ill-shaped known mistake: the engine appends the shape clash, which the
        # preview under the box already shows with its caret; at 80×24 repeating it
        # would push the author's explanation out of sight.
        feedback = feedback.split("\n\n", 1)[0]
    authored = next((m.feedback for m in step.mistakes if feedback.startswith(m.feedback)),
                    None) if known else None
    if authored is None:
        return Content(feedback)
    return inline_content(authored) + Content(feedback[len(authored):])


MAX_MARKED_SIDE = 6


def marked_rows(verdict: Verdict) -> list[Content]:
    """The answer's values at this variant, each entry that is off marked ✗ (seen without
    colour too); nothing for a 1×1 answer, one too large to lay out, or one whose slip
    (a transpose, the sign, a constant) would make the grid show every true value."""
    value = verdict.value
    if value is None or not verdict.entries or value.size < 2 or max(value.shape) > (
        MAX_MARKED_SIDE
    ) or REVEALING_SLIPS & set(verdict.diagnosis):
        return []
    off = {(i - 1, j - 1) for i, j in verdict.entries}
    cells = [[number(float(v)) for v in row] for row in value]
    width = max(len(cell) for row in cells for cell in row)
    rows = [Content.styled("your values, ✗ where they are off:", "$text-muted")]
    for i, row in enumerate(cells):
        parts: list[tuple[str, str] | str] = ["  [ "]
        for j, cell in enumerate(row):
            if (i, j) in off:
                parts.append((f"{cell.rjust(width)}✗", "bold $text-error"))
            else:
                parts.append((f"{cell.rjust(width)} ", ""))
            parts.append("  " if j < len(row) - 1 else " ]")
        rows.append(Content.assemble(*parts))
    return rows


def correct_content(verdict: Verdict, step: Step, is_last: bool) -> Content:
    rows = [Content.styled(verdict.feedback, "bold $text-success")]
    if step.note:
        rows.append(inline_content(step.note).stylize_before("italic"))
    rows.append(Content.styled(next_hint(is_last), "$text-muted"))
    return Content("\n").join(rows)


def next_hint(is_last: bool) -> str:
    return "Enter: the summary." if is_last else "Enter: the next factor."


def revealed_content(step: Step, is_last: bool) -> Content:
    rows = [
        Content.assemble(("Solution: ", "bold"), (step.answer, "bold $text-accent")),
        Content.styled(
            "Marked as revealed, not solved. Type it in to see it checked.", "$text-muted"
        ),
    ]
    if step.note:
        rows.append(inline_content(step.note).stylize_before("italic"))
    rows.append(Content.styled(next_hint(is_last), "$text-muted"))
    return Content("\n").join(rows)


def worked_content(step: Step, is_last: bool) -> Content:
    """A worked example: the step's derivation in its own words (its hints, in order),
    the factor, and what to do with it."""
    rows = [Content.assemble(("Worked example: ", "bold"), (step.label, "bold"), (" = ", "bold"),
                             (step.answer, "bold $text-accent"))]  # first: seen at any size
    rows += [inline_content(hint) for hint in step.hints]  # how it goes, in the step's words
    if step.note:
        rows.append(inline_content(step.note).stylize_before("italic"))
    rows.append(Content.styled(
        "Type it in yourself to see it checked. Studied, not solved: the tutor shows fewer "
        "worked steps as your answers show what you know.", "$text-muted"))
    rows.append(Content.styled(next_hint(is_last), "$text-muted"))
    return Content("\n").join(rows)


def hints_content(hints: Sequence[str], used: int) -> Content:
    rows = [
        Content.assemble((f"Hint {number}/{len(hints)}: ", "bold $text-accent"),
                         inline_content(text))
        for number, text in enumerate(hints[:used], start=1)
    ]
    return Content("\n").join(rows)


class Feedback(Steady):
    """The verdict area; it takes no room while it has nothing to say."""

    DEFAULT_CSS = """
    Feedback { height: auto; }
    """

    def say(self, content: Content | str) -> None:
        show(self, content)
        set_display(self, bool(str(content)))
