"""The curriculum's order, without a screen: which lesson a summary leads on to."""

from __future__ import annotations

from tutor.app.shelf import Shelf
from tutor.lessons.index import read_index


def test_each_lesson_leads_to_the_next_in_curriculum_order_and_the_last_to_none():
    shelf = Shelf(read_index())
    ids = [lesson.id for lesson in shelf.entries()]
    assert [getattr(shelf.after(i), "id", None) for i in ids] == ids[1:] + [None]
    assert shelf.after("no-such-lesson") is None
