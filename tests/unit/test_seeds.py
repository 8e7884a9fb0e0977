"""Per-student seeds: the documented formula, the login lookup, and the flags that use them."""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

import tutor.cli.command
from tutor.cli.command import main
from tutor.seeds import SEED_MAX, SEED_MIN, LoginError, current_login, seed_for

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SCRIPT = Path(sys.executable).parent / "chain-tutor"
LESSON = "two-layer-sigmoid"

# Computed by hand from the README's formula,
#   int(sha256(login).hexdigest()[:16], 16) % 999999 + 1
# e.g. `printf %s alice | sha256sum` starts 2bd806c97f0e00af. These numbers are a
# promise to instructors: if this test fails, the formula changed, and every student's
# numbers with it.
KNOWN = {"alice": 980583, "bob": 7128}


@pytest.mark.parametrize("login, seed", sorted(KNOWN.items()))
def test_seed_is_the_documented_formula_forever(login, seed):
    assert seed_for(login) == seed


def test_readme_states_the_formula_the_code_uses():
    formula = "int(sha256(LOGIN).hexdigest()[:16], 16) % 999999 + 1"
    assert formula in README
    for login in ("alice", "bob", "zoë", "s1234567"):
        digest = hashlib.sha256(login.encode("utf-8")).hexdigest()
        assert seed_for(login) == int(digest[:16], 16) % 999999 + 1


def test_readme_one_liner_reproduces_a_seed():
    line = next(line.strip() for line in README.splitlines()
                if line.strip().startswith("python3 -c") and "sha256" in line)
    command = line.removeprefix("python3").strip()
    result = subprocess.run(
        [sys.executable, *shlex.split(command)], capture_output=True, text=True, check=True,
    )
    assert result.stdout.strip() == str(KNOWN["alice"])


def test_different_logins_get_different_seeds_in_range():
    logins = [f"student{n:03d}" for n in range(300)] + ["alice", "Alice", "alice "]
    seeds = [seed_for(login) for login in logins]
    assert len(set(seeds)) == len(seeds)
    assert all(SEED_MIN <= seed <= SEED_MAX for seed in seeds)


def test_an_empty_login_has_no_seed():
    with pytest.raises(LoginError):
        seed_for("")


def test_login_falls_back_to_the_user_id_name(monkeypatch):
    import pwd

    def no_user() -> str:
        raise OSError("no username set in the environment")

    monkeypatch.setattr(getpass, "getuser", no_user)
    assert current_login() == pwd.getpwuid(os.getuid()).pw_name


def test_under_a_hub_the_hubs_name_for_the_user_is_the_login(monkeypatch, capsys):
    """In a JupyterHub container every user's account is jovyan: the hub's name tells
    students apart, for --seed-from-user, `seed`, and the login their records carry."""
    monkeypatch.setattr(getpass, "getuser", lambda: "jovyan")
    monkeypatch.setenv("JUPYTERHUB_USER", " alice ")
    assert current_login() == "alice"
    assert main(["seed"]) == 0
    assert capsys.readouterr().out == f"{KNOWN['alice']}\n"
    for unusable in ("", "   ", "tab\there"):  # no name: the account's
        monkeypatch.setenv("JUPYTERHUB_USER", unusable)
        assert current_login() == "jovyan"


def test_no_login_at_all_is_a_clear_error(monkeypatch, capsys):
    import pwd

    def nobody(*_args) -> str:
        raise KeyError("getpwuid(): uid not found: 12345")

    monkeypatch.setattr(getpass, "getuser", nobody)
    monkeypatch.setattr(pwd, "getpwuid", nobody)
    with pytest.raises(LoginError, match="--seed N"):
        current_login()
    assert main(["show", LESSON, "--seed-from-user"]) == 2
    assert "login name" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [
    ["check", LESSON, "df_dh2", "W3", "--seed", "3", "--seed-from-user"],
    ["show", LESSON, "--seed-from-user", "--seed", "3"],
    [LESSON, "--seed", "3", "--seed-from-user"],
])
def test_seed_and_seed_from_user_together_is_an_error(argv, capsys, monkeypatch):
    monkeypatch.setattr(tutor.cli.command, "run_app", lambda args: pytest.fail("the app started"))
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert "not allowed with" in capsys.readouterr().err


def test_show_and_check_use_the_login_seed(monkeypatch, capsys):
    monkeypatch.setattr(getpass, "getuser", lambda: "alice")
    assert main(["show", LESSON, "--seed-from-user", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["seed"] == KNOWN["alice"]
    assert main(["check", "--json", "--seed-from-user", LESSON, "df_dh2", "W3"]) == 0
    assert json.loads(capsys.readouterr().out)["seed"] == KNOWN["alice"]


def test_the_tutor_gets_the_login_seed(monkeypatch):
    monkeypatch.setattr(getpass, "getuser", lambda: "bob")
    seen = {}
    monkeypatch.setattr(tutor.cli.command, "run_app",
                        lambda args: seen.setdefault("args", args) and 0)
    assert main([LESSON, "--seed-from-user"]) == 0
    assert seen["args"].seed == KNOWN["bob"]
    assert seen["args"].lesson == LESSON


def test_seed_command_prints_one_seed_or_a_table(capsys, monkeypatch):
    assert main(["seed", "alice"]) == 0
    assert capsys.readouterr().out == f"{KNOWN['alice']}\n"
    assert main(["seed", "alice", "bob"]) == 0
    assert capsys.readouterr().out == f"alice\t{KNOWN['alice']}\nbob\t{KNOWN['bob']}\n"
    monkeypatch.setattr(getpass, "getuser", lambda: "bob")
    assert main(["seed"]) == 0
    assert capsys.readouterr().out == f"{KNOWN['bob']}\n"


@pytest.mark.skipif(not SCRIPT.exists(), reason="the chain-tutor script is not installed here")
def test_real_console_script_seed_and_seed_from_user(tmp_path):
    # getpass reads LOGNAME first, as sshd sets it for the student's login.
    env = dict(os.environ, CHAIN_TUTOR_DATA=str(tmp_path), LOGNAME="bob")

    def run(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(SCRIPT), *argv], capture_output=True, text=True, env=env,
                              stdin=subprocess.DEVNULL, timeout=120)

    assert run("seed", "alice").stdout.strip() == str(KNOWN["alice"])
    shown = run("show", LESSON, "--seed-from-user", "--json")
    assert shown.returncode == 0
    assert json.loads(shown.stdout)["seed"] == KNOWN["bob"]
    both = run("show", LESSON, "--seed", "1", "--seed-from-user")
    assert both.returncode == 2 and "not allowed with" in both.stderr
