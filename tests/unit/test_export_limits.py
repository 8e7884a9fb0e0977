"""An import holds only what the tutor itself could have written: its own input limits.

Before, `progress --import` took a 60 MB answer (the TUI then grew to 2.7 GB opening
the lesson), 550,000 attempts, negative times (the report said "-30s"), hints = 2**62
and a 1,000,000-character lesson id. A file over any limit is refused whole, with the
reason and exit 2; nothing of it is imported.
"""

from __future__ import annotations

import json

import pytest

from tutor.cli import main
from tutor.engine.parser import MAX_LENGTH
from tutor.progress import (
    DB_NAME,
    EXPORT_FORMAT,
    MAX_DIAGNOSIS_CODES,
    MAX_ELAPSED,
    MAX_HINTS,
    MAX_ID_LENGTH,
    MAX_IMPORT_ATTEMPTS,
    MAX_TIME,
    ProgressStore,
    loads_export,
)

LESSON = "two-layer-sigmoid"


def attempt(**change) -> dict:
    return {"lesson_id": LESSON, "step_id": "df_dh2", "seed": 3, "answer": "W3",
            "verdict": "correct", "diagnosis": [], "elapsed": 1.5, "at": 1.7e9, **change}


def export(attempts=None, **lesson_change) -> dict:
    lesson = {"lesson_id": LESSON, "seed": 3, "started": 1.7e9, "finished": None,
              "steps": [{"step_id": "df_dh2", "status": "solved", "hints": 1}]}
    lesson.update(lesson_change)
    return {"format": EXPORT_FORMAT, "version": 1, "student": "alice",
            "exported_at": "2025-01-01T00:00:00+00:00", "lessons": [lesson],
            "attempts": [attempt()] if attempts is None else attempts}


def step(**change) -> list[dict]:
    return [{"step_id": "df_dh2", "status": "solved", "hints": 1, **change}]


OVER_THE_LIMITS = {
    "a 60 MB answer": (export([attempt(answer="x" * 60_000_000)]), "answer"),
    "an answer one over the parser's limit": (
        export([attempt(answer="x" * (MAX_LENGTH + 1))]), f"{MAX_LENGTH:,}"),
    "550,000 attempts": (export([{"lesson_id": "l", "step_id": "s", "seed": 1, "answer": "",
                                  "verdict": "invalid", "elapsed": 0, "at": i}
                                 for i in range(550_000)]), f"{MAX_IMPORT_ATTEMPTS:,}"),
    "a negative time spent": (export([attempt(elapsed=-30.0)]), "elapsed"),
    "a week and more on one answer": (export([attempt(elapsed=MAX_ELAPSED + 1)]), "elapsed"),
    "an attempt before 1970": (export([attempt(at=-1.0)]), "at"),
    "an attempt after 2106": (export([attempt(at=MAX_TIME + 1)]), "at"),
    "a lesson started before 1970": (export(started=-5.0), "started"),
    "hints = 2**62": (export(steps=step(hints=2**62)), "hints"),
    "a 1,000,000-character lesson id": (
        export([attempt(lesson_id="L" * 1_000_000)]), "lesson_id"),
    "a long lesson id on a lesson": (export(lesson_id="L" * (MAX_ID_LENGTH + 1)), "lesson_id"),
    "a long step id": (export(steps=step(step_id="s" * (MAX_ID_LENGTH + 1))), "step_id"),
    "a control character in an id": (export([attempt(step_id="df\x1b[2J")]), "step_id"),
    "too many diagnosis codes": (
        export([attempt(diagnosis=["shape"] * (MAX_DIAGNOSIS_CODES + 1))]), "diagnosis"),
    "a long diagnosis code": (export([attempt(diagnosis=["c" * (MAX_ID_LENGTH + 1)])]),
                              "diagnosis"),
    "a long student name": (dict(export(), student="s" * 1000), "student"),
}


@pytest.mark.parametrize(("content", "reason"), OVER_THE_LIMITS.values(),
                         ids=OVER_THE_LIMITS.keys())
def test_a_file_over_the_limits_is_refused_whole_with_the_reason(tmp_path, capsys, content,
                                                                  reason):
    data = tmp_path / "data"
    with ProgressStore.open(data) as store:
        store.record_attempt("linear-layer", "df_dz", 1, "a", "incorrect", [], 2.0)
        before = store.snapshot()
    content["attempts"].append(attempt(answer="a good one"))  # nothing of it goes in
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(content, separators=(",", ":")))  # as small as it gets
    assert path.stat().st_size < 64 * 2**20  # under the size limit, which would refuse it
    assert main(["progress", "--data-dir", str(data), "--import", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"chain-tutor: cannot import {path}: ") and reason in err, err
    assert len(err) < 400  # the reason, not the offending value
    with ProgressStore.open(data) as store:
        assert store.snapshot() == before


def test_a_file_at_the_limits_is_imported(tmp_path, capsys):
    at_limits = export(
        [attempt(answer="x" * MAX_LENGTH, elapsed=MAX_ELAPSED, at=MAX_TIME, verdict="invalid",
                 lesson_id="L" * MAX_ID_LENGTH, diagnosis=["c" * MAX_ID_LENGTH] *
                 MAX_DIAGNOSIS_CODES),
         attempt(elapsed=0.0, at=0.0)],
        steps=step(hints=MAX_HINTS, step_id="s" * MAX_ID_LENGTH),
    )
    path = tmp_path / "fine.json"
    path.write_text(json.dumps(at_limits))
    assert main(["progress", "--data-dir", str(tmp_path / "data"), "--import", str(path)]) == 0
    assert "Imported 2 attempt(s)" in capsys.readouterr().out


def test_the_most_attempts_a_file_may_hold_are_accepted():
    many = export([attempt(at=1.7e9 + i) for i in range(MAX_IMPORT_ATTEMPTS)])
    assert len(loads_export(json.dumps(many).encode()).attempts) == MAX_IMPORT_ATTEMPTS


def test_what_the_tutor_records_stays_within_the_limits_so_its_export_imports(tmp_path,
                                                                               capsys):
    """An over-long answer (invalid) keeps its first MAX_LENGTH characters; a step left
    open for a month counts MAX_ELAPSED; a clock set back counts 0."""
    home = tmp_path / "home"
    with ProgressStore.open(home) as store:
        store.record_attempt(LESSON, "df_dh2", 1, "W3 + " * 1000, "invalid", [], 2.0)
        store.record_attempt(LESSON, "df_dh2", 1, "W3", "incorrect", [], 40 * 86400.0)
        store.record_attempt(LESSON, "df_dh2", 1, "W3", "correct", [], -3.0)
        for _ in range(MAX_HINTS + 5):
            store.record_hint(LESSON, "dh2_dz2")
        attempts = store.attempts(LESSON)
        assert [len(a.answer) for a in attempts] == [MAX_LENGTH, 2, 2]
        assert [a.elapsed for a in attempts] == [2.0, MAX_ELAPSED, 0.0]
        assert store.lesson(LESSON).steps["dh2_dz2"].hints == MAX_HINTS
    exported = tmp_path / "export.json"
    assert main(["progress", "--data-dir", str(home), "--export", str(exported)]) == 0
    assert main(["progress", "--data-dir", str(tmp_path / "lab"), "--import",
                 str(exported)]) == 0
    assert (tmp_path / "lab" / DB_NAME).exists()
    assert "Imported 3 attempt(s)" in capsys.readouterr().out

