"""Mastery per student and skill (`report --skills`), and the observations as pyBKT reads
them (`report --bkt-log`), from the same records as the rest of the report.

Each student's records (a database and exports of it are one student, no attempt
counted twice: tutor.report.build.combined_record) are traced as the student's own
`chain-tutor skills` traces them (tutor.progress.tracing), with the course's parameters.
The log has one row per observation per skill it concerns, in time order across the
class, in pyBKT's default columns (order_id, skill_name, correct, user_id), so that a
course can fit its own parameters (pyBKT's Model.fit) and hand them back in a
parameters file (tutor.progress.skill_params). A pure function of the records, but for
the writing of the log.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tutor.lessons.skills import SKILLS, blamed
from tutor.markup import SHOWN, printable
from tutor.progress.records import Attempt, Reveal
from tutor.progress.skill_params import SkillParams
from tutor.progress.tracing import MASTERY, Blame, SkillState, observations, trace
from tutor.report.build import Source, combined_record
from tutor.report.formats import plural
from tutor.report.roster import RosterEntry

SKILLS_FORMAT = "chain-tutor-skills"
BKT_COLUMNS = ("order_id", "skill_name", "correct", "user_id")  # pyBKT's defaults
# Column heads of the text table: a word each, the legend under it says which skill.
SHORT = {"scalar-derivative": "scalar", "linear-jacobian": "linear",
         "elementwise-jacobian": "elemwise", "chain-product": "chain",
         "weight-gradient": "weight", "loss-gradient": "loss", "softmax-jacobian": "softmax",
         "batch-sum": "batch", "sum-of-paths": "paths", "product-rule": "product",
         "layout": "layout"}

StepSkills = Mapping[tuple[str, str], tuple[str, ...]]


@dataclass(frozen=True)
class StudentSkills:
    login: str
    name: str | None  # from the roster; None without one
    skills: dict[str, SkillState]  # every skill, in SKILLS' order


def student_events(sources: Sequence[Source]) -> dict[str, list[Attempt | Reveal]]:
    """Each student's attempts and reveals, none counted twice (a database and an export
    of it hold the same ones)."""
    by_student: dict[str, list] = defaultdict(list)
    for source in sources:
        by_student[source.student].append(source.snapshot)
    events = {}
    for login, snapshots in by_student.items():
        _, attempts = combined_record(snapshots)
        reveals = dict.fromkeys(reveal for snapshot in snapshots for reveal in snapshot.reveals)
        events[login] = [*attempts, *reveals]
    return events


def skill_rows(sources: Sequence[Source], steps: StepSkills, params: SkillParams,
               roster: Sequence[RosterEntry] | None = None) -> list[StudentSkills]:
    """One row per student: the roster's first, in its order (at the priors if nothing of
    theirs was found), then the others by login."""
    events = student_events(sources)
    listed = list(roster or ())
    on_roster = {entry.login for entry in listed}
    order = [(entry.login, entry.name) for entry in listed]
    order += [(login, None) for login in sorted(events) if login not in on_roster]
    rows = []
    for login, name in order:
        states = trace(events.get(login, ()), steps, params, skills=SKILLS)
        rows.append(StudentSkills(login, name, {skill: states[skill] for skill in SKILLS}))
    return rows


def _mastery(value: float) -> float:
    return round(value, 4)


def skills_json(rows: Sequence[StudentSkills], params: SkillParams) -> dict:
    return {
        "format": SKILLS_FORMAT,
        "version": 1,
        "mastery_threshold": MASTERY,
        "params_file": params.source,
        "params": {skill: dict(params(skill)._asdict()) for skill in SKILLS},
        "students": [
            {"login": row.login, "name": row.name,
             "skills": [{"skill": skill, "mastery": _mastery(state.mastery),
                         "observations": state.observations}
                        for skill, state in row.skills.items()]}
            for row in rows
        ],
    }


SKILL_CSV_COLUMNS = ("login", "name", "skill", "mastery", "observations", "mastered")


def skills_csv(rows: Sequence[StudentSkills]) -> str:
    """One row per student and skill (a spreadsheet pivots it either way)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SKILL_CSV_COLUMNS)
    for row in rows:
        for skill, state in row.skills.items():
            writer.writerow([printable(row.login, SHOWN), printable(row.name or "", SHOWN),
                             skill, _mastery(state.mastery), state.observations,
                             int(state.mastery >= MASTERY)])
    return out.getvalue()


