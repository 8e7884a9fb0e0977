"""The class report as one web page, for an instructor who would rather look than read.

One self-contained HTML file: the heat map (lessons down, steps across, each cell
coloured by its band of tutor.report.bands and also reading its glyph and
"solved/class"), each step's counts and most common wrong answers as the text
report gives them, and the students' table of `report --students`. The style is inline
and there is no script; the page's Content-Security-Policy forbids scripts and every
fetch, so the file shows the same offline, from a mail attachment or a USB stick, and
nothing in it can reach the network.

Everything the records say (logins, names, answers, ids, titles, a skipped file's
name and reason) is the students' text: it is shown as the text report shows it
(tutor.markup.printable: control characters as escapes, cut after SHOWN characters)
and then escaped for HTML, so an answer of ``<script>`` is text on the page.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from tutor.markup import SHOWN, printable
from tutor.report.bands import BANDS, NO_ANSWERS, band_of, band_range, counts_text
from tutor.report.build import LessonReport, Report, StepReport, WrongAnswer
from tutor.report.formats import duration, iso_time, plural, rounded, student_values
from tutor.report.sources import display_path
from tutor.report.students import STUCK_WRONG, TIME_GAP_CAP, StudentRow

# No script and no fetch of any kind: styles only from the page itself.
POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

STYLE = """
:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1a1a1a; --muted: #555555; --line: #c8c8c8; --head: #f0f0f0;
  --high: #bfe5c4; --mid: #fbdc9c; --low: #f6c1c1; --focus: #0b57d0;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #141414; --fg: #e6e6e6; --muted: #a6a6a6; --line: #3d3d3d; --head: #202020;
    --high: #1d4d29; --mid: #5b440f; --low: #5e2020; --focus: #8ab4f8;
  }
}
* { box-sizing: border-box; }
body {
  margin: 0 auto; padding: 1rem; max-width: 90rem;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif;
  background: var(--bg); color: var(--fg);
}
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .5rem; }
h3 { font-size: 1.05rem; margin: 1.5rem 0 .25rem; }
p, li { max-width: 70rem; }
.muted, caption { color: var(--muted); }
.scroll { overflow-x: auto; max-width: 100%; }
.scroll:focus-visible, a:focus-visible { outline: 2px solid var(--focus); outline-offset: 1px; }
table { border-collapse: collapse; margin: .25rem 0 1rem; }
caption { caption-side: top; text-align: left; padding: .25rem 0 .5rem; }
th, td { border: 1px solid var(--line); padding: .3rem .55rem; text-align: left;
         vertical-align: top; }
thead th { background: var(--head); white-space: nowrap; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; white-space: pre-wrap;
       overflow-wrap: anywhere; }
.heat th[scope="row"] { position: sticky; left: 0; z-index: 1; background: var(--head);
                        min-width: 9rem; max-width: 16rem; overflow-wrap: anywhere; }
.heat th[scope="row"] .title { display: block; font-weight: normal; font-size: .8rem;
                               color: var(--muted); }
.heat td { padding: 0; text-align: center; min-width: 5.5rem; }
.heat td a { display: block; padding: .35rem .4rem; color: inherit; text-decoration: none; }
.heat td a:hover { text-decoration: underline; }
.heat .glyph { font-size: 1.1rem; }
.heat .counts { font-variant-numeric: tabular-nums; font-weight: 600; }
.heat .step { display: block; font-size: .8rem; color: var(--muted);
              overflow-wrap: anywhere; }
.band-high { background: var(--high); }
.band-mid { background: var(--mid); }
.band-low { background: var(--low); }
.legend { display: flex; flex-wrap: wrap; gap: .4rem 1.2rem; padding: 0; margin: .25rem 0;
          list-style: none; }
.legend li { white-space: nowrap; }
.swatch { display: inline-block; min-width: 2rem; padding: 0 .4rem; margin-right: .3rem;
          text-align: center; border: 1px solid var(--line); }
.steps th code, .steps td:nth-child(2) { white-space: nowrap; }
.wrong { margin: 0; padding-left: 1.1rem; min-width: 16rem; }
.wrong code { background: var(--head); padding: 0 .2rem; }
.wrong li { margin: .1rem 0; }
.codes { color: var(--muted); }
.status { white-space: nowrap; }
.status-stuck .status { font-weight: 700; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden;
                   clip: rect(0 0 0 0); white-space: nowrap; }
