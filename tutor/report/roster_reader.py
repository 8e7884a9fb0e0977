"""A class roster: the CSV an LMS exports, mapped to `login,name,sis_id,section`.

Minimal on purpose: the gradebook needs one row per enrolled student, named as the
report names students (by login). A roster with a mistake is refused whole, at its
file and line, since a gradebook missing a student would read as a zero.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from tutor.files import FileRefused, read_bounded
from tutor.progress.limits import unprintable

ROSTER_MAX_BYTES = 16_000_000
COLUMNS = ("login", "name", "sis_id", "section")


class RosterError(Exception):
    """A roster that cannot be used, at its file and line."""

    def __init__(self, message: str, path: Path, line: int | None = None) -> None:
        super().__init__(message)
        self.message, self.path, self.line = message, path, line

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class RosterEntry:
    login: str
    name: str
    sis_id: str
    section: str


def read_roster(path: Path | str) -> list[RosterEntry]:
    """The roster's students in its order; RosterError (file:line) for any mistake."""
    path = Path(path)
    try:
        text = read_bounded(path, ROSTER_MAX_BYTES).decode("utf-8-sig")
    except FileRefused as error:
        raise RosterError(f"cannot read the file: {error.reason}", path) from None
    except UnicodeDecodeError as error:
        raise RosterError(f"cannot read the file: not UTF-8 text ({error})", path) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [cell.strip() for cell in next(reader, [])]
        if "login" not in header:
            raise RosterError("the first line must name the columns, login among them "
                              f"(known: {', '.join(COLUMNS)})", path, 1)
        unknown = [name for name in header if name not in COLUMNS]
        if unknown:
            raise RosterError(f"unknown column {unknown[0]!r}; the columns are "
                              f"{', '.join(COLUMNS)}", path, 1)
        entries: list[RosterEntry] = []
        seen: dict[str, int] = {}
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise RosterError(f"{len(row)} cells where the header has {len(header)}",
                                  path, line)
            cells = {name: cell.strip() for name, cell in zip(header, row, strict=True)}
            login = cells["login"]
            if not login:
                raise RosterError("the login is empty", path, line)
            for name, cell in cells.items():
                found = unprintable(cell)
                if found is not None:
                    raise RosterError(f"the {name} holds {found}", path, line)
            if login in seen:
                raise RosterError(f"login {login!r} is already on line {seen[login]}", path,
                                  line)
            seen[login] = line
            entries.append(RosterEntry(login, cells.get("name", ""), cells.get("sis_id", ""),
                                       cells.get("section", "")))
    except csv.Error as error:
        raise RosterError(f"not readable as CSV: {error}", path, reader.line_num) from None
    return entries
