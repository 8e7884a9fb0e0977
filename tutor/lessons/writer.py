"""A Lesson written out as an ordinary lesson file (format = 1), for an author to edit.

`chain-tutor new` hands an instructor a generated lesson in the same format as the
shipped ones, so that validate, show, check and --lessons take it and the instructor
can rewrite its prompts. Every string is quoted by one function that escapes what TOML
requires (quotes, backslashes, control characters), so no text from a network can
break out of its string; the test reads each written file back with the loader.
"""

from __future__ import annotations

from tutor.lessons.model import Lesson, Quantity, Step
from tutor.lessons.schema import FORMAT

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f",
            "\r": "\\r"}


def quote(text: str) -> str:
    """A TOML basic string holding exactly ``text``."""
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def quote_block(text: str) -> str:
    """A multi-line string when it reads as written and is safe; a basic string otherwise."""
    unsafe = '"""' in text or "\\" in text or text.endswith('"') or any(
        (ord(c) < 0x20 and c != "\n") or ord(c) == 0x7F for c in text)
    return quote(text) if unsafe else f'"""\n{text}"""'


def _key(name: str) -> str:
    return name if name.replace("_", "a").isalnum() and name.isascii() else quote(name)


def _quantity(quantity: Quantity) -> str:
    rows, cols = quantity.shape
    parts = [f"shape = [{rows}, {cols}]", f"draw = {quote(quantity.draw)}"]
    for field in ("low", "high"):
        value = getattr(quantity, field)
        if value is not None:
            parts.append(f"{field} = {value!r}")
    if quantity.values is not None:
        rows = ", ".join("[" + ", ".join(repr(v) for v in row) + "]" for row in quantity.values)
        parts.append(f"values = [{rows}]")
    if quantity.per is not None:
        parts.append(f"per = {quote(quantity.per)}")
    if quantity.about:
        parts.append(f"about = {quote(quantity.about)}")
    return f"{_key(quantity.name)} = {{ {', '.join(parts)} }}"


def _step(step: Step) -> list[str]:
    lines = ["", "[[steps]]", f"id = {quote(step.id)}", f"of = {quote(step.of)}",
             f"wrt = {quote(step.wrt)}", f"prompt = {quote(step.prompt)}",
             f"answer = {quote(step.answer)}"]
    if step.composes:
        lines.append(f"composes = {quote(step.composes)}")
    if step.skills:
        lines.append(f"skills = [{', '.join(quote(skill) for skill in step.skills)}]")
    if step.tolerance is not None:
        lines.append(f"tolerance = {step.tolerance!r}")
    if step.hints:
        lines.append("hints = [")
        lines += [f"  {quote(hint)}," for hint in step.hints]
        lines.append("]")
    if step.note:
        lines.append(f"note = {quote(step.note)}")
    for mistake in step.mistakes:
        lines += ["", "[[steps.mistakes]]", f"answer = {quote(mistake.answer)}",
                  f"feedback = {quote(mistake.feedback)}"]
    return lines


def lesson_toml(lesson: Lesson) -> str:
    lines = [f"format = {FORMAT}", f"id = {quote(lesson.id)}", f"title = {quote(lesson.title)}"]
    if lesson.goal:
        lines.append(f"goal = {quote(lesson.goal)}")
    lines.append(f"intro = {quote_block(lesson.intro)}")
    lines += ["", "[quantities]"] + [_quantity(q) for q in lesson.quantities.values()]
    if lesson.definitions:
        lines += ["", "[definitions]"]
        lines += [f"{_key(name)} = {quote(text)}" for name, text in lesson.definitions.items()]
    for step in lesson.steps:
        lines += _step(step)
    return "\n".join(lines) + "\n"
