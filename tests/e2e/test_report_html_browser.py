"""`report --html`: the page a real browser shows (Debian's chromium, headless).

A small class is made (databases written by each student's own tutor, an export handed
in, a roster with a student who never started, and a student whose login and answers
are markup); the real command writes the page; test_serve_browser.py's headless
chromium opens it from its file, and the test reads the rendered DOM over the DevTools
protocol, at a desktop width, at a phone's, and in dark mode, and keeps a screenshot
of each in the test's folder (its path is printed; pytest -s shows it).
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import pytest
from test_serve_browser import CHROMIUM, Browser, chromium  # noqa: F401 (a fixture)

from tutor.progress import ProgressStore, export_json, write_export

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="not installed: chromium (.ci/run installs it; locally: apt-get install chromium)",
)
LESSON = "two-layer-sigmoid"
T = 1_800_000_000.0  # 2027-01-15T08:00:00Z
EVIL_LOGIN = "<script>document.title='login'</script>"
EVIL_ANSWER = "<script>document.title='pwned'</script>"
EVIL_IMG = "<img src=x onerror=\"document.title='img'\">"
ROSTER = "login,name\nalice,Alice Liddell\nbob,Bob Marley\ndave,Dave Bowman\n"
# Before the page's own content: every Content-Security-Policy violation (a script, an
# image, a fetch the page tried) is kept where the test can read it.
WATCH = """
window.violations = [];
document.addEventListener("securitypolicyviolation",
  event => window.violations.push(event.violatedDirective + " " + event.blockedURI));
"""
DOM = """(() => {
  const heat = document.querySelector("#heat-map");
  const students = document.querySelector("#students");
  return {
    title: document.title,
    scripts: document.querySelectorAll("script, img, link, iframe, object").length,
    heatRows: [...heat.querySelectorAll("tbody tr")].map(row =>
      [...row.cells].map(cell => cell.innerText.replace(/\\s+/g, " ").trim())),
    heatHeads: [...heat.querySelectorAll("thead th")].map(th => th.scope + ":" + th.innerText),
    caption: heat.caption.innerText,
    studentRows: [...students.querySelectorAll("tbody tr")].map(row =>
      [...row.cells].map(cell => cell.innerText.trim())),
    wrong: [...document.querySelectorAll(".wrong li")].map(li => li.innerText),
    resources: performance.getEntriesByType("resource").length,
    violations: window.violations,
  };
})()"""
WIDTHS = """(() => {
  const scroller = document.querySelector("#heat-map").parentElement;
  return {page: document.documentElement.scrollWidth, view: window.innerWidth,
          heatScrolls: scroller.scrollWidth > scroller.clientWidth,
          overflow: getComputedStyle(scroller).overflowX};
})()"""


def _database(path: Path, login: str, answers) -> Path:
    """A database made by `login`'s own tutor: answers (seconds after T, step, text, verdict)."""
    path.parent.mkdir(parents=True)
    now = [T]
    with mock.patch("getpass.getuser", return_value=login), \
            ProgressStore(path, clock=lambda: now[0]) as store:
        for after, step, answer, verdict in answers:
            now[0] = T + after
            store.record_attempt(LESSON, step, 7, answer, verdict, [], 10, solves=True)
    return path


def _class(folder: Path) -> tuple[Path, Path]:
    """The class's files (alice twice: her database and her export) and its roster."""
    lab, handed_in = folder / "lab", folder / "handed-in"
    alice = _database(lab / "alice" / "progress.db", "alice", [
        (0, "df_dh2", "W3.T", "incorrect"), (60, "df_dh2", "W3", "correct"),
        (90, "dh2_dz2", "h2*(1-h2)", "incorrect")])
    handed_in.mkdir()
    with ProgressStore(alice) as store:
        write_export(handed_in / "alice.json", export_json(store.snapshot("alice"), T + 999))
    _database(lab / "bob" / "progress.db", "bob", [
        (0, "df_dh2", "W3.T", "incorrect"), (30, "df_dh2", "W3", "correct"),
        (60, "dh2_dz2", "h2", "incorrect"), (90, "dh2_dz2", "diag(h2*(1-h2))", "correct")])
    _database(lab / "mallory" / "progress.db", EVIL_LOGIN, [
        (0, "df_dh2", EVIL_ANSWER, "incorrect"), (5, "df_dh2", EVIL_IMG, "incorrect")])
    roster = folder / "roster.csv"
    roster.write_text(ROSTER)
    return folder, roster


