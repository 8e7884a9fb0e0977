"""The proof worker's template forked at the tutor's start, before the app loads.

A template forked later, from the running app, keeps its own copy of every page the app
writes afterwards: about 20 MB a session of the app's memory that no proof reads. Forked
here, with nothing loaded but the command line, it holds only what it loads itself, and it
sleeps (no CPU, no imports) until the tutor's first proof wakes it: then it imports the
engine and sympy, and serves as any template (tutor.engine.worker). The tutor adopts it
when its worker is made (tutor.engine.prover).

This module imports nothing of the engine: the picker's first paint must not wait for
numpy or msgspec (tutor.faces), and neither must the fork.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from importlib import import_module

SERVICE_VARIABLE = "CHAIN_TUTOR_PROOFS"  # a lab's shared proof service's socket
PARTS = "tutor.engine.prover:_template_parts"  # what the tutor's templates serve with
# The forked template, for the worker to adopt: (pid, the pipe to it, the pipe from it).
_forked: tuple[int, int, int] | None = None


def fork_proof_template() -> None:
    """The tutor's own proof template, forked now (tutor.engine.prover adopts it); not
    where CHAIN_TUTOR_PROOFS names a lab's shared service, which the first proof asks."""
    if not os.environ.get(SERVICE_VARIABLE):
        fork_template(PARTS)


def fork_template(parts: str) -> None:
    """Fork a template now, asleep until its first message. ``parts`` names, as
    ``module:function``, what returns its (handle, prepare, warm) once it wakes."""
    global _forked
    if _forked is not None or not hasattr(os, "fork"):
        return
    to_child_read, to_child_write = os.pipe()
    from_child_read, from_child_write = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the template: never returns
        code = 1
        try:
            os.close(to_child_write)
            os.close(from_child_read)
            _asleep(parts, to_child_read, from_child_write)
            code = 0
        finally:
            os._exit(code)
    with contextlib.suppress(OSError):
        os.setpgid(pid, pid)  # the template and its server: one group, killed as one
    os.close(to_child_read)
    os.close(from_child_write)
    _forked = (pid, to_child_write, from_child_read)


def adopt() -> tuple[int, int, int] | None:
    """The template forked at the start, now the caller's to wake and to end (once)."""
    global _forked
    forked, _forked = _forked, None
    return forked


def _asleep(parts: str, read_end: int, write_end: int) -> None:
    """In the template: wait for the tutor's first message (none: the tutor is gone, or
    ended without a proof), then load what serves and serve."""
    from tutor.engine.pipes import receive

    with contextlib.suppress(OSError):
        os.setpgid(0, 0)
    if receive(read_end, None) is None:
        return
    from tutor.engine.worker import _template

    module, _, name = parts.partition(":")
    handle, prepare, warm = getattr(import_module(module), name)()
    _template(handle, prepare, warm, read_end, write_end)
