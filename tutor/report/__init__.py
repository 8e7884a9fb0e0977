"""The instructor's view of a class, from its progress records.

* sources — progress databases and export files found and read, read-only; the unusable
  set aside with the reason
* build — the report: per lesson and step, solved, revealed, working, gave up, medians
  and the common wrong answers (a pure function of the records)
* students — one row per student: solved, revealed, attempts, time on task, where, status
* roster — the class list (login,name,sis_id,section) a table or a gradebook is made for
* window — the records cut to --since/--until, before any view is made
* formats — the report and the students' table as text, JSON and CSV
* bands — a heat-map cell's band (glyph and colour by the share who solved the step)
* html — the heat map, the steps and the students' table as one web page

The screen with its heat map is tutor.app.report_app (its bands are this package's);
this package has no Textual.
"""

from tutor.report.build import Report, Skipped, Source, build_report
from tutor.report.formats import format_csv, format_text, report_json
from tutor.report.sources import load_sources, read_source

__all__ = ["Report", "Skipped", "Source", "build_report", "format_csv", "format_text",
           "load_sources", "read_source", "report_json"]