def _load(browser: Browser, page: Path) -> None:
    browser.page("Page.navigate", url=page.as_uri())
    deadline = time.monotonic() + browser.devtools.timeout()
    while browser.evaluate("document.readyState") != "complete":
        assert time.monotonic() < deadline, "the page did not finish loading"
        time.sleep(0.05)


def _screenshot(browser: Browser, to: Path, whole: bool = True) -> Path:
    """A PNG of the page (``whole``: all of it, else what the viewport shows)."""
    shot = browser.page("Page.captureScreenshot", format="png", captureBeyondViewport=whole)
    to.write_bytes(base64.b64decode(shot["data"]))
    assert to.read_bytes().startswith(b"\x89PNG") and to.stat().st_size > 5_000
    print(f"screenshot: {to}")
    return to


def test_the_report_page_in_a_real_browser(tmp_path, chromium):  # noqa: F811
    folder, roster = _class(tmp_path / "class")
    page = tmp_path / "report.html"
    made = subprocess.run(
        [sys.executable, "-m", "tutor", "report", "--html", str(page), "--roster", str(roster),
         str(folder / "lab"), str(folder / "handed-in")],
        capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    assert made.stderr.splitlines()[-1] == (
        f"chain-tutor: wrote the class report (4 students, 1 lesson) to {page}")

    chromium.page("Page.addScriptToEvaluateOnNewDocument", source=WATCH)
    chromium.page("Emulation.setDeviceMetricsOverride", width=1200, height=900,
                  deviceScaleFactor=1, mobile=False)
    _load(chromium, page)
    dom = chromium.evaluate(DOM)
    print(json.dumps(dom, ensure_ascii=False, indent=1))
    # Nothing ran and nothing was fetched: the markup in the records is text.
    assert dom["title"] == "Class report · chain-tutor"
    assert dom["scripts"] == 0 and dom["resources"] == 0 and dom["violations"] == []
    # The heat map: one row for the lesson, a cell per step (glyph, solved/class).
    assert dom["heatHeads"] == ["col:lesson", *(f"col:step {n}" for n in range(1, 7))]
    assert "Solved/class" in dom["caption"]
    [row] = dom["heatRows"]
    assert row[0].startswith(LESSON)
    # df_dh2: alice and bob solved, mallory did not, dave (the roster's) never started:
    # 2 of the class of 4 (50%), the middle band; the next step, 1 of 4
    assert row[1].startswith("◐ 2/4") and row[2].startswith("○ 1/4")
    assert all(cell.startswith("· –") for cell in row[3:])
    # The students: the roster's, in its order, then mallory (found, not on it).
    assert [r[0] for r in dom["studentRows"]] == ["alice", "bob", "dave", EVIL_LOGIN]
    assert dom["studentRows"][2][1:] == ["Dave Bowman", "0", "0", "0", "–", "–", "–",
                                         "not-started"]
    assert dom["studentRows"][1][-1] == "in-progress" and dom["studentRows"][1][2] == "2"
    assert f"{EVIL_ANSWER} 1 attempt, 1 student" in dom["wrong"]
    assert f"{EVIL_IMG} 1 attempt, 1 student" in dom["wrong"]
    _screenshot(chromium, tmp_path / "report-wide.png")

    # A phone's width: the heat map scrolls sideways inside its box; the page does not.
    chromium.page("Emulation.setDeviceMetricsOverride", width=390, height=844,
                  deviceScaleFactor=1, mobile=True)
    _load(chromium, page)
    widths = chromium.evaluate(WIDTHS)
    assert widths["heatScrolls"] and widths["overflow"] == "auto"
    assert widths["page"] <= widths["view"], widths
    _screenshot(chromium, tmp_path / "report-narrow.png", whole=False)

    # Dark mode: the page's own dark colours.
    chromium.page("Emulation.setEmulatedMedia",
                  features=[{"name": "prefers-color-scheme", "value": "dark"}])
    chromium.page("Emulation.setDeviceMetricsOverride", width=1200, height=900,
                  deviceScaleFactor=1, mobile=False)
    _load(chromium, page)
    assert chromium.evaluate("getComputedStyle(document.body).backgroundColor") == \
        "rgb(20, 20, 20)"
    _screenshot(chromium, tmp_path / "report-dark.png")
