"""Every Textual internal the tutor relies on, in one place, each with a test.

Textual is pinned exactly (pyproject.toml), so these hold; when it is upgraded,
tests/app/test_textual_patches.py says which of them moved. Nothing else in tutor/
imports a private Textual module or touches a private attribute of Textual's.

* MarkdownFence: the code-block widget of Markdown, to declare its language
  (widgets/markdown.py: guessing one imports every pygments lexer);
* FooterKey and its ``_disabled`` flag, Footer's ``_bindings_ready`` reactive: to grey
  keys in and out in place instead of recomposing the footer (widgets/footer.py);
  KeyGroup and FooterLabel, which the footer lays out in two rows on narrow screens;
* LinuxDriver and its ``_file``, the stream it writes the screen through: wrapped so
  that a terminal that has gone away is noticed (signals.py);
* TextArea's ``_recompute_cursor_offset``: undoing an edit that added lines (a paste, or
  the network editor's Random) crashes Textual 8.2.8 when the scrollbar changes on the
  way (Textualize/textual#6686); the subclass clamps the location as the proposed fix
  (#6687) does, without touching the selection (screens/network_editor.py);
* Input's and TextArea's ``_restart_blink`` and ``_pause_blink``, which every key, paste,
  focus and click goes through: RestingBlink stops the cursor's blink timer once nobody
  has typed for a while (widgets/answer.py, screens/network_editor.py);
* LinuxDriver's ``run_input_thread``, its ``exit_event`` and ``_debug``, and the key
  parser's ``_timeout_time``: QuietInput reads the terminal in the same way but sleeps
  until a key comes instead of waking ten times a second to look (signals.py);
* a widget's ``_content_height_cache``, ``_layout_updates`` and its ancestors'
  ``_clear_arrangement_cache``: a Static whose new text takes as many rows as the old is
  redrawn without a layout of the whole screen (widgets/steady.py, ``measured_height``
  and ``forget_sizes``); and ``_size_updated``, whose change of a widget's virtual size
  asks for a second layout of the screen after every layout that resized a text
  (``SizedInLayout``).
"""

from __future__ import annotations

import os
import selectors
import threading
import time
from codecs import getincrementaldecoder
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events
from textual.widgets import Footer
from textual.widgets._footer import (  # Footer's own module: nothing more to load
    FooterKey,
    FooterLabel,
    KeyGroup,
)

__all__ = [
    "FooterKey", "FooterLabel", "KeyGroup", "driver_output", "footer_bindings_ready",
    "footer_key_disabled", "linux_driver", "mark_footer_ready", "markdown_fence",
    "set_footer_key_disabled", "QuietInput", "RestingBlink", "SizedInLayout",
    "forget_sizes", "measured_height",
    "UndoSafeTextArea",  # noqa: F822 - made on first use (_LAZY): TextArea loads then
    "wrap_driver_output",
]

if TYPE_CHECKING:
    from textual.timer import Timer


