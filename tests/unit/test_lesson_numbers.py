"""A lesson named by its number in the picker's list (curriculum order, from 1), wherever
a lesson id is taken: `chain-tutor show 1`, `chain-tutor check 8 df_dh2 W3`.

The number is resolved in the core (Catalog.get for the full lessons, find_lesson for
the quick index), so that every command reads it the same way; a number past the list
says how the lessons are numbered. The app, which keeps progress under the name a
lesson is opened by, is handed ids only: `chain-tutor 8` opens the lesson by its id
(tutor.app.launch.run resolves it), and tutor.app.shelf refuses a number.
"""

from __future__ import annotations

import json

import pytest

from tutor.app.shelf import Shelf
from tutor.cli.command import main
from tutor.lessons.index import ENV_LESSONS, LessonError, find_lesson, read_index
from tutor.lessons.load import load_catalog


@pytest.fixture
def catalog(monkeypatch):
    monkeypatch.delenv(ENV_LESSONS, raising=False)
    return load_catalog()


@pytest.fixture
def index(monkeypatch):
    monkeypatch.delenv(ENV_LESSONS, raising=False)
    return read_index()


def test_a_number_names_the_lesson_at_that_place_in_the_list(catalog, index):
    ids = [lesson.id for lesson in catalog.lessons]
    for number, lesson_id in enumerate(ids, start=1):
        assert catalog.get(str(number)).id == lesson_id
        assert find_lesson(index, str(number)).id == lesson_id
    assert catalog.get("1").id == "scalar-chain-rule"
    assert catalog.get("08").id == "two-layer-sigmoid"


@pytest.mark.parametrize("number", ["0", "14", "99"])
def test_a_number_past_the_list_says_how_the_lessons_are_numbered(catalog, index, number):
    for find in (catalog.get, lambda ref: find_lesson(index, ref)):
        with pytest.raises(LessonError) as raised:
            find(number)
        assert str(raised.value) == (f"no lesson number {int(number)}: the lessons are "
                                     "numbered 1 to 13. Run `chain-tutor lessons` to list them.")


def test_an_id_that_is_not_a_number_is_found_as_before(catalog, index):
    assert catalog.get("mini-batch").id == find_lesson(index, "mini-batch").id == "mini-batch"
    with pytest.raises(LessonError, match="Did you mean mini-batch"):
        catalog.get("mini-bach")


def test_show_and_check_take_a_lessons_number(capsys, monkeypatch):
    monkeypatch.delenv(ENV_LESSONS, raising=False)
    assert main(["show", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == "scalar-chain-rule"
    assert main(["check", "--json", "8", "df_dh2", "W3"]) == 0
    assert json.loads(capsys.readouterr().out)["lesson"] == "two-layer-sigmoid"
    assert main(["show", "14"]) == 2
    assert "no lesson number 14: the lessons are numbered 1 to 13" in capsys.readouterr().err


def test_the_app_is_handed_ids_since_it_keeps_progress_under_them(catalog, index):
    for shelf in (Shelf(index), Shelf(index, catalog)):
        assert shelf.find("scalar-chain-rule").id == "scalar-chain-rule"
        with pytest.raises(LessonError, match="open it by its id"):
            shelf.find("1")
