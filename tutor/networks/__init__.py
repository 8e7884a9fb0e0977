"""Network files: a student's or an instructor's own network, made into a lesson.

Where each part lives:

* reader — the network file's syntax, read by a small hand-written reader (Network)
* ids — a network's lesson id, from its text (hashlib only, for the progress store)
* domains — where a network's definitions are numbers (interval analysis of its draws)
* generator — a Network turned into an ordinary Lesson, factor by factor
* generator_checks — what the generator refuses, and where: the limits a lesson keeps to
* derivatives — each definition's derivative, written in the answer language
* step_texts — a generated step's prompt, hints and note, from its construct
* drawn — random networks for endless practice, drawn as network files
* draft — a student's own network as the tutor takes it: checked as typed, then made

No Textual anywhere here, and nothing heavy on import (tutor.faces).
"""

from tutor.faces import lazy_face

__getattr__, __dir__, __all__ = lazy_face(__name__, {
    "reader": ("Network", "NetworkError", "parse_network"),
    "ids": ("network_lesson_id", "normalized"),
    "generator": ("generate", "generate_from_text"),
    "generator_checks": ("GeneratorError",),
    "drawn": ("RandomNetwork", "draw_network", "random_network"),
    "draft": ("check_draft", "make_lesson"),
})
