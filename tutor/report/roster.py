"""A class list: who should be in the report, with the names and ids an LMS knows them by.

A roster is a CSV file an instructor maps from what their LMS exports, with the header
``login,name,sis_id,section`` (columns in any order; ``login`` is the one required; other
columns are ignored, so an LMS's export with a login column added reads as it is). The
login is the student's account name, the one their progress records carry
(tutor.report.sources.identity), so a roster row and a student's files meet on it.

Read whole and checked before anything is reported: an error names the file and line
(``roster.csv:4: alice is already on line 2``), for the command to exit 2 with; a
roster half read would quietly leave students out of a report or a gradebook.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from tutor.files import FileRefused, FileTooLarge, read_bounded
from tutor.progress.limits import MAX_STUDENT_LENGTH, unprintable

COLUMNS = ("login", "name", "sis_id", "section")
MAX_ROSTER_BYTES = 16 * 2**20  # a class of 100,000 students is well under it
MAX_CELL = 500  # characters: a name or an id, not a document


@dataclass(frozen=True)
class RosterEntry:
    login: str
    name: str = ""
    sis_id: str = ""
    section: str = ""


class RosterError(Exception):
    """A roster that cannot be used; the message is ``file:line: reason``."""


def read_roster(path: Path | str) -> list[RosterEntry]:
    """The roster's students in the file's order; RosterError at the first problem."""
    shown = str(path)
    try:
        raw = read_bounded(path, MAX_ROSTER_BYTES)
    except FileTooLarge:
        raise RosterError(f"{shown}: larger than {MAX_ROSTER_BYTES // 2**20} MiB, so not "
                          "a class list") from None
    except FileRefused as error:
        raise RosterError(f"{shown}: {error.reason}") from None
    try:
        text = raw.decode("utf-8-sig")  # a spreadsheet's CSV may begin with a BOM
    except UnicodeDecodeError as error:
        line = raw[:error.start].count(b"\n") + 1
        raise RosterError(f"{shown}:{line}: not UTF-8 text (save the CSV as UTF-8)") from None
    return _entries(shown, text)


def _entries(shown: str, text: str) -> list[RosterEntry]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise RosterError(f"{shown}:1: no header: a roster begins with the line "
                              f"{','.join(COLUMNS)}")
        names = [cell.strip().lower() for cell in header]
        if "login" not in names:
            raise RosterError(f"{shown}:1: the header has no login column (a roster's "
                              f"header is {','.join(COLUMNS)})")
        where = {column: names.index(column) for column in COLUMNS if column in names}
        entries: list[RosterEntry] = []
        seen: dict[str, int] = {}
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue  # a blank line, as spreadsheets leave at the end
            if len(row) != len(header):
                raise RosterError(f"{shown}:{line}: {len(row)} fields, but the header has "
                                  f"{len(header)}")
            cells = {column: row[index].strip() for column, index in where.items()}
            for column, cell in cells.items():
                _check_cell(shown, line, column, cell)
            login = cells["login"]
            if not login:
                raise RosterError(f"{shown}:{line}: no login")
            if login in seen:
                raise RosterError(f"{shown}:{line}: {login} is already on line {seen[login]}")
            seen[login] = line
            entries.append(RosterEntry(login, cells.get("name", ""), cells.get("sis_id", ""),
                                       cells.get("section", "")))
    except csv.Error as error:
        raise RosterError(f"{shown}:{reader.line_num}: not CSV ({error})") from None
    return entries


def _check_cell(shown: str, line: int, column: str, cell: str) -> None:
    limit = MAX_STUDENT_LENGTH if column == "login" else MAX_CELL
    if len(cell) > limit:
        raise RosterError(f"{shown}:{line}: the {column} holds more than {limit:,} characters")
    found = unprintable(cell, space=column != "login")  # a login is one word
    if found is not None:
        raise RosterError(f"{shown}:{line}: the {column} holds {found}")
