"""A data folder that is no folder (a file, a named pipe, a device) turns progress off
with a person's message, and every progress command exits 2: the user must name
another folder. The tutor itself goes on with progress off."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tutor.cli.command import main
from tutor.progress import ProgressStore


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHAIN_TUTOR_JOURNAL", raising=False)
    monkeypatch.delenv("CHAIN_TUTOR_DATA", raising=False)


def _not_a_folder(tmp_path: Path, kind: str) -> tuple[Path, str]:
    if kind == "file":
        path = tmp_path / "plain.txt"
        path.write_text("hello\n")
        return path, "a file"
    if kind == "file's child":
        (tmp_path / "plain.txt").write_text("hello\n")
        return tmp_path / "plain.txt" / "sub", "a file"
    if kind == "fifo":
        path = tmp_path / "pipe"
        os.mkfifo(path)
        return path, "a named pipe"
    return Path("/dev/zero"), "a device"


KINDS = ["file", "file's child", "fifo", "device"]
ARGS = {"progress": [], "--json": ["--json"], "--export": ["--export", "-"],
        "--import": ["--import", "{export}"]}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("command", sorted(ARGS))
def test_a_data_dir_that_is_no_folder_is_said_and_exits_2(tmp_path: Path, capsys, kind: str,
                                                        command: str) -> None:
    path, what = _not_a_folder(tmp_path, kind)
    export = tmp_path / "export.json"
    export.write_text('{"format": "chain-tutor-progress", "version": 1, "lessons": [],'
                      ' "attempts": []}')
    extra = [a.format(export=export) for a in ARGS[command]]
    assert main(["progress", *extra, "--data-dir", str(path)]) == 2
    err = capsys.readouterr().err
    shown = path if kind != "file's child" else path.parent
    assert (f"{shown} is {what}, not a folder: --data-dir names the folder that holds"
            " progress.db") in err
    assert "Errno" not in err


def test_the_tutor_keeps_running_with_progress_off(tmp_path: Path) -> None:
    path, _ = _not_a_folder(tmp_path, "file")
    store = ProgressStore.open(path)
    assert not store.enabled and store.left_alone
    assert store.lesson("x").steps == {}
    store.record_attempt("x", "s", 1, "a", "correct", [], 1.0)  # saves nothing, no error
    assert path.read_text() == "hello\n"
