"""Where the tutor keeps what it writes: the data folder (progress) and the cache folder.

Its own module because the app asks for the cache folder (the lesson index lives
there) without needing anything else of the store, and one environment variable
($CHAIN_TUTOR_DATA) moves both.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

DB_NAME = "progress.db"
APP_NAME = "chain-tutor"
DATA_ENV = "CHAIN_TUTOR_DATA"
CACHE_ENV = "CHAIN_TUTOR_CACHE"


def default_data_dir() -> Path:
    """Where progress lives: $CHAIN_TUTOR_DATA, else the platform's user data folder."""
    override = os.environ.get(DATA_ENV)
    if override:
        return Path(override).expanduser()
    return platformdirs.user_data_path(APP_NAME)


def default_cache_dir(data_dir: Path | None = None) -> Path:
    """Where caches live: $CHAIN_TUTOR_CACHE; else in the data folder if one was chosen
    (``data_dir``, $CHAIN_TUTOR_DATA), which then holds all the tutor writes; else the
    platform's user cache folder."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    if data_dir is not None or os.environ.get(DATA_ENV):
        return (data_dir or default_data_dir()) / "cache"
    return platformdirs.user_cache_path(APP_NAME)
