"""The knowledge-tracing parameters a course chooses: a file, validated, with one-line errors.

A TOML file (or the same as JSON, for a file ending in .json): a ``[default]`` table
and a ``[skills.NAME]`` table per skill, each giving any of ``prior``, ``learn``,
``slip`` and ``guess``. What a skill's table leaves out comes from ``[default]``, and
what that leaves out from tutor.progress.tracing.DEFAULT (OATutor's 0.1 each)::

    [default]
    learn = 0.2

    [skills.layout]   # transposes are easy to slip on, whatever one knows
    slip = 0.2
    guess = 0.05

Each value is a probability strictly between 0 and 1, and slip + guess < 1 (else a
right answer would be evidence of not knowing). Named by ``--skill-params FILE`` or
$CHAIN_TUTOR_SKILL_PARAMS.

A file ending in .csv is pyBKT's parameters as ``model.params().to_csv(FILE)`` writes
them (columns skill, param, class, value; params prior, learns, slips, guesses,
forgets), so that parameters fitted on `report --bkt-log` come back as they are: each
skill's four, with no forgetting (forgets must be 0) and one class (``default``).
"""

from __future__ import annotations

import json
import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tutor.lessons.skills import SKILLS
from tutor.progress.tracing import DEFAULT, Params

SKILL_PARAMS_ENV = "CHAIN_TUTOR_SKILL_PARAMS"
NAMES = Params._fields  # prior, learn, slip, guess
MAX_BYTES = 1_000_000  # a parameters file is a few hundred bytes; more is not one


class SkillParamsError(ValueError):
    """A parameters file that cannot be used; the message is one line for a person."""


@dataclass(frozen=True)
class SkillParams:
    """The parameters of every skill: its own where the file gives them, else the
    default. Called with a skill's name, gives its Params (tracing's ``params_for``)."""

    default: Params = DEFAULT
    skills: Mapping[str, Params] = field(default_factory=dict)
    source: str | None = None  # the file they were read from; None: the built-in default

    def __call__(self, skill: str) -> Params:
        return self.skills.get(skill, self.default)


def parse_skill_params(data: object, where: str = "the parameters") -> SkillParams:
    """Parameters from a file's parsed content; SkillParamsError (``where``: …) if wrong."""
    if not isinstance(data, dict):
        raise SkillParamsError(f"{where}: expected a table with [default] and [skills.NAME]")
    unknown = sorted(set(data) - {"default", "skills"})
    if unknown:
        raise SkillParamsError(f"{where}: {unknown[0]!r} is neither [default] nor "
                               "[skills.NAME]")
    default = _params(data.get("default", {}), DEFAULT, f"{where}: [default]")
    skills_table = data.get("skills", {})
    if not isinstance(skills_table, dict):
        raise SkillParamsError(f"{where}: skills must be a table of [skills.NAME] tables")
    skills = {}
    for name, values in skills_table.items():
        if name not in SKILLS:
            raise SkillParamsError(f"{where}: {name!r} is not a skill; the skills are: "
                                   + ", ".join(SKILLS))
        skills[name] = _params(values, default, f"{where}: [skills.{name}]")
    return SkillParams(default, skills, where)


def _params(values: object, base: Params, where: str) -> Params:
    if not isinstance(values, dict):
        raise SkillParamsError(f"{where} must be a table of {', '.join(NAMES)}")
    unknown = sorted(set(values) - set(NAMES))
    if unknown:
        raise SkillParamsError(f"{where}: unknown key {unknown[0]!r} (the keys are "
                               f"{', '.join(NAMES)})")
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not (
                math.isfinite(value) and 0 < value < 1):
            raise SkillParamsError(f"{where}: {name} = {json.dumps(value, default=str)} is "
                                   "not a probability strictly between 0 and 1")
    params = base._replace(**{name: float(value) for name, value in values.items()})
    if params.slip + params.guess >= 1:
        raise SkillParamsError(f"{where}: slip + guess = {params.slip + params.guess:g}, "
                               "must be below 1 (else a right answer says the skill is "
                               "not known)")
    return params


def read_skill_params(path: Path | str) -> SkillParams:
    """The parameters in the file at ``path`` (TOML; JSON if it ends in .json)."""
    path = Path(path)
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_BYTES + 1)
    except OSError as error:
        raise SkillParamsError(f"cannot read {path}: {error.strerror or error}") from None
    if len(raw) > MAX_BYTES:
        raise SkillParamsError(f"{path}: larger than {MAX_BYTES:,} bytes: not a parameters "
                               "file")
    suffix = path.suffix.lower()
    try:
        text = raw.decode("utf-8-sig")
        if suffix == ".csv":
            data = _from_pybkt(text, path)
        else:
            data = json.loads(text) if suffix == ".json" else tomllib.loads(text)
    except UnicodeDecodeError:
        raise SkillParamsError(f"{path}: not UTF-8 text") from None
    except (ValueError, RecursionError) as error:  # TOMLDecodeError, JSONDecodeError
        if isinstance(error, SkillParamsError):
            raise
        kind = "JSON" if suffix == ".json" else "TOML"
        raise SkillParamsError(f"{path}: not valid {kind}: "
                               f"{str(error).splitlines()[0]}") from None
    return parse_skill_params(data, str(path))


# pyBKT's names of the parameters (Model.params()), and ours.
PYBKT_NAMES = {"prior": "prior", "learns": "learn", "slips": "slip", "guesses": "guess"}
PYBKT_COLUMNS = ["skill", "param", "class", "value"]


def _from_pybkt(text: str, path: Path) -> dict:
    """pyBKT's parameters CSV as a parameters file's content (a [skills.NAME] each)."""
    import csv

    rows = list(csv.reader(text.splitlines()))
    if not rows or [cell.strip() for cell in rows[0]] != PYBKT_COLUMNS:
        raise SkillParamsError(f"{path}: expected pyBKT's parameters, the columns "
                               f"{','.join(PYBKT_COLUMNS)} (model.params().to_csv)")
    skills: dict[str, dict[str, float]] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != len(PYBKT_COLUMNS):
            raise SkillParamsError(f"{path}:{number}: expected {len(PYBKT_COLUMNS)} "
                                   f"values, found {len(row)}")
        skill, name, kind, value = (cell.strip() for cell in row)
        try:
            number_value = float(value)
        except ValueError:
            raise SkillParamsError(f"{path}:{number}: {value!r} is not a number") from None
        if kind != "default":
            raise SkillParamsError(f"{path}:{number}: class {kind!r}: the tutor traces one "
                                   "class per skill (fit without multigs/multilearn)")
        if name == "forgets":
            if number_value > 1e-9:
                raise SkillParamsError(f"{path}:{number}: forgets = {number_value:g}: the "
                                       "tutor's tracing has no forgetting (fit with "
                                       "forgets=False)")
            continue
        if name not in PYBKT_NAMES:
            raise SkillParamsError(f"{path}:{number}: unknown parameter {name!r} (pyBKT's "
                                   f"are {', '.join(PYBKT_NAMES)}, forgets)")
        skills.setdefault(skill, {})[PYBKT_NAMES[name]] = number_value
    return {"skills": skills}


def chosen_skill_params(path: Path | str | None = None) -> SkillParams:
    """The parameters asked for: the file named (the flag), else $CHAIN_TUTOR_SKILL_PARAMS,
    else the default; SkillParamsError if the file named cannot be used."""
    if path is None:
        path = os.environ.get(SKILL_PARAMS_ENV, "").strip() or None
    return SkillParams() if path is None else read_skill_params(path)