:target { outline: 3px solid var(--focus); }
"""


def text(value: str, limit: int | None = SHOWN) -> str:
    """A record's text for the page: escapes for what a terminal would obey, cut after
    ``limit`` characters (as the text report), then escaped for HTML and attributes."""
    return html.escape(printable(value, limit), quote=True)


def _number(value: float | int | None) -> str:
    return "–" if value is None else str(rounded(value))


def step_anchor(lesson_index: int, step_index: int) -> str:
    """The id of a step's row in the steps' tables, which its heat-map cell links to
    (by position: an id made from the records' text would need escaping of its own)."""
    return f"step-{lesson_index + 1}-{step_index + 1}"


def build_page(report: Report, rows: Sequence[StudentRow], generated: float,
               span: str | None = None, sections: Sequence[str] = ()) -> str:
    """The whole page. ``rows``: tutor.report.students.student_rows; ``generated``: Unix
    seconds, shown in UTC; ``span``: the --since/--until cut in words, if any;
    ``sections``: the lines of more sections, after the students' (the skills')."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">',
        '<meta name="generator" content="chain-tutor">',
        "<title>Class report · chain-tutor</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        *_header(report, rows, generated, span),
        "<main>",
        *_heat_map(report, max(len(rows), len(report.students))),
        *_steps(report),
        *_students(rows),
        *sections,
        "</main>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def _header(report: Report, rows: Sequence[StudentRow], generated: float,
            span: str | None) -> list[str]:
    students = plural(len(rows), "student")
    if len(rows) != len(report.students):
        students += f" ({len(report.students)} with records)"
    summary = [students, f"{plural(len(report.lessons), 'lesson')} with records"]
    if report.skipped:
        summary.append(f"{plural(len(report.skipped), 'file')} skipped")
    at = iso_time(generated)
    lines = [
        "<header>",
        "<h1>Class report</h1>",
        f'<p class="summary">{" · ".join(summary)}</p>',
        f'<p class="muted">Made by chain-tutor at <time datetime="{at}">{at}</time> (UTC)'
        + (f"; answers {text(span, None)}" if span else "") + ".</p>",
    ]
    if report.skipped:
        lines += ['<p>Files skipped, and why:</p>', '<ul class="skipped">']
        lines += [f"<li><code>{text(display_path(item.path))}</code>: {text(item.reason)}</li>"
                  for item in report.skipped]
        lines.append("</ul>")
    lines.append("</header>")
    return lines


# -- the heat map ---------------------------------------------------------------------


def _legend() -> list[str]:
    items = [f'<li><span class="swatch band-{band.name}">{band.glyph}</span>'
             f"{html.escape(band_range(band))} solved</li>" for band in BANDS]
    items.append(f'<li><span class="swatch">{NO_ANSWERS.glyph}</span>'
                 f"{html.escape(band_range(NO_ANSWERS))}</li>")
    return ['<ul class="legend" aria-label="bands">', *items, "</ul>"]


def _cell(lesson: LessonReport, step: StepReport, anchor: str, class_size: int) -> str:
    band = band_of(step, class_size)
    if step.students:
        size = max(class_size, step.students)
        share = f"{round(100 * step.solved / size)}% of the class solved"
    else:
        share = "nobody has answered yet"
    label = step.label or "not installed here"
    title = f"{lesson.lesson_id} · {step.step_id} · {label}: {share}"
    return (f'<td class="band-{band.name}"><a href="#{anchor}" title="{text(title)}">'
            f'<span class="glyph" aria-hidden="true">{band.glyph}</span> '
            f'<span class="counts">{counts_text(step, class_size)}</span>'
            f'<span class="visually-hidden">, {share}</span> '
            f'<span class="step">{text(step.label or step.step_id)}</span></a></td>')


def _heat_map(report: Report, class_size: int) -> list[str]:
    lines = ['<section aria-labelledby="heat-map-title">',
             '<h2 id="heat-map-title">Heat map</h2>']
    if not report.lessons:
        return [*lines, "<p>No attempts recorded yet: the students have not answered any "
                        "step.</p>", "</section>"]
    width = max(len(lesson.steps) for lesson in report.lessons)
    lines += [
        '<p id="heat-map-about">Lessons down, steps across. A cell reads solved/class: '
        "how many of the whole class (every student of the report, and the roster's who "
        "never started) solved the step; its colour and glyph say that share, so a step "
        "few have reached reads low. A cell links to its step's details below.</p>",
        *_legend(),
        '<div class="scroll" role="region" aria-labelledby="heat-map-title" tabindex="0">',
        '<table class="heat" id="heat-map" aria-describedby="heat-map-about">',
        "<caption>Solved/class per lesson and step</caption>",
        '<thead><tr><th scope="col">lesson</th>'
        + "".join(f'<th scope="col">step {n}</th>' for n in range(1, width + 1))
        + "</tr></thead>",
        "<tbody>",
    ]
    for row, lesson in enumerate(report.lessons):
        title = lesson.title if lesson.title is not None else "(not installed here)"
        cells = [_cell(lesson, step, step_anchor(row, column), class_size)
                 for column, step in enumerate(lesson.steps)]
        cells += ["<td></td>"] * (width - len(lesson.steps))
        lines.append(f'<tr><th scope="row">{text(lesson.lesson_id)}'
                     f'<span class="title">{text(title)}</span></th>{"".join(cells)}</tr>')
    return [*lines, "</tbody>", "</table>", "</div>", "</section>"]


# -- each step: its counts and the most common wrong answers ---------------------------

STEP_COLUMNS = ("step", "factor", "students", "solved", "revealed", "gave up", "working",
                "median attempts", "median time", "most common wrong answers")


def _wrong(wrong: WrongAnswer) -> str:
    codes = (f' <span class="codes">[{text(", ".join(wrong.diagnosis))}]</span>'
             if wrong.diagnosis else "")
    return (f"<li><code>{text(wrong.answer)}</code>{codes} "
            f"{plural(wrong.count, 'attempt')}, {plural(wrong.students, 'student')}</li>")


def _step_row(step: StepReport, anchor: str) -> str:
    numbers = (step.students, step.solved, step.revealed, step.gave_up, step.working)
    wrong = ('<ul class="wrong">' + "".join(_wrong(w) for w in step.common_wrong) + "</ul>"
             if step.common_wrong else '<span class="muted">none</span>')
    return (f'<tr id="{anchor}"><th scope="row"><code>{text(step.step_id)}</code></th>'
            f"<td>{text(step.label or '?')}</td>"
            + "".join(f'<td class="num">{n}</td>' for n in numbers)
            + f'<td class="num">{_number(step.median_attempts)}</td>'
            f'<td class="num">{duration(step.median_time)}</td><td>{wrong}</td></tr>')


def _steps(report: Report) -> list[str]:
    if not report.lessons:
        return []
    lines = ['<section aria-labelledby="steps-title">',
             '<h2 id="steps-title">Steps and the most common wrong answers</h2>',
             '<p class="muted">Attempts and time: medians over the students who answered, '
             "up to their first correct answer; invalid input costs no attempt. Wrong "
             "answers with the spaces that say nothing removed, ranked by how many "
             "students gave them, with their diagnosis codes.</p>"]
    for row, lesson in enumerate(report.lessons):
        title = lesson.title if lesson.title is not None else "(not installed here)"
        heading = f"lesson-{row + 1}-title"
        lines += [
            f'<h3 id="{heading}"><code>{text(lesson.lesson_id)}</code> — {text(title)}</h3>',
            f'<div class="scroll" role="region" aria-labelledby="{heading}" tabindex="0">',
            '<table class="steps">',
            f"<caption>{plural(len(lesson.steps), 'step')}</caption>",
            "<thead><tr>" + "".join(f'<th scope="col">{name}</th>' for name in STEP_COLUMNS)
            + "</tr></thead>",
            "<tbody>",
            *(_step_row(step, step_anchor(row, column))
              for column, step in enumerate(lesson.steps)),
            "</tbody>", "</table>", "</div>",
        ]
    return [*lines, "</section>"]


# -- the students ---------------------------------------------------------------------

STUDENT_HEADINGS = ("login", "name", "solved", "revealed", "attempts", "time on task",
                    "last active (UTC)", "where", "status")


def _student_row(row: StudentRow) -> str:
    values = student_values(row)
    time = duration(row.time_on_task_s) if row.last_active is not None else "–"
    cells = [
        f"<td>{text(row.name or '')}</td>",
        *(f'<td class="num">{n}</td>' for n in (row.steps_solved, row.steps_revealed,
                                                 row.attempts)),
        f'<td class="num">{time}</td>',
        f'<td class="num">{values["last_active"] or "–"}</td>',
        f"<td>{text(values['where'] or '–')}</td>",
        f'<td><span class="status">{row.status}</span></td>',
    ]
    return (f'<tr class="status-{row.status}"><th scope="row">{text(row.login)}</th>'
            + "".join(cells) + "</tr>")


def _students(rows: Sequence[StudentRow]) -> list[str]:
    lines = ['<section aria-labelledby="students-title">',
             '<h2 id="students-title">Students</h2>']
    if not rows:
        return [*lines, "<p>No students.</p>", "</section>"]
    return [
        *lines,
        f'<p id="students-about">{plural(len(rows), "student")}, one row each. Time on '
        "task: the gaps between a student's consecutive answers, each at most "
        f"{TIME_GAP_CAP / 60:g} minutes, summed. Stuck: {STUCK_WRONG} or more wrong "
        "answers on the step of the latest answer, not solved; done: every step of the "
        "report's lessons solved.</p>",
        '<div class="scroll" role="region" aria-labelledby="students-title" tabindex="0">',
        '<table class="students" id="students" aria-describedby="students-about">',
        f"<caption>{plural(len(rows), 'student')}</caption>",
        "<thead><tr>" + "".join(f'<th scope="col">{name}</th>' for name in STUDENT_HEADINGS)
        + "</tr></thead>",
        "<tbody>", *(_student_row(row) for row in rows), "</tbody>",
        "</table>", "</div>", "</section>",
    ]
