"""The lesson format: a lesson file (TOML) read, checked and drawn into numbers.

Where each part lives:

* index — where lessons live, and a quick index read with tomllib alone (the picker's
  first paint), LessonError, the first seed
* schema — the file format declared as typed structures; its errors put at file:line
* load — lesson files read into Lessons, and the catalog of every lesson that loads
* model — Lesson, Step, Quantity, Variant: what the engine and the screens use
* validation — every key checked against the forward pass (`chain-tutor validate`)
* stamps — the stamp `chain-tutor new` writes into a lesson it validated
* writer — a Lesson written out as a lesson file, for an author to edit

No Textual anywhere here, and nothing heavy on import: the names below load their
module when first used (tutor.faces).
"""

from tutor.faces import lazy_face

__getattr__, __dir__, __all__ = lazy_face(__name__, {
    "index": ("DEFAULT_SEED", "ENV_LESSONS", "LessonError", "LessonInfo", "lesson_dirs",
              "lesson_files", "read_index", "shipped_lessons_dir"),
    "model": ("BrokenLesson", "Catalog", "Lesson", "Quantity", "Step", "StepMistake", "Variant",
              "reads_as_a_name"),
    "load": ("load_catalog", "load_lesson", "parse_lesson", "unforeseen"),
    "validation": ("Finding", "validate_lesson", "validate_paths"),
    "writer": ("lesson_toml",),
})
