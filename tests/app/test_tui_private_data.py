"""`chain-tutor --data-dir DIR` (the `serve` recipe) keeps DIR, its cache and database private."""

from __future__ import annotations

import os
import stat
from argparse import Namespace

import tutor.app.app as app_module
import tutor.app.launch as launch_module
from tutor.progress import DB_NAME


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_data_folder_and_its_cache_are_private_whatever_the_umask(
    tmp_path, monkeypatch
):
    monkeypatch.delenv("CHAIN_TUTOR_CACHE", raising=False)
    # What the app does after its first paint: write the index cache, make the database.
    monkeypatch.setattr(app_module.ChainTutorApp, "run",
                        lambda self, **kwargs: [job() for job in self.after_paint])
    data = tmp_path / "srv" / "alice"
    previous = os.umask(0o022)
    try:
        args = Namespace(lesson=None, seed=None, lessons=[], data_dir=data)
        assert launch_module.run(args) == 0
    finally:
        os.umask(previous)
    assert (data / "cache" / "lesson-index.json").exists()
    assert {p.name: mode(p) for p in (tmp_path / "srv", data, data / "cache")} == {
        "srv": 0o700, "alice": 0o700, "cache": 0o700,
    }
    assert mode(data / DB_NAME) == 0o600
