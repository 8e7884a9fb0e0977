"""The id of a student's network, made from its text: hashlib only, so that the progress
store can check an imported network without loading the engine."""

from __future__ import annotations

import hashlib


def normalized(text: str) -> str:
    """The text as kept: line ends and trailing spaces and blank lines are not the network."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return "\n".join(lines).strip("\n") + "\n"


def network_lesson_id(text: str) -> str:
    """The lesson id of a student's network, made from its text: the same network typed
    again (up to trailing spaces and blank lines) resumes the same lesson."""
    digest = hashlib.sha256(normalized(text).encode("utf-8")).hexdigest()
    return f"net-{digest[:12]}"
