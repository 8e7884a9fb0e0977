"""The tutor opens a progress.db only if it is its own, and a damaged header is damage.

Its own: stamped with its application_id, or a file from before the stamp (schema 1 to
3, application_id 0, the tutor's tables). Anything else (another program's database, a
link to one) comes out as it went in, byte for byte, with no -wal or -shm beside it, and
progress is off with the reason. A header whose schema version no tutor writes (below
0, absurdly high) is moved aside like any other damage, by every command and the report.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tutor.cli.command import main
from tutor.progress import (
    APPLICATION_ID,
    DB_NAME,
    SCHEMA_VERSION,
    LeftAlone,
    ProgressStore,
    read_database,
)
from tutor.progress.schema import _MIGRATIONS


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHAIN_TUTOR_JOURNAL", raising=False)
    monkeypatch.delenv("CHAIN_TUTOR_DATA", raising=False)


def header(path: Path) -> tuple[int, int, str]:
    """application_id, user_version and journal of a closed database, from its header."""
    data = path.read_bytes()[:100]
    version = int.from_bytes(data[60:64], "big", signed=True)
    application_id = int.from_bytes(data[68:72], "big", signed=True)
    return application_id, version, "wal" if data[18:20] == b"\x02\x02" else "rollback"


def write(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for statement in statements:
            conn.execute(statement)
    finally:
        conn.close()


def old_tutor_database(path: Path, version: int) -> None:
    """A database as a chain-tutor of schema `version` left it, before the stamp."""
    statements = [s for migration in _MIGRATIONS[:version] for s in migration]
    write(path, *statements, f"PRAGMA user_version = {version}",
          "INSERT INTO lessons (lesson_id, seed, started) VALUES ('kept', 7, 1.0)")


def foreign_database(path: Path, *, wal: bool = False, application_id: int = 0) -> bytes:
    """Another program's SQLite file (user_version 0), closed cleanly; its bytes."""
    write(path, *(["PRAGMA journal_mode = WAL"] if wal else []),
          f"PRAGMA application_id = {application_id}",
          "CREATE TABLE notes (text TEXT)", "INSERT INTO notes VALUES ('not the tutor''s')")
    return path.read_bytes()


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def export_file(tmp_path: Path) -> Path:
    source = tmp_path / "exporter"
    with ProgressStore.open(source) as store:
        store.record_attempt("chain", "dz", 1, "W", "correct", [], 1.0)
    exported = tmp_path / "export.json"
    assert main(["progress", "--export", str(exported), "--data-dir", str(source)]) == 0
    return exported


# The commands that open the student's database, as argument lists after "progress".
COMMANDS = {
    "progress": [],
    "progress --json": ["--json"],
    "progress --export": ["--export", "{out}"],
    "progress --import": ["--import", "{export}"],
}


def run_command(name: str, data: Path, tmp_path: Path) -> int:
    extra = [a.format(out=tmp_path / "out.json", export=export_file(tmp_path))
             for a in COMMANDS[name]]
    return main(["progress", *extra, "--data-dir", str(data)])


# -- the stamp -----------------------------------------------------------------------


def test_a_new_database_is_stamped_with_the_tutors_application_id(tmp_path: Path) -> None:
    ProgressStore.open(tmp_path).close()
    assert header(tmp_path / DB_NAME)[:2] == (APPLICATION_ID, SCHEMA_VERSION)


@pytest.mark.parametrize("content", [b"", None], ids=["empty file", "empty database"])
def test_an_empty_file_is_the_tutors_to_begin(tmp_path: Path, content: bytes | None) -> None:
    db = tmp_path / DB_NAME
    if content is None:
        write(db, "PRAGMA journal_mode = WAL")  # what another login starting it leaves
    else:
        db.write_bytes(content)
    with ProgressStore.open(tmp_path) as store:
        assert store.enabled and store.notice is None
    assert header(db)[:2] == (APPLICATION_ID, SCHEMA_VERSION)


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION + 1))
def test_a_database_from_before_the_stamp_is_migrated_and_stamped(
        tmp_path: Path, version: int) -> None:
    db = tmp_path / DB_NAME
    old_tutor_database(db, version)
    with ProgressStore.open(tmp_path) as store:
        assert store.enabled and store.notice is None
        assert store.lesson("kept").seed == 7
    assert header(db) == (APPLICATION_ID, SCHEMA_VERSION, "wal")
    assert read_database(db).lessons[0].lesson_id == "kept"


# -- another program's file ----------------------------------------------------------


@pytest.mark.parametrize("wal", [False, True], ids=["rollback", "wal"])
@pytest.mark.parametrize("application_id", [0, 0x5A5A5A5A, -1])
def test_another_programs_database_is_left_untouched(
        tmp_path: Path, wal: bool, application_id: int) -> None:
    db = tmp_path / DB_NAME
    before = foreign_database(db, wal=wal, application_id=application_id)

    with pytest.raises(LeftAlone, match="not a chain-tutor progress database"):
        ProgressStore(db)
    store = ProgressStore.open(tmp_path)

    assert not store.enabled and store.left_alone
    assert store.notice is not None and store.notice.startswith("progress is off: ")
    assert str(db) in store.notice and "left untouched" in store.notice
    assert db.read_bytes() == before
    assert listing(tmp_path) == [DB_NAME]  # no -wal, -shm, nothing moved aside


