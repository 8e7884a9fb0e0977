"""The stamp `chain-tutor new` writes into a lesson it has just validated.

Validating a lesson made from a network repeats the work `new` did a moment before,
and on a large network that was most of a minute. So `new` writes, among the lesson's
first lines, ``validated = "v2:<sha256>"``: a hash of the rest of the file and of the
validation's version. `validate` trusts a stamp that matches: the file is byte for byte
what a validated lesson was written as, and the checks are the ones that passed it. An
edited file (a key, a quantity, a comment, a space) has another hash, and a newer
tutor's checks another version, so either is validated again.
"""

from __future__ import annotations

import hashlib
import re

# Raised whenever validation accepts or refuses differently, so that stamps written by
# an older tutor are checked again. 2: finite differences with Richardson's error bound.
VALIDATION_VERSION = 2
_LINE = re.compile(r'^validated = "(?P<stamp>[^"\n]*)"\n', re.MULTILINE)


def _digest(text: str) -> str:
    body = f"chain-tutor validation {VALIDATION_VERSION}\n{text}".encode()
    return f"v{VALIDATION_VERSION}:{hashlib.sha256(body).hexdigest()}"


def stamped(text: str) -> str:
    """``text`` (a lesson file as lesson_writer writes it) with its stamp after its first
    line (format = …), where a top-level key may stand."""
    first, _, rest = text.partition("\n")
    return f'{first}\nvalidated = "{_digest(text)}"\n{rest}'


def stamp_holds(text: str) -> bool:
    """Whether ``text`` carries a stamp, and the stamp is of this very text (without it)
    and of this tutor's validation."""
    found = list(_LINE.finditer(text))
    if len(found) != 1:
        return False
    match = found[0]
    unstamped = text[:match.start()] + text[match.end():]
    return match.group("stamp") == _digest(unstamped)
