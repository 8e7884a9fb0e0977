"""Files the tutor writes: whole or not at all, and private where they hold a student's work."""

from __future__ import annotations

import os
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