def test_a_foreign_file_with_the_tutors_table_names_but_no_version_is_left_untouched(
        tmp_path: Path) -> None:
    db = tmp_path / DB_NAME
    write(db, "CREATE TABLE lessons (lesson_id TEXT PRIMARY KEY, seed INTEGER)",
          "CREATE TABLE steps (x)", "CREATE TABLE attempts (y)")
    before = db.read_bytes()
    store = ProgressStore.open(tmp_path)
    assert store.left_alone
    assert db.read_bytes() == before and listing(tmp_path) == [DB_NAME]


def test_a_link_to_another_programs_database_is_left_untouched(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = elsewhere / "app.sqlite"
    before = foreign_database(target, wal=True)
    data = tmp_path / "data"
    data.mkdir()
    (data / DB_NAME).symlink_to(target)

    store = ProgressStore.open(data)

    assert store.left_alone and "not a chain-tutor progress database" in store.notice
    assert target.read_bytes() == before
    assert (data / DB_NAME).readlink() == target
    assert listing(data) == [DB_NAME] and listing(elsewhere) == ["app.sqlite"]


@pytest.mark.parametrize("target", ["text", "damaged header"])
def test_a_link_to_a_file_that_is_not_a_usable_database_is_not_moved(
        tmp_path: Path, target: str) -> None:
    """A damaged file is moved aside, but a link names a file put there on purpose."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    named = elsewhere / "notes.txt"
    if target == "text":
        named.write_text("another program's notes\n" * 100)
    else:
        damaged(named, -5)
    before = named.read_bytes()
    data = tmp_path / "data"
    data.mkdir()
    (data / DB_NAME).symlink_to(named)

    store = ProgressStore.open(data)

    assert store.left_alone and "links to a file that is not a usable" in store.notice
    assert named.read_bytes() == before and (data / DB_NAME).readlink() == named
    assert listing(data) == [DB_NAME] and listing(elsewhere) == ["notes.txt"]


@pytest.mark.parametrize("kind", ["named pipe", "link to a device"])
def test_a_progress_db_that_is_no_file_is_refused_unopened(tmp_path: Path, kind: str) -> None:
    """SQLite would wait for ever on a named pipe for a writer (or write to a device)."""
    import os
    import subprocess
    import sys

    data = tmp_path / "data"
    data.mkdir()
    if kind == "named pipe":
        os.mkfifo(data / DB_NAME)
    else:
        (data / DB_NAME).symlink_to("/dev/null")

    store = ProgressStore.open(data)
    assert store.left_alone and "not a file" in store.notice and not store.enabled

    done = subprocess.run(  # the real command: refused at once, status 2 (a hang times out)
        [sys.executable, "-m", "tutor", "progress", "--data-dir", str(data)],
        capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "not a file" in done.stderr, done.stderr
    assert listing(data) == [DB_NAME]


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_progress_command_refuses_another_programs_database_with_status_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str) -> None:
    data = tmp_path / "data"
    data.mkdir()
    before = foreign_database(data / DB_NAME, wal=True)
    capsys.readouterr()

    assert run_command(command, data, tmp_path) == 2

    err = capsys.readouterr().err
    assert "not a chain-tutor progress database" in err and "Traceback" not in err
    assert (data / DB_NAME).read_bytes() == before and listing(data) == [DB_NAME]


def test_the_report_skips_another_programs_database_and_says_why(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    student = tmp_path / "ana"
    student.mkdir()
    before = foreign_database(student / DB_NAME, wal=True)

    assert main(["report", str(tmp_path)]) == 2  # nothing else to report on: bad input

    err = capsys.readouterr().err
    assert f"skipped {student / DB_NAME}: not a chain-tutor progress database" in err
    assert (student / DB_NAME).read_bytes() == before and listing(student) == [DB_NAME]


def test_a_newer_tutors_database_is_left_untouched_and_commands_exit_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / DB_NAME
    write(db, f"PRAGMA application_id = {APPLICATION_ID}", "CREATE TABLE future (x)",
          "PRAGMA user_version = 99")
    before = db.read_bytes()
    assert main(["progress", "--data-dir", str(tmp_path)]) == 2
    assert "written by a newer chain-tutor" in capsys.readouterr().err
    assert db.read_bytes() == before and listing(tmp_path) == [DB_NAME]


# -- a damaged header ------------------------------------------------------------------


DAMAGED_VERSIONS = [-1, -5, -(2 ** 31), 2 ** 31 - 1]


def damaged(path: Path, version: int, *, stamped: bool = True) -> bytes:
    """A tutor's database with real records whose header gives this schema version."""
    with ProgressStore(path) as store:
        store.record_attempt("chain", "dz", 1, "W", "correct", [], 1.0)
    write(path, f"PRAGMA user_version = {version}",
          *([] if stamped else ["PRAGMA application_id = 0"]), "PRAGMA journal_mode = DELETE")
    return path.read_bytes()


@pytest.mark.parametrize("stamped", [True, False], ids=["stamped", "from before the stamp"])
@pytest.mark.parametrize("version", DAMAGED_VERSIONS)
def test_a_schema_version_no_tutor_writes_is_damage_moved_aside(
        tmp_path: Path, version: int, stamped: bool) -> None:
    db = tmp_path / DB_NAME
    before = damaged(db, version, stamped=stamped)

    with ProgressStore.open(tmp_path) as store:
        assert store.enabled
        moved = [p for p in tmp_path.iterdir() if p.name.startswith(f"{DB_NAME}.corrupt-")]
        assert len(moved) == 1 and moved[0].read_bytes() == before
        assert store.notice is not None and str(moved[0]) in store.notice
        assert f"schema version {version}" in store.notice
        assert store.attempts() == []  # a new file
    assert header(db)[:2] == (APPLICATION_ID, SCHEMA_VERSION)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_progress_command_moves_a_damaged_header_aside(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str) -> None:
    data = tmp_path / "data"
    data.mkdir()
    before = damaged(data / DB_NAME, -5, stamped=False)
    capsys.readouterr()

    assert run_command(command, data, tmp_path) == 0

    err = capsys.readouterr().err
    assert "schema version -5" in err and "was moved to" in err and "Traceback" not in err
    [moved] = [p for p in data.iterdir() if ".corrupt-" in p.name]
    assert moved.read_bytes() == before


@pytest.mark.parametrize("version", DAMAGED_VERSIONS)
def test_the_report_names_and_skips_a_damaged_header_leaving_it_as_it_is(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], version: int) -> None:
    student = tmp_path / "ana"
    student.mkdir()
    before = damaged(student / DB_NAME, version, stamped=False)
    ProgressStore.open(tmp_path / "ben").close()  # a good one beside it

    assert main(["report", str(tmp_path)]) == 0

    err = capsys.readouterr().err
    assert f"skipped {student / DB_NAME}: damaged: its header gives schema version " \
           f"{version}" in err
    assert (student / DB_NAME).read_bytes() == before and listing(student) == [DB_NAME]


