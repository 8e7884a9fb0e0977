"""How well a class did on one step, as a band of the heat map: the share of the whole
class who solved it (every student of the report, and the roster's who never started),
so a step few have reached reads low ("○ 3/10"), not full ("● 3/3").

One definition for every heat map — the report's screen (tutor.app.screens.report) and
its web page (tutor.report.html) — so a cell reads the same wherever it is drawn. Each
band has a glyph as well as a colour, so the map means the same without colour.
"""

from __future__ import annotations

from dataclasses import dataclass

from tutor.report.build import StepReport


@dataclass(frozen=True)
class Band:
    name: str  # a cell's CSS class is "-" + name on the screen, "band-" + name on the page
    glyph: str
    floor: float  # the least share of solvers in this band


BANDS = (Band("high", "●", 0.75), Band("mid", "◐", 0.40), Band("low", "○", 0.0))
NO_ANSWERS = Band("none", "·", 0.0)


def band_of(step: StepReport, class_size: int) -> Band:
    """The band of the share of the class (``class_size`` students) who solved the step."""
    if step.students == 0:
        return NO_ANSWERS
    share = step.solved / max(class_size, step.students, 1)
    return next(band for band in BANDS if share >= band.floor)


def counts_text(step: StepReport, class_size: int) -> str:
    """"solved/class", or "–" when nobody has answered the step."""
    return "–" if step.students == 0 else f"{step.solved}/{max(class_size, step.students)}"


def band_range(band: Band) -> str:
    """What shares a band holds, as a legend says it: "≥ 75%", "< 40%"."""
    if band is NO_ANSWERS:
        return "nobody yet"
    if band.floor > 0:
        return f"≥ {band.floor:.0%}"
    higher = BANDS[BANDS.index(band) - 1]
    return f"< {higher.floor:.0%}"
