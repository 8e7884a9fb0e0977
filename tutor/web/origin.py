"""Which pages may open a session of `chain-tutor serve`, and which addresses are loopback.

A web page on another site can open a websocket to a loopback port too (browsers do
not stop it; they only say, in the Origin header, whose page asks); `OriginGate` lets
only the tutor's own page open one. Apart from serve.py, which holds the server.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit


def is_loopback(host: str) -> bool:
    """True when every address `host` names is a loopback one (127.0.0.0/8, ::1).

    A name is resolved; one that does not resolve is taken as not loopback.
    """
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except (OSError, UnicodeError):
        return False
    addresses = {info[4][0] for info in infos}
    return bool(addresses) and all(
        ipaddress.ip_address(address.split("%")[0]).is_loopback for address in addresses
    )


def origin_of(url: str) -> str | None:
    """`scheme://host:port` of an http(s) address, in lower case with the port spelled
    out, so that two spellings of one origin compare equal; None for anything else
    (the Origin `null` of a sandboxed page or a file, a malformed address)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    port = port or (443 if parts.scheme.lower() == "https" else 80)
    return f"{parts.scheme.lower()}://{parts.hostname.lower()}:{port}"


@dataclass(frozen=True)
class OriginGate:
    """Which pages may open a session: the one the server sent, and no other.

    A browser names the page that opens a websocket in its Origin header, and no page
    can change that; so a session is opened only for the origin the request itself was
    addressed to (the page's own: `http://` + the Host header, which covers a tunnel to
    another local port), the configured host and port, and `--public-url`'s origin.

    On loopback the Host header is checked too: a page of evil.example whose name is
    made to resolve to 127.0.0.1 (DNS rebinding) is its own origin. So the request must
    be addressed to a loopback address, `localhost`, the configured host or the public
    URL's host.

    A request without Origin comes from no browser (browsers always send it on a
    websocket) but from a program on a machine that reaches the port, which could send
    any Origin it liked; refusing it would protect nothing, and it is let in.
    """

    origins: frozenset[str]
    hosts: frozenset[str] | None  # names a request may be addressed to; None: any

    @classmethod
    def of(cls, host: str, port: int, public_url: str | None = None) -> OriginGate:
        urls = [f"http://{host}:{port}", *([public_url] if public_url else [])]
        origins = frozenset(filter(None, map(origin_of, urls)))
        hosts = None
        if is_loopback(host):
            hosts = frozenset({"localhost", host.strip("[]").lower(),
                               *(urlsplit(url).hostname or "" for url in urls)} - {""})
        return cls(origins, hosts)

    def refusal(self, origin: str | None, host: str, scheme: str = "http") -> str | None:
        """Why a websocket from a page at `origin`, addressed to `host`, is refused; None
        when it is not."""
        name = urlsplit(f"//{host}").hostname or ""
        if self.hosts is not None and name not in self.hosts and not _loopback_literal(name):
            return (f"chain-tutor: refused a session addressed to {host!r}, which is not "
                    "this machine's loopback address nor the --public-url (a web page "
                    "whose name was made to point here?). Open the page at its own "
                    "address, or start serve with --public-url.")
        if origin is None:
            return None
        if origin_of(origin) in self.origins | {origin_of(f"{scheme}://{host}")}:
            return None
        return (f"chain-tutor: refused a session for a page at {origin}: only the tutor's "
                f"own page may open one ({', '.join(sorted(self.origins))}). Behind a "
                "proxy, start serve with --public-url set to the address browsers use.")


def public_url_argument(text: str) -> str:
    """--public-url's type: `http(s)://HOST[:PORT][/PATH]`, or `/PATH` alone (the page's
    path behind Jupyter's proxy, which passes the browser's host on; tutor/web/jupyter.py);
    argparse's error (exit status 2) for anything else."""
    import argparse

    parts = None
    if text.isprintable() and not any(c.isspace() for c in text):
        try:
            parts = urlsplit(text)
        except ValueError:
            parts = None
    path_only = text.startswith("/") and not text.startswith("//")
    if parts is None or parts.query or parts.fragment or "?" in text or "#" in text or not (
            path_only or origin_of(text) is not None):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an address for browsers: give http(s)://HOST[:PORT][/PATH], "
            "or /PATH behind Jupyter's proxy")
    return text


def _loopback_literal(name: str) -> bool:
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
