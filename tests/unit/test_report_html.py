"""`report --html FILE`: the class report as one self-contained web page.

The class is test_report_students.py's (alice with a database and her export, bob
stuck, carol, dave on the roster only, erin done, frank not on the roster), and a
student whose login and answers are HTML, to show they reach the page as text.
"""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from test_report_students import EXPECTED, LESSON, STEPS, T, _database, make_class

from tutor.cli.command import main
from tutor.report.bands import BANDS, NO_ANSWERS, band_of, band_range
from tutor.report.build import LessonReport, Report, StepReport, WrongAnswer
from tutor.report.formats import duration
from tutor.report.html import build_page
from tutor.report.students import StudentRow

EVIL_LOGIN = "<script>alert('login')</script>"
EVIL_ANSWER = "<script>document.title='pwned'</script>"
EVIL_IMG = '"><img src=x onerror=alert(2)>'


class Tables(HTMLParser):
    """Every table of a page: per table (by its id, else its class), its rows, each a list
    of (tag, attributes, text) for its th and td cells; and every tag seen."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[tuple[str, dict, str]]]] = {}
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self._table: str | None = None
        self._cell: list | None = None
        self.feed(page)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "table":
            self._table = attributes.get("id") or attributes.get("class")
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("th", "td") and self._table is not None:
            self._cell = [tag, attributes, ""]

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            self._cell[2] = " ".join(self._cell[2].split())
            self.tables[self._table][-1].append(tuple(self._cell))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell[2] += data


@pytest.fixture
def school(tmp_path) -> dict[str, Path]:
    return make_class(tmp_path)


@pytest.fixture
def hostile(school):
    """The class, and a student whose login and answers are markup."""
    _database(school["lab"] / "mallory" / "progress.db", EVIL_LOGIN, [
        (900, "answer", "df_dh2", EVIL_ANSWER, "incorrect"),
        (901, "answer", "df_dh2", EVIL_IMG, "incorrect")])
    return school


def _page(school, capsys, *options) -> str:
    assert main(["report", "--html", "-", *options, str(school["lab"]),
                 str(school["handed_in"])]) == 0
    return capsys.readouterr().out


def test_the_heat_map_has_a_cell_per_step_with_glyph_and_solved_of_students(school, capsys):
    tables = Tables(_page(school, capsys))
    head, *rows = tables.tables["heat-map"]
    assert [text for _, _, text in head] == ["lesson", *(f"step {n}" for n in range(1, 7))]
    assert len(rows) == 1
    lesson, *cells = rows[0]
    assert lesson[0] == "th" and lesson[1]["scope"] == "row" and lesson[2].startswith(LESSON)
    # df_dh2: alice, carol, erin solved; bob, frank did not (3/5 = 60%): the middle band.
    # The later steps: one student of the class of five solved each (the others never got
    # there), so they read low, over the whole class.
    assert [(cell[1]["class"], cell[2].split()[:2]) for cell in cells] == [
        ("band-mid", ["◐", "3/5,"]), ("band-low", ["○", "1/5,"]), ("band-low", ["○", "1/5,"]),
        ("band-low", ["○", "1/5,"]), ("band-low", ["○", "1/5,"]), ("band-low", ["○", "1/5,"])]
    assert "3/5, 60% of the class solved" in cells[0][2]


def test_bands_the_page_and_the_screen_share(capsys):
    def step(step_id: str, solved: int, students: int) -> StepReport:
        return StepReport("l", step_id, step_id.upper(), students, solved, 0,
                          students - solved, 0, None, None, ())

    steps = (step("a", 3, 4), step("b", 2, 5), step("c", 1, 4), step("d", 0, 0))
    assert [band_of(s, 4).name for s in steps] == ["high", "mid", "low", "none"]
    assert band_of(steps[0], 6).name == "mid"  # 3 of a class of 6: the class, not the 4
    assert [band_range(b) for b in (*BANDS, NO_ANSWERS)] == ["≥ 75%", "≥ 40%", "< 40%",
                                                             "nobody yet"]
    report = Report(("x",), (LessonReport("l", "A lesson", steps),
                             LessonReport("short", None, steps[:1])))
    tables = Tables(build_page(report, [], T))
    heat = tables.tables["heat-map"]
    assert [(c[1].get("class"), c[2]) for c in heat[1][1:]] == [
        ("band-high", "● 3/4, 75% of the class solved A"),
        ("band-mid", "◐ 2/5, 40% of the class solved B"),
        ("band-low", "○ 1/4, 25% of the class solved C"),
        ("band-none", "· –, nobody has answered yet D")]
    # a shorter lesson's row is filled with empty cells, so every row has every column
    assert [c[2] for c in heat[2]] == ["short(not installed here)",
                                       "● 3/4, 75% of the class solved A",
                                       "", "", ""]
    # every cell links to its step's row below
    links = [a["href"] for tag, a in tables.tags if tag == "a"]
    ids = {a["id"] for _, a in tables.tags if "id" in a}
    assert links and all(link.startswith("#") and link[1:] in ids for link in links)


def test_the_students_table_has_the_rows_of_report_students(school, capsys):
    tables = Tables(_page(school, capsys, "--roster", str(school["roster"])))
    head, *rows = tables.tables["students"]
    assert [text for _, _, text in head] == ["login", "name", "solved", "revealed",
                                             "attempts", "time on task",
                                             "last active (UTC)", "where", "status"]
    assert all(row[0][0] == "th" and row[0][1]["scope"] == "row" for row in rows)
    assert [[text for _, _, text in row] for row in rows] == [
        [e["login"], e["name"] or "", str(e["steps_solved"]), str(e["steps_revealed"]),
         str(e["attempts"]),
         "–" if e["last_active"] is None else duration(e["time_on_task_s"]),
         e["last_active"] or "–", e["where"] or "–", e["status"]] for e in EXPECTED]
    assert rows[3][-1][2] == "not-started" and rows[3][0][2] == "dave"  # on the roster only


def test_without_a_roster_the_table_is_the_students_found(school, capsys):
    rows = Tables(_page(school, capsys)).tables["students"][1:]
    assert [row[0][2] for row in rows] == ["alice", "bob", "carol", "erin", "frank"]


def test_each_step_lists_its_common_wrong_answers_as_the_text_report(school, capsys):
    assert main(["report", str(school["lab"]), str(school["handed_in"])]) == 0
    text = capsys.readouterr().out
    said = [line.strip().removeprefix("✗ ").replace("`", "") for line in text.splitlines()
            if line.strip().startswith("✗")]
    page = _page(school, capsys)
    rows = Tables(page).tables["steps"][1:]
    assert [row[0][2] for row in rows] == list(STEPS)
    df_dh2 = rows[0]
    # bob and frank are still at it (their latest answers): working, not gave up
    assert [c[2] for c in df_dh2[:9]] == ["df_dh2", "∂f/∂h2", "5", "3", "0", "0", "2", "1",
                                         "10s"]
    items = re.findall(r"<li><code>(.*?)</li>", page)
    shown = [re.sub(r"<[^>]+>", "", item) for item in items]
    assert shown == said and shown[0] == "W3.T 2 attempts, 2 students"


def test_the_header_says_the_class_the_skipped_files_and_when(school, capsys):
    (school["handed_in"] / "broken.json").write_text("{not json")
    before = time.time()
    page = _page(school, capsys, "--roster", str(school["roster"]))
    words = " ".join(" ".join(Tables(page).text).split())
    assert "6 students (5 with records) · 1 lesson with records · 1 file skipped" in words
    assert re.search(r"<li><code>[^<]*handed-in/broken\.json</code>: [a-z]", page)
    made = re.search(r'<time datetime="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)">\1</time>', page)
    assert made is not None
    at = time.mktime(time.strptime(made[1], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    assert before - 1 <= at <= time.time() + 1


def test_since_and_until_cut_the_page_as_every_view(school, capsys):
    page = _page(school, capsys, "--until", "2027-01-15T08:00:30Z",
                 "--roster", str(school["roster"]))
    tables = Tables(page)
    assert tables.tables["heat-map"][1][1][2].startswith("○ 2/6")  # dave, on the roster
    statuses = [row[-1][2] for row in tables.tables["students"][1:]]
    assert statuses == ["in-progress", "in-progress", "in-progress", "not-started",
                        "in-progress", "in-progress"]
    assert "answers before 2027-01-15T08:00:30Z" in page


def test_student_text_is_text_on_the_page_never_markup(hostile, capsys):
    page = _page(hostile, capsys)
    assert "<script" not in page.lower() and "<img" not in page.lower()
    parsed = Tables(page)
    assert {tag for tag, _ in parsed.tags} <= {
        "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "p",
        "time", "main", "section", "ul", "li", "span", "div", "table", "caption", "thead",
        "tbody", "tr", "th", "td", "a", "code"}
    logins = [row[0][2] for row in parsed.tables["students"][1:]]
    assert EVIL_LOGIN in logins  # the login, as text
    wrong = " ".join(" ".join(parsed.text).split())
    assert EVIL_ANSWER in wrong and EVIL_IMG in wrong


def test_the_page_fetches_nothing_and_runs_nothing(hostile, capsys):
    page = _page(hostile, capsys)
    lowered = page.lower()
    assert "<link" not in lowered and "<script" not in lowered and "@import" not in lowered
    assert "url(" not in lowered
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:|//)""", lowered)
    assert "http://" not in lowered and "https://" not in lowered
    parsed = Tables(page)
    policy = [a["content"] for tag, a in parsed.tags
              if tag == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert policy and policy[0].startswith("default-src 'none'")


def test_html_writes_the_file_and_says_where(school, tmp_path, capsys):
    target = tmp_path / "out" / "week3.html"
    target.parent.mkdir()
    assert main(["report", "--html", str(target), "--roster", str(school["roster"]),
                 str(school["lab"]), str(school["handed_in"])]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines()[-1] == (f"chain-tutor: wrote the class report (6 students, "
                                    f"1 lesson) to {target}")
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


@pytest.mark.parametrize("where, message", [
    ("missing/week3.html", "cannot write {target}: the folder {folder} does not exist"),
    ("", "cannot write {target}: it is a folder (name a file in it, such as report.html)"),
], ids=["a missing folder", "a folder"])
def test_html_refuses_a_place_it_cannot_write(school, tmp_path, capsys, where, message):
    target = tmp_path / where
    assert main(["report", "--html", str(target), str(school["lab"])]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    assert err == "chain-tutor: " + message.format(target=target, folder=target.parent) + "\n"
    assert not (tmp_path / "missing").exists()


def test_html_is_one_form_of_the_report(school, capsys):
    with pytest.raises(SystemExit) as refused:
        main(["report", "--html", "-", "--json", str(school["lab"])])
    assert refused.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
    # with --students it is the same page, which always has the students' table
    with_students = _page(school, capsys, "--students")
    alone = _page(school, capsys)
    made = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
    assert made.sub("T", with_students) == made.sub("T", alone)


def test_a_report_with_nothing_answered_still_makes_a_page(tmp_path, school, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["report", "--html", "-", "--roster", str(school["roster"]),
                 str(tmp_path / "empty")]) == 0
    parsed = Tables(capsys.readouterr().out)
    assert "heat-map" not in parsed.tables
    assert "No attempts recorded yet" in " ".join(parsed.text)
    assert [row[0][2] for row in parsed.tables["students"][1:]] == [
        "alice", "bob", "carol", "dave", "erin"]


def test_a_long_answer_is_cut_as_in_the_text_report():
    long = "W3" * 1000
    step = StepReport("l", "s", "S", 1, 0, 0, 1, 0, 1, 1.0,
                      (WrongAnswer(long, ("shape",), 1, 1),))
    page = build_page(Report(("a",), (LessonReport("l", "L", (step,)),)),
                      [StudentRow("a", None, 0, 0, 1, 0.0, T, ("l", "s"), "in-progress")], T)
    assert long not in page and "…(2,000 characters)" in page
    assert '<span class="codes">[shape]</span>' in page
    assert "2027-01-15T08:00:00Z" in page  # generated, in UTC
