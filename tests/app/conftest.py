"""Apps for the TUI tests: a fresh progress store per test, a clock that never drifts.

Pilot tests drive the shipped curriculum. Snapshot tests use frozen copies of two
lessons (snapshot_lessons/), so a curriculum edit does not redraw every baseline.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from tui_helpers import TickingClock

from tutor.app.app import ChainTutorApp
from tutor.lessons.load import load_catalog
from tutor.lessons.model import Catalog
from tutor.progress import ProgressStore


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def store(tmp_path: Path):
    store = ProgressStore.open(tmp_path / "data")
    yield store
    store.close()


AppFactory = Callable[..., ChainTutorApp]


@pytest.fixture
def make_app(catalog: Catalog, store: ProgressStore) -> AppFactory:
    """An app on the shipped curriculum and this test's store; keywords override."""

    def make(**options) -> ChainTutorApp:
        options.setdefault("clock", TickingClock())
        options.setdefault("new_seed", lambda: 42)
        options.setdefault("cursor_blink", False)
        return ChainTutorApp(
            options.pop("catalog", catalog), options.pop("store", store), **options
        )

    return make
