"""The quick lesson index and its cache: a shortcut that is never wrong and never fails."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

import tutor.lessons.index as lesson_index
from tutor.lessons.index import CACHE_NAME, read_index, shipped_lessons_dir
from tutor.progress import CACHE_ENV, DATA_ENV, default_cache_dir

LESSON = """id = "{id}"
title = "{title}"
intro = "An intro."

[[steps]]
id = "s1"
of = "f"
wrt = "x"
"""


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A lessons folder beside the shipped ones, with two small lessons."""
    monkeypatch.delenv("CHAIN_TUTOR_LESSONS", raising=False)
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    (lessons / "a.toml").write_text(LESSON.format(id="extra-a", title="Extra A"))
    (lessons / "b.toml").write_text(LESSON.format(id="extra-b", title="Extra B"))
    return lessons


def _no_reading(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Record every file the index reads with tomllib."""
    read: list[Path] = []
    real = lesson_index.read_info

    def spy(path: Path):
        read.append(path)
        return real(path)

    monkeypatch.setattr(lesson_index, "read_info", spy)
    return read


def test_a_cached_index_equals_the_read_one_and_reads_no_file(folder, tmp_path, monkeypatch):
    cache = tmp_path / "cache" / CACHE_NAME
    uncached = read_index([folder])
    first = read_index([folder], cache=cache)
    assert cache.is_file()
    read = _no_reading(monkeypatch)
    second = read_index([folder], cache=cache)
    assert read == []
    assert second == first == uncached
    assert [info.id for info in second][-2:] == ["extra-a", "extra-b"]
    assert len(second) == len(list(shipped_lessons_dir().glob("*.toml"))) + 2


def test_an_edited_file_is_read_again_and_only_it(folder, tmp_path, monkeypatch):
    cache = tmp_path / CACHE_NAME
    read_index([folder], cache=cache)
    edited = folder / "b.toml"
    edited.write_text(LESSON.format(id="extra-b", title="Extra B, longer"))
    read = _no_reading(monkeypatch)
    index = read_index([folder], cache=cache)
    assert read == [edited]
    assert index[-1].title == "Extra B, longer"


def test_a_replaced_file_of_the_same_size_and_time_is_read_again(folder, tmp_path):
    cache = tmp_path / CACHE_NAME
    read_index([folder], cache=cache)
    path = folder / "a.toml"
    stat = path.stat()
    replacement = tmp_path / "new.toml"
    replacement.write_text(LESSON.format(id="extra-z", title="Extra Z"))  # same length
    os.utime(replacement, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    os.replace(replacement, path)  # a new inode under the old name
    assert path.stat().st_mtime_ns == stat.st_mtime_ns and path.stat().st_size == stat.st_size
    assert read_index([folder], cache=cache)[-2].id == "extra-z"


def test_a_new_file_is_added_and_a_removed_one_forgotten(folder, tmp_path):
    cache = tmp_path / CACHE_NAME
    read_index([folder], cache=cache)
    (folder / "c.toml").write_text(LESSON.format(id="extra-c", title="Extra C"))
    (folder / "a.toml").unlink()
    index = read_index([folder], cache=cache)
    assert [info.id for info in index][-2:] == ["extra-b", "extra-c"]
    files = json.loads(cache.read_text())["files"]
    assert str(folder / "c.toml") in files and str(folder / "a.toml") not in files


@pytest.mark.parametrize("content", [
    b"", b"not json", b"\xff\xfe", b"[]", b'{"version": 999, "files": {}}',
    b'{"version": 1, "files": []}', b"[" * 100_000,
    b'{"version": 1, "files": {"PATH": {"stamp": "x", "id": 3}}}',
    b'{"version": 1, "files": {"PATH": {"stamp": STAMP, "id": "x", "title": "t", '
    b'"intro": "", "steps": [["only two", "parts"]]}}}',
    b'{"version": 1, "files": {"PATH": {"stamp": STAMP, "id": 1, "title": "t", '
    b'"intro": "", "steps": []}}}',
])
def test_a_damaged_cache_means_reading_the_files(folder, tmp_path, content):
    cache = tmp_path / CACHE_NAME
    path = folder / "a.toml"
    st = path.stat()
    stamp = json.dumps([st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino]).encode()
    cache.write_bytes(content.replace(b"PATH", str(path).encode()).replace(b"STAMP", stamp))
    assert read_index([folder], cache=cache) == read_index([folder])
    assert json.loads(cache.read_text())["version"] == lesson_index.CACHE_VERSION  # mended


def test_an_unwritable_cache_folder_costs_only_speed(folder, tmp_path):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder would be")
    assert read_index([folder], cache=blocked / CACHE_NAME) == read_index([folder])
    assert blocked.read_text() == "a file where the cache folder would be"
    assert not list(tmp_path.glob(".*"))  # no partial file left behind


def test_broken_and_duplicate_lessons_are_marked_with_or_without_the_cache(folder, tmp_path):
    shutil.copy(folder / "a.toml", folder / "d.toml")  # reuses the id extra-a
    (folder / "e.toml").write_text("id = ")  # not TOML
    cache = tmp_path / CACHE_NAME
    for _ in range(2):  # the first run writes the cache, the second uses it
        index = read_index([folder], cache=cache)
        by_file = {info.path.name: info for info in index}
        assert "already used" in by_file["d.toml"].error
        assert by_file["e.toml"].error
        assert by_file["a.toml"].error is None
    assert str(folder / "e.toml") not in json.loads(cache.read_text())["files"]


def test_the_cache_folder_follows_the_data_folder(tmp_path, monkeypatch):
    monkeypatch.delenv(CACHE_ENV, raising=False)
    monkeypatch.delenv(DATA_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir(tmp_path / "data") == tmp_path / "data" / "cache"
    assert str(default_cache_dir()).startswith(str(tmp_path / "xdg"))
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "env-data"))
    assert default_cache_dir() == tmp_path / "env-data" / "cache"
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "own"))
    assert default_cache_dir(tmp_path / "data") == tmp_path / "own"


# -- a first launch: the quick read, and the cache written after the first paint --------------
def test_the_quick_read_of_every_shipped_lesson_equals_the_full_one():
    for path in sorted(shipped_lessons_dir().glob("*.toml")):
        assert lesson_index.read_info(path, quick=True) == lesson_index.read_info(path), path


def test_the_quick_read_keeps_a_header_like_line_inside_the_intro(tmp_path):
    path = tmp_path / "a.toml"
    path.write_text('id = "a"\ntitle = "A"\nintro = """\n[[steps]]\nid = "not a step"\n"""\n\n'
                    '[[steps]]\nid = "s1"  # the first\nof = "f"\nwrt = "x"\nhints = [\n  "h",\n]\n'
                    '[[steps.mistakes]]\nid = "m"\n\n[[steps]]\nid = "s2"\nof = "g"\nwrt = "y"\n')
    quick = lesson_index.read_info(path, quick=True)
    assert quick == lesson_index.read_info(path)
    assert [step.id for step in quick.steps] == ["s1", "s2"]
    assert "not a step" in quick.intro


def test_a_multi_line_string_below_the_top_means_reading_the_whole_file(tmp_path):
    text = LESSON.format(id="a", title="A") + 'feedback = """\nid = "x"\n"""\n'
    assert lesson_index.quick_text(text) is None
    path = tmp_path / "a.toml"
    path.write_text(text)
    assert lesson_index.read_info(path, quick=True) == lesson_index.read_info(path)


def test_a_first_launch_reads_quickly_and_hands_the_cache_to_a_later_job(folder, tmp_path):
    cache = tmp_path / "cache" / CACHE_NAME
    jobs = []
    quick = read_index([folder], cache=cache, later=jobs.append)
    assert not cache.exists() and len(jobs) == 1  # nothing written before the first paint
    jobs[0]()
    assert cache.exists()
    assert read_index([folder], cache=cache) == quick
    jobs.clear()
    assert read_index([folder], cache=cache, later=jobs.append) == quick
    assert jobs == []  # a later launch: every file from the cache, no job