def cell(state: SkillState) -> str:
    """A table's cell: the mastery to two places, * when mastered, – when never seen."""
    if not state.observations:
        return "–"
    return f"{state.mastery:.2f}" + ("*" if state.mastery >= MASTERY else "")


def skills_text(rows: Sequence[StudentSkills], params: SkillParams) -> str:
    header = ("login", *(SHORT[skill] for skill in SKILLS))
    table = [header]
    table += [(printable(row.login, SHOWN), *(cell(state) for state in row.skills.values()))
              for row in rows]
    mastered = ("mastered", *(f"{sum(row.skills[skill].mastery >= MASTERY for row in rows)}"
                              f"/{len(rows)}" for skill in SKILLS))
    table.append(mastered)
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    lines = ["  ".join(value.ljust(width) if i == 0 else value.rjust(width)
                       for i, (value, width) in enumerate(zip(line, widths, strict=True)))
             .rstrip() for line in table]
    lines.insert(len(lines) - 1, "")
    source = f"the parameters of {printable(params.source)}" if params.source else \
        "the default parameters: prior, learn, slip and guess 0.1 each"
    about = (f"{plural(len(rows), 'student')}. Each cell is the tutor's estimate that the "
             "student knows the skill (Bayesian knowledge tracing from each variant's first "
             f"answer, with {source}). * mastered (≥ {MASTERY:.2f}); – never observed.")
    legend = "Skills: " + ", ".join(f"{SHORT[skill]} = {skill}" for skill in SKILLS) + "."
    lines += ["", *_wrapped(about), *_wrapped(legend)]
    return "\n".join(lines)


def _wrapped(paragraph: str, width: int = 88) -> list[str]:
    import textwrap

    return textwrap.wrap(paragraph, width, break_on_hyphens=False, break_long_words=False)


def skills_html(rows: Sequence[StudentSkills], params: SkillParams) -> list[str]:
    """The page's section (tutor.report.html.build_page's ``sections``)."""
    from tutor.report.html import text

    def td(state: SkillState) -> str:
        if not state.observations:
            return '<td class="num muted">–</td>'
        band = "high" if state.mastery >= MASTERY else "mid" if state.mastery >= 0.5 \
            else "low"
        title = f"{state.observations} observation{'' if state.observations == 1 else 's'}"
        return (f'<td class="num band-{band}" title="{title}">{cell(state)}</td>')

    source = f"the parameters of {text(params.source)}" if params.source else \
        "the default parameters (prior, learn, slip and guess 0.1 each)"
    lines = [
        '<section aria-labelledby="skills-title">',
        '<h2 id="skills-title">Skills</h2>',
        f'<p id="skills-about">Each cell is the tutor\'s estimate that the student knows '
        f"the skill: Bayesian knowledge tracing from each variant's first answer, with "
        f"{source}. * mastered (at least {MASTERY:.2f}); – never observed.</p>",
    ]
    if not rows:
        return [*lines, "<p>No students.</p>", "</section>"]
    return [
        *lines,
        '<div class="scroll" role="region" aria-labelledby="skills-title" tabindex="0">',
        '<table class="skills" id="skills" aria-describedby="skills-about">',
        f"<caption>{plural(len(rows), 'student')} × {len(SKILLS)} skills</caption>",
        '<thead><tr><th scope="col">login</th>'
        + "".join(f'<th scope="col" title="{skill}">{SHORT[skill]}</th>' for skill in SKILLS)
        + "</tr></thead>",
        "<tbody>",
        *(f'<tr><th scope="row">{text(row.login)}</th>'
          + "".join(td(state) for state in row.skills.values()) + "</tr>" for row in rows),
        "</tbody>", "</table>", "</div>", "</section>",
    ]


def bkt_log(sources: Sequence[Source], steps: StepSkills,
            blame: Blame = blamed) -> tuple[str, int]:
    """The class's observations as pyBKT's CSV, and how many rows: per observation (in
    time order across the class), one row per skill it concerns; correct 1 or 0;
    order_id counts the rows from 1."""
    found = []
    for login, events in student_events(sources).items():
        seen = observations(events, lambda lesson_id, step_id: steps.get((lesson_id, step_id)),
                            blame)
        found += [(observation.at, login, observation.correct, concerned)
                  for observation, concerned in seen]
    found.sort(key=lambda item: (item[0], item[1]))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(BKT_COLUMNS)
    order = 0
    for _at, login, correct, concerned in found:
        for skill in concerned:
            order += 1
            writer.writerow([order, skill, int(correct), login])
    return out.getvalue(), order
