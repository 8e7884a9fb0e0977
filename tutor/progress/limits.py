"""What the tutor stores, and so what its import takes: the limits and the text rules, once.

Every export must import. So the rules an import checks are applied where each thing
is made, not only where it is read back: a lesson's step ids and step count when a
lesson file is loaded or a network's lesson generated, a network's title when it is
read from the file's first comment and again when it is saved. An import checks the
same rules, with the same functions, and the limits are generous enough for anything
the tutor itself makes (MAX_STEPS: the generator refuses a network whose lesson would
be longer, so the two cannot drift apart).

No imports beyond the standard library: the lesson loader and the network reader use
these rules too.
"""

from __future__ import annotations

import unicodedata

# What one import may hold: no more than the tutor itself writes (record_attempt keeps
# to the same limits), so that nothing imported can make a screen or a report slow,
# huge or wrong. An answer's limit is the parser's (max_answer_length).
# 2: the student's own networks; 3: "login", whose record it is; 4: "reveals", when each
# step's solution was shown; 5: a reveal's "studied" (a worked example). Older files still read.
EXPORT_VERSION = 5
INT64 = 2**63  # SQLite's integers: what an export's numbers must fit
MAX_IMPORT_ATTEMPTS = 100_000  # a lesson with this many opens quickly (test_tui_history.py)
MAX_IMPORT_LESSONS = 1_000
# Per lesson. The network limits (40 inputs, 60 definitions, 8 goals) make lessons of a
# few hundred steps; generate() refuses one longer than this, so an export of any lesson
# the tutor made imports.
MAX_STEPS = 1_000
MAX_ID_LENGTH = 200  # lesson and step ids, diagnosis codes
MAX_STUDENT_LENGTH = 256  # a login name
MAX_DIAGNOSIS_CODES = 32  # per attempt
MAX_HINTS = 100  # per step; a lesson offers a handful
MAX_ELAPSED = 7 * 86400.0  # seconds on one answer: a step left open for a week
MAX_TIME = float(2**32)  # unix time, in 2106; times before 1970 are refused too
MAX_NETWORKS = 1_000
MAX_NETWORK_TEXT = 20_000  # characters: tutor.networks.reader's own limit for a network file
MAX_TITLE = 500


def max_answer_length() -> int:
    """The parser's limit: a longer answer cannot be checked, so it is never worth keeping.
    Imported when needed, so that the first screen does not wait for the engine."""
    from tutor.engine.parser import MAX_LENGTH

    return MAX_LENGTH

_NAMED = {"\t": "a tab", "\n": "a line break", "\r": "a carriage return"}


def character_name(char: str) -> str:
    """A character a person cannot see or tell apart, said in words with its code point:
    "a tab (U+0009)", "a no-break space (U+00A0)", "a control character (U+001B)"."""
    code = f"U+{ord(char):04X}"
    if char in _NAMED:
        return f"{_NAMED[char]} ({code})"
    if char.isspace():
        name = unicodedata.name(char, "").lower()
        if "space" not in name:
            return f"a space character ({code}), not the plain space"
        return f"{'an' if name[0] in 'aeiou' else 'a'} {name} ({code})"
    category = unicodedata.category(char)
    if category == "Cc":
        return f"a control character ({code})"
    if category == "Cf":
        name = unicodedata.name(char, "").lower()
        return f"an invisible formatting character ({code}{', ' + name if name else ''})"
    if category == "Cs":
        return f"half of a surrogate pair ({code}), which is not text"
    return f"a character with no printable form ({code})"


def unprintable(text: str, *, space: bool = True) -> str | None:
    """The first character of ``text`` a terminal would obey or a person could not see
    (control, format and unassigned characters, and spaces other than " "), in words;
    with ``space=False`` the plain space too. None if there is none."""
    if text.isprintable() and (space or " " not in text):
        return None
    for char in text:
        if not char.isprintable() or (char == " " and not space):
            return character_name(char)
    return None


def id_problem(text: str) -> str | None:
    """Why ``text`` cannot be an id the tutor stores (a lesson's or a step's), in words,
    or None. Ids are typed by authors, so a space is refused as well: an id with one is
    a slip, and a step id is also the name an answer may use for its factor."""
    if not 1 <= len(text) <= MAX_ID_LENGTH:
        return f"is {len(text):,} characters long; an id has 1 to {MAX_ID_LENGTH}"
    found = unprintable(text, space=False)
    if found is not None:
        return f"holds {found}; an id has no spaces or invisible characters"
    return None


def clean_text(text: str, limit: int) -> str:
    """``text`` as one printable line of at most ``limit`` characters: every run of
    whitespace (tabs, no-break spaces, line breaks) one space, control and other
    invisible characters dropped, cut at the limit with "…". What the tutor does to a
    title it takes from a file, and to one it imports."""
    words = "".join(char if char.isprintable() or char.isspace() else "" for char in text)
    line = " ".join(words.split())
    if len(line) > limit:
        line = line[:limit - 1].rstrip() + "…"
    return line
