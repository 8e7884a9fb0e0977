"""The e2e helpers keep tests that run at once (pytest -n auto) apart: each tmux session on
a tmux server of its own, each server on a port its own process listens on."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from local_ports import free_port, listens, start_listening
from tmux_terminal import SCRIPT, TMUX, start_tutor, tmux

SOCKETS = Path(os.environ.get("TMUX_TMPDIR") or "/tmp") / f"tmux-{os.getuid()}"
# Listens on the port it is given, as a server does; a port already taken ends it at once.
LISTENER = ("import socket, sys, time; s = socket.socket(); "
            "s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(); time.sleep(60)")


def listener(port: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", LISTENER, str(port)],
                            stderr=subprocess.DEVNULL)


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
def test_a_terminal_is_alone_on_its_own_tmux_server_and_closing_it_ends_only_that(tmp_path):
    if not SCRIPT.exists():
        pytest.skip(f"the chain-tutor script is not installed beside {sys.executable}")
    terminal = start_tutor("--help", tmp_path / "data")
    other = start_tutor("--help", tmp_path / "other")
    try:
        assert terminal.server != other.server
        assert tmux(terminal.server, "list-sessions", "-F", "#{session_name}").split() == [
            terminal.session]
        default = subprocess.run([TMUX, "has-session", "-t", terminal.session],
                                 capture_output=True, env={**os.environ, "TMUX": ""})
        assert default.returncode != 0  # the default server (the user's) never had it
        terminal.close()
        assert tmux(terminal.server, "list-sessions") == ""  # its server is gone
        assert not (SOCKETS / terminal.server).exists()  # and its socket with it
        assert tmux(other.server, "list-sessions", "-F", "#{session_name}").split() == [
            other.session]
    finally:
        terminal.close()
        other.close()


def test_a_server_whose_port_another_took_is_started_again_on_another():
    with socket.socket() as taken:  # another test's server, on the port ours is given first
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        ports = iter([taken.getsockname()[1], free_port()])
        process, port = start_listening(listener, 30, ports=lambda: next(ports))
        try:
            assert port != taken.getsockname()[1]
            assert listens(process.pid, port)
            assert not listens(process.pid, taken.getsockname()[1])
        finally:
            process.kill()
            process.wait()


def test_a_server_that_fails_for_its_own_reason_is_returned_as_it_ended():
    launched = []

    def failing(port: int) -> subprocess.Popen:
        launched.append(port)
        return subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])

    process, port = start_listening(failing, 30)
    assert process.returncode == 3 and launched == [port]  # not tried again elsewhere


def test_a_process_listening_is_told_from_one_that_only_connected():
    process, port = start_listening(listener, 30)
    try:
        with socket.create_connection(("127.0.0.1", port)):
            assert listens(process.pid, port)
            assert not listens(process.pid, free_port())
    finally:
        process.kill()
        process.wait()