@pytest.mark.parametrize("command", ["check", "show"])
@pytest.mark.parametrize("case", ["damaged header", "another program's"])
def test_check_and_show_of_a_saved_network_say_what_became_of_the_progress_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, case: str) -> None:
    """`check net-…` and `show net-…` read the student's own networks from progress.db."""
    db = tmp_path / DB_NAME
    if case == "damaged header":
        damaged(db, -5, stamped=False)
        said = "was moved to"
    else:
        before = foreign_database(db, wal=True)
        said = "not a chain-tutor progress database"
    capsys.readouterr()
    argv = [command, "net-0123456789ab", *(["dz", "W"] if command == "check" else [])]

    assert main([*argv, "--data-dir", str(tmp_path)]) == 2  # no such lesson

    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err
    if case != "damaged header":
        assert db.read_bytes() == before and listing(tmp_path) == [DB_NAME]


def foreign_database_with_a_hot_journal(path: Path) -> bytes:
    """Another program's database whose writer died mid-transaction: its -journal stays
    beside it, and the file holds pages the journal would roll back."""
    import subprocess
    import sys

    script = (
        "import os, sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "c.execute('PRAGMA cache_size = 1')\n"
        "c.execute('CREATE TABLE notes (text TEXT)')\n"
        "c.execute('BEGIN')\n"
        "for i in range(2000):\n"
        "    c.execute('INSERT INTO notes VALUES (?)', ('note %d ' % i * 20,))\n"
        "os._exit(0)  # no commit, no rollback: the writer died\n"
    )
    subprocess.run([sys.executable, "-c", script, str(path)], check=True, timeout=60)
    assert path.with_name(path.name + "-journal").exists()
    return path.read_bytes()


def test_another_programs_database_with_an_unfinished_transaction_is_not_opened(
        tmp_path: Path) -> None:
    """Even a read-only look makes SQLite roll the transaction back: the file changed
    while the tutor said it was left untouched."""
    data = tmp_path / "data"
    data.mkdir()
    before = foreign_database_with_a_hot_journal(data / DB_NAME)
    journal = (data / f"{DB_NAME}-journal").read_bytes()

    store = ProgressStore.open(data)
    assert store.left_alone and "unfinished" in store.notice
    skipped = read_report_reason(data / DB_NAME)

    assert "unfinished" in skipped
    assert (data / DB_NAME).read_bytes() == before
    assert (data / f"{DB_NAME}-journal").read_bytes() == journal


def read_report_reason(path: Path) -> str:
    from tutor.progress import ProgressError

    try:
        read_database(path)
    except ProgressError as error:
        return str(error)
    return ""
