"""Per-student variants: a seed derived from the login name.

The formula is a contract with instructors, who recompute a student's seed to
reproduce the numbers that student saw (``chain-tutor show LESSON --seed N``). It is
written down in the README and pinned by tests, so it must never change:

    seed = int(sha256(login as UTF-8).hexdigest()[:16], 16) % 999999 + 1

sha256 rather than Python's ``hash()``: the latter is salted per process and differs
between Python versions; the digest is the same on every machine. The result lies in
1..999999, a number short enough to read out in class. It is not a secret: anyone can
compute anyone's seed, which is fine, since it only spreads the class over different
numbers.
"""

from __future__ import annotations

import getpass
import os

SEED_MIN, SEED_MAX = 1, 999_999
# What --seed takes: what the progress file stores, SQLite's signed 64-bit INTEGER
# (2**63 - 1 = 9223372036854775807 at most; one more raised OverflowError in the tutor).
SEED_LOWEST, SEED_HIGHEST = -(2**63), 2**63 - 1


def seed_argument(text: str) -> int:
    """--seed's type: a whole number the progress file can store, or argparse's error
    (exit status 2) that quotes the very limits checked."""
    import argparse

    try:
        seed = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not SEED_LOWEST <= seed <= SEED_HIGHEST:
        raise argparse.ArgumentTypeError(
            f"{text} is past the limit: a seed is a whole number from {SEED_LOWEST} to "
            f"{SEED_HIGHEST}")
    return seed


HUB_USER_ENV = "JUPYTERHUB_USER"  # set by JupyterHub in every user's server and terminal


class LoginError(Exception):
    """The login name cannot be found, so no seed can be derived from it."""


def seed_for(login: str) -> int:
    """The variant seed for this login name (exactly as typed: case and spaces count)."""
    if not login:
        raise LoginError("an empty login name has no seed")
    import hashlib  # here: a new progress database records the login (current_login)
    # on the way to the first screen, which must not wait for hashlib

    digest = hashlib.sha256(login.encode("utf-8")).hexdigest()
    return int(digest[:16], 16) % SEED_MAX + SEED_MIN


def current_login() -> str:
    """The login name: JUPYTERHUB_USER, the hub's name for its user, under a JupyterHub
    (whose users' containers all run as one account, jovyan); else getpass.getuser()
    (LOGNAME, USER, … then the password database).

    Falls back to the name of the process's user id, and raises LoginError with a
    message for a person when neither gives a name (a container's numeric-only uid).
    """
    hub_user = os.environ.get(HUB_USER_ENV, "").strip()
    if hub_user and hub_user.isprintable():
        return hub_user
    try:
        name = getpass.getuser()
    except Exception:  # KeyError before Python 3.13, OSError since
        name = ""
    if name:
        return name
    try:
        import pwd

        name = pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError, OSError):
        name = ""
    if name:
        return name
    raise LoginError(
        "cannot tell your login name (no LOGNAME or USER, and your user id has no name); "
        "use --seed N instead of --seed-from-user"
    )
