"""Every file the tutor reads is a regular file, read only so far (tutor.files.read_bounded):
a named pipe does not block it, a device is not read, a file longer than it says is cut.

What could hang or eat memory runs as a real command with a timeout (a hang fails the
test by timing out) and an address-space limit (reading /dev/zero to its end fails it
with a MemoryError instead of slowing the machine).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.files import FileRefused, FileTooLarge, read_bounded, read_head
from tutor.lessons.load import load_catalog

SCRIPT = Path(sys.executable).parent / "chain-tutor"
MEMORY = 2 * 2**30  # bytes of address space a run may have: far below /dev/zero's end
NETWORK = "x : 2x1\nL = sum(x)\ngoal: dL/dx\n"
needs_script = pytest.mark.skipif(not SCRIPT.exists(),
                                  reason="the chain-tutor script is not installed here")


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def _run(tmp_path: Path, *args: str, stdin=subprocess.DEVNULL) -> subprocess.CompletedProcess:
    env = dict(os.environ, CHAIN_TUTOR_DATA=str(tmp_path / "data"))
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, env=env,
                          stdin=stdin, timeout=120, preexec_fn=_limit_memory)


# -- the one reader -----------------------------------------------------------------------
def test_a_regular_file_is_read_whole_up_to_the_limit(tmp_path):
    path = tmp_path / "n.net"
    path.write_bytes(b"x" * 100)
    assert read_bounded(path, 100) == b"x" * 100
    assert read_head(path, 16) == b"x" * 16
    with pytest.raises(FileTooLarge, match="over, in my words"):
        read_bounded(path, 99, "over, in my words")


def test_a_file_longer_than_its_size_says_is_cut_at_the_limit():
    """/proc files say they are empty: the limit counts the bytes read, not the stat."""
    with pytest.raises(FileTooLarge):
        read_bounded("/proc/self/status", 10)


@pytest.mark.parametrize("kind, make", [
    ("a named pipe", lambda p: os.mkfifo(p)),
    ("a device", lambda p: p.symlink_to("/dev/zero")),
    ("a folder", lambda p: p.mkdir()),
])
def test_what_is_not_a_file_is_refused_by_its_kind(tmp_path, kind, make):
    path = tmp_path / "alice.json"
    make(path)
    for read in (lambda: read_bounded(path, 10), lambda: read_head(path, 10)):
        with pytest.raises(FileRefused, match=f"^{kind}, not a file$"):
            read()


def test_a_missing_file_says_so(tmp_path):
    with pytest.raises(FileRefused, match="No such file"):
        read_bounded(tmp_path / "missing.net", 10)


# -- network files: new and practice -------------------------------------------------------
@needs_script
@pytest.mark.parametrize("command", [["new"], ["practice", "--show"]])
def test_a_network_file_that_is_a_named_pipe_is_refused_at_once(tmp_path, command):
    os.mkfifo(tmp_path / "net.net")
    result = _run(tmp_path, *command, str(tmp_path / "net.net"))
    assert result.returncode == 2
    assert result.stderr == f"chain-tutor: cannot read {tmp_path / 'net.net'}: a named pipe, " \
                            "not a file\n"


@needs_script
def test_new_dev_zero_is_refused_without_reading_it(tmp_path):
    result = _run(tmp_path, "new", "/dev/zero")
    assert result.returncode == 2, result.stderr
    assert result.stderr == "chain-tutor: cannot read /dev/zero: a device, not a file\n"


@needs_script
def test_a_network_file_linked_to_dev_zero_is_refused(tmp_path):
    (tmp_path / "zero.net").symlink_to("/dev/zero")
    result = _run(tmp_path, "practice", "--show", str(tmp_path / "zero.net"))
    assert result.returncode == 2, result.stderr
    assert "zero.net: a device, not a file" in result.stderr


@needs_script
def test_a_network_file_still_works(tmp_path):
    (tmp_path / "fine.net").write_text(NETWORK, encoding="utf-8")
    result = _run(tmp_path, "practice", "--show", str(tmp_path / "fine.net"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == NETWORK


# -- exports: progress --import --------------------------------------------------------------
@needs_script
def test_importing_a_named_pipe_is_refused_at_once(tmp_path):
    os.mkfifo(tmp_path / "alice.json")
    result = _run(tmp_path, "progress", "--import", str(tmp_path / "alice.json"))
    assert result.returncode == 2
    assert "cannot read the file: a named pipe, not a file" in result.stderr


@needs_script
def test_importing_endless_stdin_stops_at_the_limit(tmp_path):
    with open("/dev/zero", "rb") as zero:
        result = _run(tmp_path, "progress", "--import", "-", stdin=zero)
    assert result.returncode == 2, result.stderr
    assert "so not an export" in result.stderr


# -- lesson files and the lesson index's cache -------------------------------------------------
def test_a_lesson_file_that_is_a_pipe_or_a_device_is_broken_not_waited_for(tmp_path):
    os.mkfifo(tmp_path / "pipe.toml")
    (tmp_path / "zero.toml").symlink_to("/dev/zero")
    catalog = load_catalog([tmp_path])
    assert {b.path.name: b.error.message for b in catalog.broken} == {
        "pipe.toml": "cannot read the file: a named pipe, not a file",
        "zero.toml": "cannot read the file: a device, not a file",
    }


def test_validate_refuses_a_pipe_or_a_device_named_on_the_command_line(tmp_path, capsys):
    # Inside a folder they were errors; named directly they were passed over as
    # "All 0 lesson file(s) valid", exit 0.
    from tutor.cli.command import main

    os.mkfifo(tmp_path / "fifo.net")
    os.mkfifo(tmp_path / "x.toml")
    (tmp_path / "z.toml").symlink_to("/dev/zero")
    for name, what in (("fifo.net", "a named pipe"), ("x.toml", "a named pipe"),
                       ("z.toml", "a device")):
        assert main(["validate", str(tmp_path / name)]) == 1
        out = capsys.readouterr().out
        assert f"{name}: error: cannot read the file: {what}, not a file" in out
        assert "1 error(s) in 1 lesson file(s)." in out


def test_a_lesson_index_cache_that_is_a_named_pipe_is_ignored(tmp_path):
    os.mkfifo(tmp_path / "lesson-index.json")
    probe = ("import sys; from pathlib import Path; from tutor.lessons.index import read_index\n"
             "print(len(read_index(cache=Path(sys.argv[1]))) > 0)")
    result = subprocess.run([sys.executable, "-c", probe, str(tmp_path / "lesson-index.json")],
                            capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "True", result.stderr


# -- no other way in ----------------------------------------------------------------------------
PACKAGE = Path(__file__).resolve().parents[2] / "tutor"
READS = {"open", "read_text", "read_bytes", "load"}  # open(), Path.read_*, json/tomllib.load
# Files that are not a person's: the help screens' Markdown is package data, the memory
# probe reads /proc, and files.py is the reader itself (and the writer).
OTHER_READERS = {"files.py", "engine/bounded.py", "app/screens/help.py",
                 "app/screens/report.py", "app/signals.py"}


def _reads(path: Path) -> list[str]:
    import ast

    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "open":
            found.append(f"open() at line {node.lineno}")
        elif isinstance(func, ast.Attribute) and func.attr in READS:
            owner = func.value.id if isinstance(func.value, ast.Name) else ""
            if func.attr == "open" and owner not in ("os", "io"):
                continue  # ProgressStore.open and the like
            found.append(f"{owner or '…'}.{func.attr}() at line {node.lineno}")
    return found


def test_every_file_is_read_through_the_bounded_reader():
    readers = {str(path.relative_to(PACKAGE)): _reads(path)
               for path in sorted(PACKAGE.rglob("*.py"))}
    assert {name for name in readers if readers[name]} <= OTHER_READERS, {
        name: where for name, where in readers.items() if where and name not in OTHER_READERS}
