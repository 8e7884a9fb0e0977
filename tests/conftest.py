"""Settings for every test folder.

Property tests explore new examples on every local run; under CI (CI=true) they draw
the same examples each time (derandomize), so that a run that lands is one that can be
repeated, and what a local run finds is fixed and pinned by its own test first.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
    settings.load_profile("ci")
