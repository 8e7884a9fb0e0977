"""An import holds only what the tutor itself could have written: its own input limits.

Before, `progress --import` took a 60 MB answer (the TUI then grew to 2.7 GB opening
the lesson), 550,000 attempts, negative times (the report said "-30s"), hints = 2**62
and a 1,000,000-character lesson id. An entry over any limit is left out, with the
reason on stderr; the rest of the file is imported (exit 0), so one bad entry never
costs a student the rest of a hand-in.
"""

from __future__ import annotations

import json

import pytest

from tutor.cli.command import main
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
    "a control character in an id": (export([attempt(step_id="df\x1b[2J")]),
                                     "step_id holds a control character (U+001B)"),
    "a no-break space in an id": (export([attempt(step_id="df\u00a0dh2")]),
                                  "step_id holds a no-break space (U+00A0)"),
    "too many diagnosis codes": (
        export([attempt(diagnosis=["shape"] * (MAX_DIAGNOSIS_CODES + 1))]), "diagnosis"),
    "a long diagnosis code": (export([attempt(diagnosis=["c" * (MAX_ID_LENGTH + 1)])]),
                              "diagnosis"),
    # Each said in words a person reads right (F7): the bound exactly, NaN as no number,
    # a union of types in words.
    "a seed one past int64": (export([attempt(seed=2**63)]),
                              "attempts[0].seed must be at most 9,223,372,036,854,775,807"),
    "a seed one below int64": (export([attempt(seed=-2**63 - 1)]),
                               "attempts[0].seed must be at least -9,223,372,036,854,775,808"),
    "a time spent that is NaN": (export([attempt(elapsed=float("nan"))]),
                                 "attempts[0].elapsed is not a number"),
    "a lesson seed that is text": (export(seed="abc"),
                                   "lessons[0].seed must be a whole number or null"),
    "an attempt seed that is text": (export([attempt(seed="abc")]),
                                     "attempts[0].seed must be a whole number"),
    "a long student name": (dict(export(), student="s" * 1000),
                            "the student name holds more than 256 characters"),
}


@pytest.mark.parametrize(("content", "reason"), OVER_THE_LIMITS.values(),
                         ids=OVER_THE_LIMITS.keys())
def test_an_entry_over_the_limits_is_left_out_with_the_reason_and_the_rest_imported(
        tmp_path, capsys, content, reason):
    data = tmp_path / "data"
    content["attempts"].append(attempt(answer="a good one", at=1.8e9))
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(content, separators=(",", ":")))  # as small as it gets
    assert path.stat().st_size < 64 * 2**20  # under the size limit, which would refuse it
    assert main(["progress", "--data-dir", str(data), "--import", str(path)]) == 0
    err = capsys.readouterr().err
    [said] = [line for line in err.splitlines() if "left out" in line]
    assert said.startswith(f"chain-tutor: left out of {path}: ") and reason in said, err
    assert len(said) < 400  # the reason, not the offending value
    with ProgressStore.open(data) as store:
        kept = store.snapshot()
    assert "a good one" in [a.answer for a in kept.attempts]
    assert all(len(a.answer) <= MAX_LENGTH and 0 <= a.elapsed <= MAX_ELAPSED
               and 0 <= a.at <= MAX_TIME and len(a.lesson_id) <= MAX_ID_LENGTH
               and len(a.diagnosis) <= MAX_DIAGNOSIS_CODES for a in kept.attempts)
    assert all(step.hints <= MAX_HINTS and len(step.step_id) <= MAX_ID_LENGTH
               for lesson in kept.lessons for step in lesson.steps)


def test_attempts_past_the_limit_are_left_out_and_counted(monkeypatch):
    from tutor.progress import export as export_module

    monkeypatch.setattr(export_module, "MAX_IMPORT_ATTEMPTS", 10)
    snapshot = loads_export(json.dumps(export([attempt(at=1.7e9 + i)
                                               for i in range(15)])).encode())
    assert len(snapshot.attempts) == 10
    assert snapshot.skipped == ("attempts holds 15 entries: the 5 past the limit of 10 were "
                                "left out",)


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

