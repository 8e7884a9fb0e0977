"""No module of the tutor can start another program: no shell, no browser, no pty.

The tutor is the only program some SSH logins may run; a way to start another one
would be a way to a shell. Benchmarks and tests may start programs; tutor/ may not.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "tutor"

FORBIDDEN_MODULES = {"subprocess", "pty", "webbrowser", "pexpect", "multiprocessing",
                     "concurrent.futures.process", "_posixsubprocess", "ctypes", "cffi"}
# os.fork, os.execv, os.spawnlp, os.posix_spawn, os.popen, os.system, ...
FORBIDDEN_OS = {"system", "popen", "fork", "forkpty", "startfile", "posix_spawn",
                "posix_spawnp", "plock"}
FORBIDDEN_OS_PREFIXES = ("exec", "spawn")
FORBIDDEN_ASYNCIO = {"create_subprocess_exec", "create_subprocess_shell", "subprocess_exec",
                     "subprocess_shell"}


def _is_forbidden_module(name: str) -> bool:
    return any(name == module or name.startswith(module + ".") for module in FORBIDDEN_MODULES)


def _is_forbidden_os(name: str) -> bool:
    return name in FORBIDDEN_OS or name.startswith(FORBIDDEN_OS_PREFIXES)


def ways_to_run_programs(source: str, filename: str = "<source>") -> list[str]:
    """Every import or use in `source` that could start a program, as "file:line what"."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        where = f"{filename}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Import):
            found += [f"{where} imports {a.name}" for a in node.names
                      if _is_forbidden_module(a.name)]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if _is_forbidden_module(module):
                found.append(f"{where} imports from {module}")
            for alias in node.names:
                if module in ("os", "posix") and _is_forbidden_os(alias.name):
                    found.append(f"{where} imports os.{alias.name}")
                if module == "asyncio" and alias.name in FORBIDDEN_ASYNCIO:
                    found.append(f"{where} imports asyncio.{alias.name}")
                if _is_forbidden_module(f"{module}.{alias.name}" if module else alias.name):
                    found.append(f"{where} imports {module}.{alias.name}")
        elif isinstance(node, ast.Attribute):
            owner = node.value.id if isinstance(node.value, ast.Name) else None
            if owner in ("os", "posix") and _is_forbidden_os(node.attr):
                found.append(f"{where} uses os.{node.attr}")
            if node.attr in FORBIDDEN_ASYNCIO:
                found.append(f"{where} uses {node.attr}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in ("__import__", "getattr") and any(
                isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                and (_is_forbidden_module(arg.value) or _is_forbidden_os(arg.value))
                for arg in node.args
            ):
                found.append(f"{where} looks up a way to run programs by name")
    return found


@pytest.mark.parametrize("source", [
    "import subprocess",
    "import os\nos.system('sh')",
    "from os import execvp",
    "import os\nos.spawnlp(os.P_WAIT, 'sh')",
    "import webbrowser",
    "from pty import spawn",
    "import asyncio\nasyncio.create_subprocess_shell('sh')",
    "from multiprocessing import Process",
    "import os\ngetattr(os, 'system')('sh')",
    "import os\nos.posix_spawn('/bin/sh', [], {})",
])
def test_the_check_finds_each_way_to_run_a_program(source):
    assert ways_to_run_programs(source)


def test_the_check_leaves_ordinary_code_alone():
    source = "import os, signal\nos.kill(os.getpid(), signal.SIGHUP)\nos.dup2(1, 2)\n"
    assert ways_to_run_programs(source) == []


# The audited exceptions: a symbolic proof runs in a forked copy of the tutor (or of the
# lab's proof service) that calls one Python function and then os._exit; none execs
# another program. Each module with the forks it holds.
FORK_ONLY = {"tutor/engine/bounded.py": 1, "tutor/engine/worker.py": 2, "tutor/engine/early.py": 1,
             "tutor/engine/proof_service.py": 2}


def test_no_module_of_the_tutor_can_run_a_program():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = str(path.relative_to(PACKAGE.parent))
        uses = ways_to_run_programs(path.read_text(encoding="utf-8"), name)
        if name in FORK_ONLY:
            uses = [use for use in uses if not use.endswith("uses os.fork")]
        found += uses
    assert found == []


@pytest.mark.parametrize("module", sorted(FORK_ONLY))
def test_the_forked_proof_never_execs_and_always_ends_in_os_exit(module):
    source = (PACKAGE.parent / module).read_text(encoding="utf-8")
    uses = ways_to_run_programs(source, module)
    assert uses and all(use.endswith("uses os.fork") for use in uses)
    # Each fork's child runs one function, or a loop of requests (the proof worker's
    # template, the server it forks, the proof service and the templates it forks), and
    # ends in os._exit.
    assert source.count("os.fork(") == source.count("os._exit(code)") == FORK_ONLY[module]
