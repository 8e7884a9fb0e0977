"""Each Textual internal the tutor relies on (tutor/app/textual_patches.py) is still there
and still does what the tutor needs: a Textual upgrade that moves one fails here first."""

from __future__ import annotations

import io
import sys

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Footer, Static

from tutor.app import textual_patches as patches


def test_markdown_fence_highlights_with_a_declared_language():
    fence = patches.markdown_fence()
    assert hasattr(fence, "highlight")
    assert "z1 = W1 @ x" in str(fence.highlight("z1 = W1 @ x", "text"))


class FooterApp(App):
    BINDINGS = [("f2", "hint", "Hint")]

    def compose(self) -> ComposeResult:
        yield Footer()

    def action_hint(self) -> None:
        pass


async def test_footer_keys_carry_a_disabled_flag_that_can_be_set_in_place():
    app = FooterApp()
    async with app.run_test() as pilot:
        await pilot.pause()
        footer = app.query_one(Footer)
        patches.mark_footer_ready(footer)
        patches.footer_bindings_ready(footer)
        await pilot.pause()
        keys = list(footer.query(patches.FooterKey))
        assert keys, "the footer shows its keys as FooterKey widgets"
        key = keys[0]
        assert patches.footer_key_disabled(key) is False
        patches.set_footer_key_disabled(key, True)
        assert patches.footer_key_disabled(key) is True


STEP = Binding.Group("Step")


class GroupedFooterApp(App):
    BINDINGS = [Binding("pageup", "previous", "Prev", group=STEP),
                Binding("pagedown", "next", "Next", group=STEP)]

    def compose(self) -> ComposeResult:
        yield Footer()

    def action_previous(self) -> None:
        pass

    def action_next(self) -> None:
        pass


async def test_a_binding_group_is_a_key_group_with_a_footer_label():
    app = GroupedFooterApp()
    async with app.run_test() as pilot:
        await pilot.pause()
        footer = app.query_one(Footer)
        patches.mark_footer_ready(footer)
        patches.footer_bindings_ready(footer)
        await pilot.pause()
        (group,) = footer.query(patches.KeyGroup)
        assert [key.key for key in group.query(patches.FooterKey)] == ["pageup", "pagedown"]
        assert str(footer.query_one(patches.FooterLabel).content) == "Step"


@pytest.mark.skipif(sys.platform == "win32", reason="no Linux driver")
async def test_the_linux_driver_writes_through_a_file_that_can_be_wrapped():
    driver_class = patches.linux_driver()
    assert driver_class is not None
    driver = driver_class(App(), debug=False, mouse=False, size=(80, 24))
    original = patches.driver_output(driver)
    assert hasattr(original, "write") and hasattr(original, "fileno")

    class Wrapped(io.StringIO):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

    patches.wrap_driver_output(driver, Wrapped)
    assert patches.driver_output(driver).inner is original


def test_no_other_module_of_the_tutor_touches_textual_internals():
    from pathlib import Path

    root = Path(patches.__file__).resolve().parents[1]
    offenders = []
    for path in root.rglob("*.py"):
        if path.name == "textual_patches.py":
            continue
        text = path.read_text(encoding="utf-8")
        for needle in ("textual.widgets._", "._disabled", "._bindings_ready",
                       "linux_driver import"):
            if needle in text:
                offenders.append(f"{path.relative_to(root.parent)}: {needle}")
    assert offenders == []


class UndoApp(App):
    def __init__(self, area_type: type) -> None:
        super().__init__()
        self.area_type = area_type

    def compose(self) -> ComposeResult:
        yield self.area_type("ab\n", show_line_numbers=True, soft_wrap=False)


@pytest.mark.parametrize("safe", [False, True])
async def test_undoing_a_many_line_edit_crashes_textual_and_not_the_patched_text_area(safe):
    """textual#6686: when this starts passing unpatched, drop UndoSafeTextArea."""
    from textual.widgets import TextArea

    app = UndoApp(patches.UndoSafeTextArea if safe else TextArea)
    many = "".join(f"{n}\n" for n in range(20))
    crashed = False
    try:
        async with app.run_test(size=(60, 10)) as pilot:
            area = app.query_one(TextArea)
            area.focus()
            area.move_cursor(area.document.end)  # the cursor ends up in the added lines
            area.replace(many, area.document.start, area.document.end)
            await pilot.pause()
            await pilot.press("ctrl+z")
            await pilot.pause()
            assert area.text == "ab\n"
    except ValueError as error:
        crashed = "out of bounds" in str(error)
    assert crashed is not safe