class RestingBlink:
    """A blinking cursor that rests: after IDLE_SECONDS without a key, a paste, a focus or
    a click it shows steady and its blink timer stops, until the next of those.

    A blink redraws the widget and writes to the terminal twice a second for as long as
    the tutor is open: a few ms of CPU a second, a core for a lab of 200 reading students.
    Mixed in before Input or TextArea, whose own handlers all call ``_restart_blink``;
    the rest is one one-shot timer a burst (it looks at the time of the last key when it
    fires, and waits out the rest), not one a key.
    """

    IDLE_SECONDS: ClassVar[float] = 10.0
    now: ClassVar[Callable[[], float]] = staticmethod(time.monotonic)  # tests move it
    _rest: Timer | None = None
    _stirred: float = 0.0

    def _restart_blink(self) -> None:
        super()._restart_blink()  # type: ignore[misc]
        if not self.cursor_blink:  # type: ignore[attr-defined]
            return  # a still cursor (tests, snapshots) needs no rest
        self._stirred = self.now()
        if self._rest is None:
            self._rest = self.set_timer(  # type: ignore[attr-defined]
                self.IDLE_SECONDS, self._rest_blink, name="cursor rest")

    def _rest_blink(self) -> None:
        left = self._stirred + self.IDLE_SECONDS - self.now()
        if left > 0:
            self._rest = self.set_timer(left, self._rest_blink,  # type: ignore[attr-defined]
                                        name="cursor rest")
            return
        self._rest = None
        self._pause_blink(visible=self.has_focus)  # type: ignore[attr-defined]

    def stir(self) -> None:
        """Someone is here: the cursor blinks again (for keys a subclass stops early)."""
        self._restart_blink()

    def hold_still(self, *, show: bool = True) -> None:
        """The cursor holds still until the next key or ``stir``: no blink's frame takes
        CPU while the tutor works on what was sent, or while a verdict is read. With
        ``show=False`` it stays as it is, shown or hidden, so that holding it costs no
        frame of its own (the next one drawn shows it: the verdict's)."""
        if self._rest is not None:
            self._rest.stop()
            self._rest = None
        visible = show or self._cursor_visible  # type: ignore[attr-defined]
        self._pause_blink(visible=visible and self.has_focus)  # type: ignore[attr-defined]

    def _on_paste(self, event: events.Paste) -> None:
        self._restart_blink()  # Input's paste does not restart the blink; the base's runs next


class SizedInLayout:
    """A widget whose resizing by a layout asks for no other layout.

    A layout pass that gives a widget a new size (or a scrolling box new content) also
    sets its virtual size, a reactive that asks for a layout: the whole screen is laid
    out a second time, to the same result, after every layout that changed a text's
    height (a verdict's feedback: 3–6 ms of CPU a verdict). The layout that is running
    has sized the widget already, and what else a new virtual size changes is done
    without it: the scroll bars' sizes and offsets there and then (``_scroll_update``),
    a scroll bar shown or hidden by its own reactive, which asks for its layout.
    Mixed in before Static or a scrolling container.
    """

    def _size_updated(self, size: Any, virtual_size: Any, container_size: Any,
                      layout: bool = True) -> bool:
        return super()._size_updated(  # type: ignore[misc]
            size, virtual_size, container_size, layout=False)


def measured_height(widget: Any) -> tuple[int | None, int]:
    """(width, rows): the rows the widget's content took at the width it was last laid out
    or measured at; width None if it has not been measured since its last change."""
    return widget._content_height_cache


def forget_sizes(widget: Any) -> None:
    """What Textual forgets of a widget's size before a layout it asks for, without asking
    for one: the size it had at other widths (a terminal resized back to one) is worked
    out afresh, with the new content, by whichever layout comes next."""
    from textual.widget import Widget

    widget._layout_updates += 1
    for ancestor in widget.ancestors:
        if not isinstance(ancestor, Widget):
            break
        ancestor._clear_arrangement_cache()
        ancestor._layout_updates += 1
        if not ancestor.styles.auto_dimensions:
            break


def _undo_safe_text_area() -> type:
    """Made when first asked for (module __getattr__): importing TextArea costs the first
    screen ~5 ms, and only the network editor has one."""
    from textual.widgets import TextArea

    class UndoSafeTextArea(RestingBlink, TextArea):
        """A TextArea whose undo of a many-line edit does not crash (textual#6686), and
        whose cursor rests when nobody types (RestingBlink)."""

        def _recompute_cursor_offset(self) -> None:
            # Mid-undo the document is already the shorter one while the cursor still
            # points into the removed lines; the selection itself is restored right after.
            location = self.clamp_visitable(self.cursor_location)
            self._cursor_offset = self.wrapped_document.location_to_offset(location)

    UndoSafeTextArea.__qualname__ = "UndoSafeTextArea"
    return UndoSafeTextArea


