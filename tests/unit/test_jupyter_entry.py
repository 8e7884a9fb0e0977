"""The Jupyter registration's config (tutor/web/jupyter.py) and `serve --public-url`'s forms,
without a Jupyter server (tests/e2e/test_jupyter.py runs the real one)."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.cli.command import main
from tutor.web import jupyter

SCRIPT = Path(sys.executable).parent / "chain-tutor"


def rendered(value, base_url: str = "/user/alice/"):
    """What jupyter-server-proxy makes of a config value: str.format with its placeholders."""
    args = {"port": 4321, "base_url": base_url, "unix_socket": ""}
    if isinstance(value, list):
        return [word.format(**args) for word in value]
    return {key.format(**args): word.format(**args) for key, word in value.items()}


def test_the_command_serves_under_the_users_prefix_with_their_seed():
    config = jupyter.setup_chain_tutor()
    command = rendered(config["command"])
    assert command[:4] == [sys.executable, "-m", "tutor", "serve"]
    assert command[command.index("--port") + 1] == "4321"
    assert command[command.index("--public-url") + 1] == "/user/alice/chain-tutor/"
    assert "--seed-from-user" in command
    environment = rendered(config["environment"])
    assert set(environment) == {jupyter.PROXY_TOKEN_ENV}  # the rest is the server's own
    # The secret the proxy sends is the one serve is given, and a new one each start.
    token = environment[jupyter.PROXY_TOKEN_ENV]
    assert len(token) >= 32 and config["request_headers_override"] == {
        jupyter.PROXY_HEADER: token}
    assert jupyter.setup_chain_tutor()["environment"][jupyter.PROXY_TOKEN_ENV] != token
    assert config["update_last_activity"] is True and config["absolute_url"] is False
    assert config["launcher_entry"]["title"] == "Chain tutor"
    assert Path(config["launcher_entry"]["icon_path"]).read_text().lstrip().startswith("<svg")


def test_braces_in_the_pythons_path_stay_what_they_are(monkeypatch):
    """The proxy fills placeholders with str.format: a '{' of the path would raise (and
    drop the launcher) or be replaced, unless doubled."""
    monkeypatch.setattr(sys, "executable", "/opt/{port}/py}thon")
    assert rendered(jupyter.setup_chain_tutor()["command"])[0] == "/opt/{port}/py}thon"


def test_an_icon_that_cannot_be_read_leaves_the_launcher_without_one(monkeypatch, tmp_path):
    monkeypatch.setattr(jupyter, "ICON", tmp_path / "gone.svg")
    assert "icon_path" not in jupyter.setup_chain_tutor()["launcher_entry"]

    def denied(self):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "is_file", denied)
    config = jupyter.setup_chain_tutor()
    assert config["launcher_entry"] == {"title": "Chain tutor"} and config["command"]


def test_the_config_is_what_jupyter_server_proxy_accepts():
    """The installed version's own traitlets take every key (a value of the wrong type
    would drop the launcher; an unknown key would be ignored, with a warning)."""
    config_module = pytest.importorskip("jupyter_server_proxy.config")
    config = jupyter.setup_chain_tutor()
    assert set(config) <= set(config_module.ServerProcess.class_trait_names())
    process = config_module.ServerProcess(name=jupyter.NAME, **config)
    assert process.launcher_entry.title == "Chain tutor"
    assert process.launcher_entry.path_info == "chain-tutor/"
    assert process.update_last_activity is True and process.timeout == 30.0


@pytest.mark.parametrize(("headers", "scheme", "expected"), [
    ({}, "http", "http://hub.example.org/user/a/chain-tutor"),
    ({"X-Forwarded-Proto": "https"}, "http", "https://hub.example.org/user/a/chain-tutor"),
    ({"X-Forwarded-Proto": "https, http"}, "http", "https://hub.example.org/user/a/chain-tutor"),
    ({"X-Forwarded-Proto": "gopher"}, "http", "http://hub.example.org/user/a/chain-tutor"),
])
def test_a_path_public_url_is_on_the_browsers_host_and_scheme(headers, scheme, expected):
    assert jupyter.page_url("/user/a/chain-tutor/", headers, scheme,
                            "hub.example.org") == expected


def test_only_requests_with_the_proxys_secret_pass():
    assert jupyter.proxy_refusal(None, {}) is None  # serve not behind Jupyter
    assert jupyter.proxy_refusal("s3cret", {jupyter.PROXY_HEADER: "s3cret"}) is None
    for sent in ({}, {jupyter.PROXY_HEADER: "s3cre"}, {jupyter.PROXY_HEADER: "s3cretü"}):
        refusal = jupyter.proxy_refusal("s3cret", sent)
        assert refusal is not None and "through its Jupyter server" in refusal


@pytest.mark.parametrize(("origin", "refused"), [
    (None, False), ("https://hub.example.org", False), ("HTTP://Hub.Example.org", False),
    ("https://evil.example", True), ("https://hub.example.org:8443", True), ("null", True),
    ("https://[::1", True),
])
def test_a_proxied_session_is_opened_only_for_a_page_of_the_same_host(origin, refused):
    assert (jupyter.proxied_origin_refusal(origin, "hub.example.org") is not None) is refused


@pytest.mark.parametrize("url", ["https://tutor.example.edu", "http://127.0.0.1:8000/",
                                 "https://hub.example.org/user/a/chain-tutor/",
                                 "/user/alice/chain-tutor/", "/"])
def test_public_url_takes_an_address_or_a_path(url):
    from tutor.cli.parser import build_parser

    assert build_parser().parse_args(["serve", "--public-url", url]).public_url == url


@pytest.mark.parametrize("url", ["tutor.example.edu", "//evil.example/x", "ftp://x/",
                                 "javascript:alert(1)", "/a b", "/a?b=1", "https://x/#y",
                                 "/tab\there", "https://"])
def test_a_public_url_browsers_cannot_use_is_refused_in_one_line(url, capsys):
    with pytest.raises(SystemExit) as exited:  # argparse's error: usage, then the reason
        main(["serve", "--public-url", url])
    last = capsys.readouterr().err.splitlines()[-1]
    assert exited.value.code == 2
    assert last.startswith("chain-tutor serve: error: argument --public-url: ")
    assert "is not an address for browsers" in last


def test_the_real_command_refuses_a_bad_public_url_before_listening(tmp_path):
    if not SCRIPT.exists():
        pytest.skip(f"the chain-tutor script is not installed beside {sys.executable}")
    result = subprocess.run([SCRIPT, "serve", "--public-url", "tutor.example.edu"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2, shlex.join(map(str, result.args))
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == (
        "chain-tutor serve: error: argument --public-url: 'tutor.example.edu' is not an "
        "address for browsers: give http(s)://HOST[:PORT][/PATH], or /PATH behind "
        "Jupyter's proxy")


@pytest.mark.parametrize(("public_url", "token", "prefix", "heartbeat"), [
    (None, None, None, 15.0),
    ("https://tutor.example.edu/", None, None, 15.0),
    ("/user/alice/chain-tutor/", "s3cret", "/user/alice/chain-tutor", None),
    ("/", None, "", 15.0),
])
def test_behind_jupyter_the_server_pings_no_socket(public_url, token, prefix, heartbeat):
    """The proxy answers a session's pings itself and counts each as the user's activity:
    pinged every 15 s, an open tab left idle kept the hub from ever culling the server.
    (A tab idle 35 s behind the real proxy: the user's last activity stayed at its last
    screen update; before, it moved every 15 s.)"""
    from tutor.web.limits import plan
    from tutor.web.serve import _server_class

    server = _server_class()("true", host="127.0.0.1", port=8000, title="t",
                             public_url=public_url, limits=plan(4, 0, 1024)[0],
                             proxy_token=token)
    assert server.prefix == prefix and server.heartbeat == heartbeat
    assert server.fixed_url is (public_url is not None and prefix is None)
