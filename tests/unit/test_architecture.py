"""The core (engine, lessons, progress, the CLI's screenless commands) works without Textual."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ["tutor.engine", "tutor.lessons", "tutor.markup", "tutor.progress", "tutor.cli"]


def test_core_modules_import_neither_textual_nor_sympy():
    probe = (
        "import sys\n"
        + "".join(f"import {module}\n" for module in CORE)
        + "print(sorted(m for m in ('textual', 'sympy') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            cwd=ROOT, check=True)
    assert result.stdout.strip() == "[]"


def test_no_core_source_file_mentions_textual():
    core_files = [*(ROOT / "tutor" / "engine").glob("*.py"), ROOT / "tutor" / "lessons.py",
                  ROOT / "tutor" / "markup.py",
                  ROOT / "tutor" / "progress.py"]
    offenders = [p.name for p in core_files if "textual" in p.read_text(encoding="utf-8")]
    assert offenders == []
