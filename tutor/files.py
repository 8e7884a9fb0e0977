"""Files the tutor writes (whole or not at all, private where they hold a student's work)
and reads (regular files only, and only so much of them)."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def write_whole(path: Path, text: str, *, durable: bool = True) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it into place: a
    reader sees the old file or the new one, never a part. ``durable``: synced to disk
    before the rename (an export handed in); a cache can do without. Raises OSError,
    leaving no temporary file behind."""
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
            if durable:
                file.flush()
                os.fsync(file.fileno())
        # mkstemp makes the file private; an export is often written straight into a
        # hand-in folder, so it gets the permissions any new file of this user would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600


def not_a_folder(path: Path) -> str | None:
    """Why ``path`` cannot be a folder to write in ("plain.txt is a file, not a folder"):
    it, or the first of its parents that exists, is something else; None if it can be."""
    for folder in (path, *path.parents):
        try:
            mode = os.stat(folder).st_mode
        except (FileNotFoundError, NotADirectoryError):  # a parent says which
            continue
        except OSError:
            return None  # no permission and the like: the mkdir says so in its words
        if stat.S_ISDIR(mode):
            return None
        return f"{folder} is {_kind(mode)}, not a folder"
    return None


def make_private_folder(path: Path) -> Path:
    """Create ``path`` and any missing parents readable by their owner only, whatever the
    umask, and return it. Folders that exist already keep their mode: one the user made
    may be shared on purpose (a group of assistants), and is theirs to set. Raises OSError."""
    missing = []
    folder = path
    while not folder.is_dir():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, PRIVATE_FOLDER)
        except FileExistsError:  # another login made it a moment ago, or it is a file
            if not folder.is_dir():
                raise
            continue
        os.chmod(folder, PRIVATE_FOLDER)  # mkdir's mode is cut by the umask
    return path


def create_private_file(path: Path) -> None:
    """Create ``path`` empty and readable by its owner only, unless it exists (then it is
    left as it is). SQLite gives its -wal, -shm and -journal files the mode of the
    database, so a private database keeps them private too. Raises OSError."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, PRIVATE_FILE)  # the umask may have cut it further, e.g. to 0400
    finally:
        os.close(fd)


# -- reading ----------------------------------------------------------------------------
# Every file the tutor reads comes from a person (a network, a lesson, an export, a
# hand-in folder), so none is trusted to be a file at all: a named pipe blocks an open()
# for ever, /dev/zero never ends, a folder reads as an error. One reader for all of them.

_KINDS = (
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


class FileRefused(Exception):
    """A path that is not a regular file, cannot be opened, or is too large. ``reason``
    reads after the path and a colon: "a named pipe, not a file"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FileTooLarge(FileRefused):
    """A regular file over the reader's limit."""


def _kind(mode: int) -> str:
    """What a path of this mode is, in words: "a file", "a named pipe", …"""
    if stat.S_ISREG(mode):
        return "a file"
    return next((name for test, name in _KINDS if test(mode)), "something else")


def _not_a_file(mode: int) -> str | None:
    return None if stat.S_ISREG(mode) else f"{_kind(mode)}, not a file"


def not_a_file(path: Path | str) -> str | None:
    """Why ``path`` (followed, if a link) is no regular file ("a named pipe, not a file"),
    or None: for a file another library opens, such as SQLite, which would wait for ever
    on a pipe. OSError if it cannot be looked at."""
    return _not_a_file(os.stat(path).st_mode)


def _open_regular(path: Path | str) -> int:
    """A descriptor of ``path`` opened for reading, checked to be a regular file by the
    open descriptor itself (so nothing can be swapped in between); FileRefused if not."""
    try:
        # stat first, so that a device is not even opened (opening some has effects).
        refused = _not_a_file(os.stat(path).st_mode)
        if refused:
            raise FileRefused(refused)
        # O_NONBLOCK: a named pipe put there since the stat opens at once instead of
        # waiting for a writer; O_NOCTTY: a terminal does not become ours.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as error:
        raise FileRefused(error.strerror or str(error)) from None
    try:
        refused = _not_a_file(os.fstat(fd).st_mode)
        if refused:
            raise FileRefused(refused)
        os.set_blocking(fd, True)  # a regular file: reads are whole again
    except BaseException:
        os.close(fd)
        raise
    return fd


def _read_at_most(fd: int, count: int) -> bytes:
    chunks = []
    while count > 0:
        chunk = os.read(fd, min(count, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        count -= len(chunk)
    return b"".join(chunks)


def read_bounded(path: Path | str, limit: int, too_large: str | None = None) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them; FileRefused
    (with a reason for a person) for anything else: a pipe, a device, a folder, a
    socket, a file that cannot be opened, or one larger than ``limit`` bytes. Never
    blocks, never reads more than ``limit`` + 1 bytes whatever the file claims to be
    (FileTooLarge, a FileRefused, when over).
    ``too_large``: the reason given for a file over the limit, in the caller's words."""
    fd = _open_regular(path)
    try:
        size = os.fstat(fd).st_size
        raw = b"" if size > limit else _read_at_most(fd, limit + 1)
    except OSError as error:
        raise FileRefused(error.strerror or str(error)) from None
    finally:
        os.close(fd)
    if size > limit or len(raw) > limit:
        raise FileTooLarge(too_large or f"larger than {limit:,} bytes")
    return raw


def read_head(path: Path | str, count: int) -> bytes:
    """The first ``count`` bytes (fewer if the file is shorter) of the regular file
    ``path``: what SQLite's header says, checked before SQLite opens the file (which
    would wait for ever on a named pipe). FileRefused as read_bounded."""
    fd = _open_regular(path)
    try:
        return _read_at_most(fd, count)
    except OSError as error:
        raise FileRefused(error.strerror or str(error)) from None
    finally:
        os.close(fd)
