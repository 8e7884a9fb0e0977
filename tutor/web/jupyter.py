"""The tutor behind JupyterHub: `chain-tutor serve` registered with jupyter-server-proxy.

With the `jupyter` extra installed, jupyter-server-proxy reads the entry point
`chain-tutor` (group `jupyter_serverproxy_servers`) when a user's Jupyter server starts:
the launcher shows "Chain tutor", and the first request to `{base_url}chain-tutor/`
starts `serve` on a free loopback port, behind the Jupyter server's own login (the hub's
OAuth, or the server's token). Every tab of that user is one student: the same login,
seed and progress.

Who the student is: `JUPYTERHUB_USER` when the hub sets it (in a container every user
runs as `jovyan`), else the account's login (tutor.seeds.current_login, which the tutor
of every tab reads with `--seed-from-user`, as a tutor started in a JupyterLab terminal
does). Progress goes where the tutor keeps it anyway ($CHAIN_TUTOR_DATA, the user's data
folder, $CHAIN_TUTOR_DATABASE): the Jupyter server's environment is passed through.

The port is on loopback, which every account of a shared machine reaches (the hub's
LocalProcessSpawner). So the proxy adds a header with a secret made when the Jupyter
server starts, handed to `serve` in its environment (which only its own account can
read), and `serve` answers nothing without it: a tutor is reached only through Jupyter.

jupyter-server-proxy imports this in the Jupyter server's process: no Textual, nothing
heavy, and `setup_chain_tutor` never raises (a registration that does is dropped with a
warning, the launcher entry with it).
"""

from __future__ import annotations

import hmac
import os
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

NAME = "chain-tutor"  # the entry point's name, so the proxy's path: {base_url}chain-tutor/
TITLE = "Chain tutor"
PROXY_TOKEN_ENV = "CHAIN_TUTOR_PROXY_TOKEN"
PROXY_HEADER = "X-Chain-Tutor-Proxy"
# Tutors at once for one user's tabs, about 90 MB each: a pod's memory, not a lab's.
MAX_SESSIONS = 8
# `serve` imports aiohttp and textual-serve, then listens: 1-2 s, more on a loaded node.
START_TIMEOUT = 30.0
ICON = Path(__file__).with_name("chain-tutor.svg")


def setup_chain_tutor() -> dict:
    """jupyter-server-proxy's server-process config for the tutor (its keys and
    `{port}`/`{base_url}` placeholders are those of jupyter-server-proxy 4)."""
    token = secrets.token_hex(16)
    # sys.executable is the Python the Jupyter server runs, where the extra is installed
    # (empty only in an embedding interpreter, where a `python3` on PATH is the guess).
    command = [sys.executable or "python3", "-m", "tutor", "serve", "--port", "{port}",
               "--public-url", "{base_url}" + NAME + "/", "--seed-from-user",
               "--max-sessions", str(MAX_SESSIONS), "--max-per-client", "0"]
    launcher: dict = {"title": TITLE}
    if _readable(ICON):
        launcher["icon_path"] = str(ICON)
    return {
        # jupyter-server-proxy fills the placeholders with str.format: braces in the
        # path are doubled, so that they stay what they are.
        "command": [_literal(command[0]), *command[1:]],
        "environment": {PROXY_TOKEN_ENV: token},
        "request_headers_override": {PROXY_HEADER: token},
        "timeout": START_TIMEOUT,
        "absolute_url": False,  # serve's routes are /, /ws and /static: the prefix goes
        "update_last_activity": True,  # a tutor in use keeps the server from being culled
        "new_browser_tab": True,
        "launcher_entry": launcher,
    }


def _readable(path: Path) -> bool:
    try:
        return path.is_file() and os.access(path, os.R_OK)
    except OSError:  # a folder we may not look into: no icon, the launcher all the same
        return False


def _literal(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


# What `serve` does with a request that came through the proxy (tutor/web/serve.py).

def proxy_refusal(token: str | None, headers: Mapping[str, str]) -> str | None:
    """Why a request is refused when serve runs behind Jupyter (`token` set): it did not
    come through the proxy, which adds the secret header. None when it may go on."""
    if token is None:
        return None
    sent = headers.get(PROXY_HEADER, "")
    if sent.isascii() and hmac.compare_digest(sent.encode(), token.encode()):
        return None
    return ("chain-tutor: this tutor is reached through its Jupyter server, at "
            f"/{NAME}/ there; not directly")


def forwarded_scheme(headers: Mapping[str, str], scheme: str) -> str:
    """The scheme the browser used: the first of X-Forwarded-Proto (which proxies in a
    row append to) when it says http or https, else the one the request came with."""
    first = headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return first if first in ("http", "https") else scheme


def page_url(prefix: str, headers: Mapping[str, str], scheme: str, host: str) -> str:
    """The page's address without its last slash, for a `--public-url` that is a path:
    on the host and scheme the browser used (the proxy passes the Host header on)."""
    return f"{forwarded_scheme(headers, scheme)}://{host}{prefix.rstrip('/')}"


def proxied_origin_refusal(origin: str | None, host: str) -> str | None:
    """Why a websocket that came through Jupyter is refused: a browser's page of another
    host (Jupyter checks the same before it proxies; this is the second lock)."""
    if origin is None:
        return None
    try:
        parts = urlsplit(origin.strip())
    except ValueError:
        parts = None
    if parts is not None and parts.scheme.lower() in ("http", "https") and \
            parts.netloc.lower() == host.lower():
        return None
    return (f"chain-tutor: refused a session for a page at {origin}: only the tutor's own "
            f"page, at {host}, may open one")
