"""The export file's format, declared once as types (msgspec), and its errors in words.

Two levels, because a file is refused whole only when it is not an export at all or
is damaged in its frame (ExportFile: format, version, its lists): each entry of
a list (LessonEntry, AttemptEntry, NetworkEntry) is converted on its own, and one that
does not fit is left out, with its reason, while the rest is imported.

Imported only when a file is read (tutor.progress.export.snapshot_from_json): msgspec
costs the first screen ~18 ms it must not wait for.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

from tutor.progress.limits import (
    EXPORT_VERSION,
    INT64,
    MAX_DIAGNOSIS_CODES,
    MAX_ELAPSED,
    MAX_HINTS,
    MAX_ID_LENGTH,
    MAX_NETWORK_TEXT,
    MAX_STEPS,
    MAX_TIME,
)
from tutor.rules import STATUSES, VERDICTS

# The format is these types; msgspec checks every field's type and bounds, and refuses
# unknown fields. What a type cannot say (printable ids, the parser's answer length, a
# lesson listed twice, how many entries a list may hold) is checked after, in export.py.
Id = Annotated[str, Meta(min_length=1, max_length=MAX_ID_LENGTH)]
Code = Annotated[str, Meta(max_length=MAX_ID_LENGTH)]
Int64 = Annotated[int, Meta(ge=-INT64, le=INT64 - 1)]
Time = Annotated[float, Meta(ge=0, le=MAX_TIME)]  # seconds since 1970, until 2106
Status = Literal["solved", "revealed"]
Verdict = Literal["correct", "incorrect", "invalid"]


class StepEntry(Struct, forbid_unknown_fields=True, frozen=True):
    step_id: Id
    status: Status | None = None  # None: open
    hints: Annotated[int, Meta(ge=0, le=MAX_HINTS)] = 0


class LessonEntry(Struct, forbid_unknown_fields=True, frozen=True):
    lesson_id: Id
    seed: Int64 | None = None  # None: not started with a variant yet
    started: Time | None = None
    finished: Time | None = None
    steps: Annotated[list[StepEntry], Meta(max_length=MAX_STEPS)] = []


class AttemptEntry(Struct, forbid_unknown_fields=True, frozen=True):
    lesson_id: Id
    step_id: Id
    seed: Int64
    answer: str  # at most the parser's MAX_LENGTH, checked after (it is the engine's)
    verdict: Verdict
    elapsed: Annotated[float, Meta(ge=0, le=MAX_ELAPSED)]  # seconds spent on this answer
    at: Time
    diagnosis: Annotated[list[Code], Meta(max_length=MAX_DIAGNOSIS_CODES)] = []


class RevealEntry(Struct, forbid_unknown_fields=True, frozen=True):
    lesson_id: Id
    step_id: Id
    at: Time
    seed: Int64 | None = None  # None: the lesson had no variant yet
    studied: bool = False  # version 5 on: shown as a worked example


class NetworkEntry(Struct, forbid_unknown_fields=True, frozen=True):
    lesson_id: Id
    title: str  # any text: cleaned as the tutor cleans a title it reads (clean_text)
    text: Annotated[str, Meta(min_length=1, max_length=MAX_NETWORK_TEXT)]
    added: Time
    used: Time
    steps: Annotated[list[tuple[Id, Id]], Meta(max_length=MAX_STEPS)] = []


class ExportFile(Struct, forbid_unknown_fields=True, frozen=True):
    format: Literal["chain-tutor-progress"]
    version: Annotated[int, Meta(ge=1, le=EXPORT_VERSION)]
    lessons: list[Any]  # of LessonEntry, each converted on its own
    attempts: list[Any]  # of AttemptEntry
    student: str | None = None  # its length and characters are checked after
    exported_at: str | None = None  # ISO 8601, for people; not read back
    networks: list[Any] = []  # of NetworkEntry; version 2
    # Whose record this is (the login its database recorded when it was made); version 3.
    # ``student`` is who exported it. Checked after, as ``student`` is.
    login: str | None = None
    reveals: list[Any] = []  # of RevealEntry; version 4



_LOCATION = re.compile(r" - at `\$\.?(?P<path>[^`]*)`$")
_BOUND = re.compile(r"Expected `(?P<kind>\w+)`(?: of length)? (?P<op>[<>]=) (?P<limit>[-\d.e+]+)$")
_KINDS = {"str": "a string", "int": "a whole number", "float": "a number", "array": "a list",
          "object": "an object", "null": "null", "bool": "true or false"}


def _at(value: Any, path: str) -> Any:
    """The part of ``value`` at msgspec's ``path`` ("steps[2].hints"); None if none."""
    for name, index in _STEP.findall(path):
        try:
            value = value[int(index)] if index else value[name]
        except (LookupError, TypeError, ValueError):
            return None
    return value


_STEP = re.compile(r"\.?(\w+)|\[(\d+)\]")


def worded(message: str, at: str = "", value: Any = None) -> str:
    """msgspec's message, said as the other errors here are: where, then what.
    ``at``: where the converted ``value`` sits in the file ("attempts[3]")."""
    found = _LOCATION.search(message)
    path = where = found.group("path") if found else ""
    if at:
        where = at + ("" if not where or where.startswith("[") else ".") + where
    what = _LOCATION.sub("", message)
    held = _at(value, path) if found else None
    if _BOUND.match(what) and isinstance(held, float) and held != held:
        return f"{where} is not a number"  # NaN fails every bound: "at least 0" would puzzle
    if what.startswith("Object missing required field"):
        field = what.split("`")[1]
        return f"{where or 'the file'} has no {field!r}"
    if what.startswith("Object contains unknown field"):
        field = what.split("`")[1]
        return f"{where or 'the file'} has a field {field!r} that exports do not have"
    if what.startswith("Invalid enum value"):
        choices = {"status": STATUSES, "verdict": VERDICTS}.get(where.rsplit(".", 1)[-1], ())
        listed = f"one of {', '.join(choices)}" if choices else "another value"
        return f"{where} must be {listed}, not {what.split(' ', 3)[3]}"
    bound = _BOUND.match(what)
    if bound:
        text = bound.group("limit")
        # An integer bound read as a float would be rounded: 2**63 - 1 shown as 2**63.
        limit = int(text) if text.lstrip("-").isdigit() else float(text)
        shown = (f"{limit:,}" if isinstance(limit, int)
                 else f"{limit:,.0f}" if limit == int(limit) else f"{limit:g}")
        kind = bound.group("kind")
        if "of length" in what:
            unit = "entries" if kind == "array" else "characters"
            return f"{where} holds more than {shown} {unit}: at most {shown} are allowed"
        side = "at most" if bound.group("op") == "<=" else "at least"
        return f"{where} must be {side} {shown}"
    if what.startswith("Expected `"):
        expected = what.split("`")[1]  # "int", or a union: "int | null"
        kinds = " or ".join(_KINDS.get(kind, kind) for kind in expected.split(" | "))
        return f"{where or 'the file'} must be {kinds}"
    return f"{where}: {what}" if where else what