_LAZY = {"UndoSafeTextArea": _undo_safe_text_area}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = globals()[name] = _LAZY[name]()
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def markdown_fence() -> type:
    """Markdown's code-block widget. Looked up when asked for: it imports markdown-it,
    which the first screen must not wait for."""
    from textual.widgets._markdown import MarkdownFence

    return MarkdownFence


def footer_key_disabled(key: FooterKey) -> bool:
    return bool(key._disabled)


def set_footer_key_disabled(key: FooterKey, disabled: bool) -> None:
    """The flag the key's rendering reads; its `-disabled` class is the caller's to set."""
    key._disabled = disabled


def mark_footer_ready(footer: Footer) -> None:
    """Show keys from the first frame: Textual waits for a bindings refresh otherwise."""
    footer.set_reactive(Footer._bindings_ready, True)


def footer_bindings_ready(footer: Footer) -> None:
    """What Footer.bindings_changed does first (a reactive: it may recompose)."""
    footer._bindings_ready = True


def driver_output(driver: Any) -> Any:
    return driver._file


def wrap_driver_output(driver: Any, wrap: Any) -> None:
    """LinuxDriver writes everything through ``_file``, from its writer thread."""
    driver._file = wrap(driver._file)


def linux_driver() -> type | None:
    """Textual's Linux terminal driver, or None where there is none (Windows)."""
    try:
        from textual.drivers.linux_driver import LinuxDriver
    except ImportError:
        return None
    return LinuxDriver


class WakingEvent(threading.Event):
    """The driver's exit_event, which also wakes a thread asleep in select (a pipe)."""

    def __init__(self) -> None:
        super().__init__()
        self.wake_read, self.wake_write = os.pipe()

    def set(self) -> None:
        super().set()
        try:
            os.write(self.wake_write, b"\0")
        except OSError:  # closed: nobody is asleep to wake
            pass

    def drain(self) -> None:
        os.read(self.wake_read, 4096)


class QuietInput:
    """Put in front of LinuxDriver: its input thread sleeps until a key comes.

    Textual's thread waits for input at most 0.1 s at a time, so that it can see the
    app's exit and an Esc that no sequence follows: ten wake-ups a second, about 1 ms
    of CPU a second for a tutor nobody types into, as much as all the rest of an idle
    session. Here it waits without a limit, woken by the exit (a pipe) or, only while
    the parser holds the start of a sequence, at the moment that sequence times out.
    Input that ends (end of file) ends the thread: select would report it at once,
    forever, and the thread would spin.
    """

    exit_event: threading.Event
    fileno: int

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.exit_event = WakingEvent()

    def run_input_thread(self) -> None:
        from textual._parser import ParseError
        from textual._time import get_time
        from textual._xterm_parser import XTermParser

        exit_event = self.exit_event
        assert isinstance(exit_event, WakingEvent)
        parser = XTermParser(self._debug)  # type: ignore[attr-defined]
        decode = getincrementaldecoder("utf-8")().decode
        selector = selectors.SelectSelector()  # as Textual's (macOS terminals and poll)
        selector.register(self.fileno, selectors.EVENT_READ)
        selector.register(exit_event.wake_read, selectors.EVENT_READ)
        try:
            while not exit_event.is_set():
                due = parser._timeout_time
                ready = selector.select(None if due is None else max(0.0, due - get_time()))
                for key, _mask in ready:
                    if key.fd == exit_event.wake_read:
                        exit_event.drain()
                        continue
                    raw = os.read(self.fileno, 4096)
                    if not raw:
                        return  # the input has closed
                    for event in parser.feed(decode(raw)):
                        self.process_message(event)  # type: ignore[attr-defined]
                for event in parser.tick():
                    self.process_message(event)  # type: ignore[attr-defined]
        finally:
            selector.close()
            try:
                for _event in parser.feed(""):  # as Textual's: end the parse
                    pass
            except (EOFError, ParseError):
                pass
