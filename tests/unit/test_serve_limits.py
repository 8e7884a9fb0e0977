"""The limits `chain-tutor serve` plans from its open files, and its gate's counting
(tutor/web/limits.py; the real server under a flood is tests/e2e/test_serve_flood.py)."""

from __future__ import annotations

import asyncio
import errno
import logging

import pytest

from tutor.cli.parser import build_parser
from tutor.web.limits import (
    DEFAULT_MAX_PER_CLIENT,
    DEFAULT_MAX_SESSIONS,
    FILES_PER_SESSION,
    ConnectionGate,
    Limits,
    Say,
    lab_full,
    plan,
    quiet_exhaustion,
)


def test_the_usual_limit_affords_the_default_sessions_and_room_for_pages():
    limits, warning = plan(DEFAULT_MAX_SESSIONS, DEFAULT_MAX_PER_CLIENT, 1024)
    assert warning is None and limits.max_sessions == DEFAULT_MAX_SESSIONS
    files = limits.max_connections + limits.max_sessions * (FILES_PER_SESSION - 1)
    assert files < 1024 and limits.max_connections > 2 * limits.max_sessions


def test_a_low_limit_lowers_the_sessions_and_says_so():
    limits, warning = plan(64, 16, 256)
    assert 1 <= limits.max_sessions < 64
    assert warning is not None and "open-file limit is 256" in warning
    assert limits.max_connections + limits.max_sessions * (FILES_PER_SESSION - 1) < 256


def test_the_command_line_defaults_are_the_limits_defaults():
    args = build_parser().parse_args(["serve"])
    assert (args.max_sessions, args.max_per_client) == (DEFAULT_MAX_SESSIONS,
                                                        DEFAULT_MAX_PER_CLIENT)


@pytest.mark.parametrize("argv", [["--max-sessions", "0"], ["--max-per-client", "-1"],
                                  ["--max-sessions", "many"]])
def test_a_limit_that_is_no_count_is_a_usage_error(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["serve", *argv])
    assert exit_.value.code == 2 and "Traceback" not in capsys.readouterr().err


def test_the_gate_counts_per_client_and_in_all():
    gate = ConnectionGate(Limits(max_sessions=4, max_per_client=2, max_connections=3),
                          inner=lambda: asyncio.Protocol())
    assert gate.admit("10.0.0.1") is None and gate.admit("10.0.0.1") is None
    assert "too many connections from your address" in gate.admit("10.0.0.1")
    assert gate.admit("10.0.0.2") is None
    assert "the lab is full: 3 connections" in gate.admit("10.0.0.3")
    gate.release("10.0.0.1")
    assert gate.admit("10.0.0.3") is None
    for client in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        gate.release(client)
    assert gate.open == 0 and not gate.per_client


def test_no_cap_per_client_when_it_is_0():
    gate = ConnectionGate(Limits(4, 0, 10), inner=lambda: asyncio.Protocol())
    assert all(gate.admit("proxy") is None for _ in range(10))


def test_a_full_lab_is_said_for_a_person():
    assert lab_full(1) == "the lab is full: 1 session is open; try again in a minute"
    assert lab_full(30) == "the lab is full: 30 sessions are open; try again in a minute"


def test_running_out_of_files_is_one_line_at_most_every_few_seconds(caplog):
    now = [0.0]
    handle = quiet_exhaustion(Say(clock=lambda: now[0]))
    loop = asyncio.new_event_loop()
    try:
        context = {"message": "socket.accept() out of system resource",
                   "exception": OSError(errno.EMFILE, "Too many open files")}
        with caplog.at_level(logging.WARNING, logger="chain-tutor"):
            for _ in range(128):  # asyncio says it once per connection it could not accept
                handle(loop, context)
            now[0] = 11.0
            handle(loop, context)
    finally:
        loop.close()
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 2 and all(record.exc_info is None for record in caplog.records)
    assert "Too many open files" in lines[0] and "127 more like it" in lines[1]
