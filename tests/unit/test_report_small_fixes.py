"""Small things issue 25 found wrong around `report`, each pinned:

* options before the subcommand (`chain-tutor --lessons DIR lessons`) were refused;
* the tutor's own lesson-index cache, met in a folder searched, was named as a bad file;
* answers were shown with every space taken out (`[0.24 0; 0 0.25]` as `[0.240;00.25]`);
* README's report example had fallen behind what the checker says.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from pathlib import Path
from unittest import mock

import pytest

from tutor.cli.command import main
from tutor.lessons.index import read_index
from tutor.progress import EXPORT_VERSION, ProgressStore
from tutor.report.build import build_report, normalise
from tutor.report.formats import format_text
from tutor.report.sources import load_sources

ROOT = Path(__file__).resolve().parents[2]
LESSON = "two-layer-sigmoid"
LESSONS = ROOT / "tests" / "app" / "snapshot_lessons"


# -- options before the subcommand -----------------------------------------------------


@pytest.mark.parametrize("before", [
    ["--lessons", str(LESSONS)], [f"--lessons={LESSONS}"],
    ["--lessons", str(LESSONS), "--lessons", str(LESSONS)],
], ids=["--lessons DIR", "--lessons=DIR", "twice"])
def test_options_before_the_subcommand_are_the_subcommands(capsys, before):
    assert main(["lessons", "--json", *before]) == 0
    after = capsys.readouterr().out
    assert main([*before, "lessons", "--json"]) == 0
    assert capsys.readouterr().out == after


def test_data_dir_before_progress(tmp_path, capsys):
    assert main(["--data-dir", str(tmp_path / "d"), "progress", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["database"] == str(tmp_path / "d" / "progress.db")


def test_an_option_the_subcommand_does_not_take_is_argparses_exit_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--data-dir", str(tmp_path), "report", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "unrecognized arguments: --data-dir" in capsys.readouterr().err


# -- the tutor's own cache -------------------------------------------------------------


def _database(folder: Path, login: str) -> None:
    folder.mkdir(parents=True)
    with mock.patch("getpass.getuser", return_value=login), \
            ProgressStore(folder / "progress.db") as store:
        store.record_attempt(LESSON, "df_dh2", 1, "W3", "correct", [], 1, solves=True)


@pytest.mark.parametrize("cache", [
    ".cache/chain-tutor", "data/cache", "elsewhere"], ids=["platform", "data dir", "any"])
def test_the_lesson_index_cache_is_passed_over_without_a_word(tmp_path, capsys, cache):
    home = tmp_path / "home"
    _database(home / "data", "alice")
    (home / cache).mkdir(parents=True, exist_ok=True)
    (home / cache / "lesson-index.json").write_text('{"version": 1, "files": {}}')
    assert main(["report", str(home)]) == 0
    out, err = capsys.readouterr()
    assert err == "" and out.startswith("1 student, 1 lesson with records.\n")


def test_a_cache_named_on_the_command_line_is_said(tmp_path, capsys):
    (tmp_path / "lesson-index.json").write_text('{"version": 1, "files": {}}')
    _database(tmp_path / "data", "alice")
    assert main(["report", str(tmp_path / "lesson-index.json"), str(tmp_path / "data")]) == 0
    assert "skipped" in capsys.readouterr().err
    (tmp_path / "only" / "cache").mkdir(parents=True)
    (tmp_path / "only" / "cache" / "lesson-index.json").write_text("{}")
    assert main(["report", str(tmp_path / "only")]) == 2
    assert "holds no progress.db or exported .json file" in capsys.readouterr().err


# -- spaces in answers ------------------------------------------------------------------


@pytest.mark.parametrize("answer, shown", [
    ("[0.24 0; 0 0.25]", "[0.24 0;0 0.25]"),
    ("[0.24  0 ;\n 0   0.25 ]", "[0.24 0;0 0.25]"),
    ("h2 * (1 - h2)", "h2*(1-h2)"),
    ("W3 .T", "W3.T"),
    ("[1 -2]", "[1 -2]"),  # two entries, as the parser reads it
    ("[1 - 2]", "[1-2]"),  # one
    ("[.5 .25]", "[.5 .25]"),
    ("  ", ""),
])
def test_only_the_spaces_that_say_nothing_are_taken_out(answer, shown):
    assert normalise(answer) == shown


def test_report_prints_a_matrix_answer_with_its_entries_apart(tmp_path):
    folder = tmp_path / "alice"
    folder.mkdir()
    with ProgressStore(folder / "progress.db") as store:
        store.record_attempt(LESSON, "dh2_dz2", 1, "[0.24 0; 0 0.25]", "incorrect", [], 1)
    text = format_text(build_report(load_sources([tmp_path])[0], read_index()))
    assert "✗ `[0.24 0;0 0.25]` 1 attempt, 1 student" in text


# -- README ---------------------------------------------------------------------------


def test_readme_states_the_export_version():
    readme = (ROOT / "README.md").read_text()
    assert f'"format": "chain-tutor-progress", "version": {EXPORT_VERSION},' in readme


README_CLASS = {  # student: (step, answer, seconds) in order, then "revealed" marks
    "alice": [("df_dh2", "W3.T", 10), ("df_dh2", "-W3", 5), ("df_dh2", "W3", 5),
              ("dh2_dz2", "h2*(1-h2)", 30), ("dh2_dz2", "diag(h2*(1-h2))", 30),
              ("dz2_dh1", "W2.T", 40), ("dz2_dh1", "revealed", 0)],
    "bob": [("df_dh2", "W3 .T", 8), ("df_dh2", "bad +", 2), ("df_dh2", "W3", 10),
            ("dh2_dz2", "h2 * (1-h2)", 50), ("dz2_dh1", "W2.T", 20),
            ("dz2_dh1", "revealed", 0)],
    "carol": [("df_dh2", "W3", 4), ("dh2_dz2", "h2*(1-h2)", 20), ("dh2_dz2", "h2*(1-h2)", 20),
              ("dh2_dz2", "W2", 5), ("dh2_dz2", "h2", 1), ("dh2_dz2", "z2", 1)],
}


def test_readme_report_example_is_what_the_report_prints(tmp_path, capsys):
    """The class of README's example, each answer checked by the real checker, reported."""
    checked: dict[tuple[str, str], dict] = {}
    for name, answers in README_CLASS.items():
        ticks = itertools.count(1_700_000_000)
        clock = functools.partial(lambda ticks: float(next(ticks)), ticks)
        (tmp_path / name).mkdir()
        with mock.patch("getpass.getuser", return_value=name), ProgressStore(
                tmp_path / name / "progress.db", clock=clock) as store:
            for step, answer, seconds in answers:
                if answer == "revealed":
                    store.mark(LESSON, step, "revealed")
                    continue
                if (step, answer) not in checked:
                    main(["check", LESSON, step, "--json", "--", answer])
                    checked[step, answer] = json.loads(capsys.readouterr().out)
                verdict = checked[step, answer]
                store.record_attempt(LESSON, step, 7, answer, verdict["verdict"],
                                     verdict.get("diagnosis", []), seconds, solves=True)
    text = format_text(build_report(load_sources([tmp_path])[0], read_index()))
    readme = (ROOT / "README.md").read_text()
    example = re.search(r"```\n(3 students, 1 lesson with records\.\n.*?)```", readme, re.S)
    assert example is not None
    assert text.startswith(example.group(1).rstrip("\n"))
