"""Writing a file whole or not at all, for readers that may look at any moment."""

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