class Sized(patches.SizedInLayout, Static):
    pass


class TextApp(App):
    def __init__(self, widget: Static, hidden: bool = False) -> None:
        super().__init__()
        self.widget, self.hidden = widget, hidden

    def compose(self) -> ComposeResult:
        with Vertical(id="panel"):
            yield self.widget
        yield Static("below", id="below")

    def on_mount(self) -> None:
        self.query_one("#panel").display = not self.hidden


def count_layouts(monkeypatch) -> list[int]:
    from textual.screen import Screen

    calls: list[int] = []
    original = Screen._refresh_layout

    def counted(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Screen, "_refresh_layout", counted)
    return calls


@pytest.mark.parametrize("sized", [False, True])
async def test_a_text_resized_by_a_layout_asks_for_no_second_one_when_sized_in_layout(
        sized, monkeypatch):
    widget = Sized("one") if sized else Static("one")
    app = TextApp(widget)
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        layouts = count_layouts(monkeypatch)
        widget.update("one\ntwo\nthree")
        for _ in range(4):
            await pilot.pause()
        assert widget.size.height == 3
        # Textual's own widget asks again through its virtual size; nothing changes then.
        assert len(layouts) == (1 if sized else 2)


async def test_a_text_measured_at_its_width_and_its_sizes_forgotten_without_a_layout(
        monkeypatch):
    widget = Sized("a few words that wrap")  # 2 rows at 20 columns, 1 at 40
    app = TextApp(widget)
    async with app.run_test(size=(20, 12)) as pilot:
        await pilot.pause()
        assert patches.measured_height(widget) == (20, 2)
        await pilot.resize_terminal(40, 12)
        await pilot.pause()
        assert patches.measured_height(widget) == (40, 1)
        # The same rows at 40 (one), more at 20 (three): updated without a layout, its
        # sizes forgotten, and laid out afresh when the terminal is narrow again (the
        # size Textual knew for 20 columns was the old text's).
        layouts = count_layouts(monkeypatch)
        widget.update("aaaaaaaaaaa bbbbbbbbbbb ccccccccccc", layout=False)
        patches.forget_sizes(widget)
        await pilot.pause()
        assert layouts == []
        await pilot.resize_terminal(20, 12)
        await pilot.pause()
        await pilot.pause()
        assert widget.size.height == 3 and patches.measured_height(widget) == (20, 3)


async def test_a_text_in_a_closed_panel_is_sized_with_its_new_content_when_it_opens():
    widget = Sized("one")
    app = TextApp(widget, hidden=True)
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        assert not widget.region  # not laid out while its panel is closed
        widget.update("one\ntwo\nthree", layout=False)
        patches.forget_sizes(widget)
        app.query_one("#panel").display = True
        await pilot.pause()
        await pilot.pause()
        assert widget.size.height == 3


class SizedScroll(patches.SizedInLayout, VerticalScroll):
    pass


class ScrollApp(App):
    def __init__(self, box: VerticalScroll) -> None:
        super().__init__()
        self.box = box

    def compose(self) -> ComposeResult:
        with self.box:
            yield Sized("one", id="text")
        yield Static("below", id="below")

    def on_mount(self) -> None:
        self.box.styles.height = 5


def lines(count: int) -> str:
    return "\n".join(f"line {n}" for n in range(count))


@pytest.mark.parametrize("sized", [False, True])
async def test_a_scrolling_box_sized_in_layout_still_shows_its_scroll_bar_and_scrolls(
        sized, monkeypatch):
    box = SizedScroll() if sized else VerticalScroll()
    app = ScrollApp(box)
    text = app.query_one  # looked up below, once mounted
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        assert not box.show_vertical_scrollbar
        text("#text", Sized).update(lines(8))
        for _ in range(4):
            await pilot.pause()
        assert box.show_vertical_scrollbar and box.max_scroll_y == 3
        # More to scroll through: the box's new virtual size asks for a second layout
        # in Textual's box, none in this one.
        layouts = count_layouts(monkeypatch)
        text("#text", Sized).update(lines(20))
        for _ in range(4):
            await pilot.pause()
        assert box.show_vertical_scrollbar and box.virtual_size.height == 20
        assert box.max_scroll_y == 15
        assert len(layouts) == (1 if sized else 2)
        box.scroll_end(animate=False)
        await pilot.pause()
        assert box.scroll_y == 15
        # The text, narrower beside the bar, is laid out at that width.
        assert text("#text", Sized).size.width == box.scrollable_content_region.width
