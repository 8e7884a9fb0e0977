"""The answer engine: parse student text, check shapes, compare numerically and symbolically.

No Textual here, and no sympy at import time: sympy loads on the first symbolic check.
Every public name is named here, and each loads its module when first used (tutor.faces):
the tutor forks its proof worker before the app loads (tutor.engine.early), and importing
that must not import numpy with the whole engine.
"""

from tutor.faces import lazy_face

__getattr__, __dir__, __all__ = lazy_face(__name__, {
    "check": ("Factor", "Mistake", "Parsed", "Verdict", "check_answer", "read_answer"),
    "errors": ("EngineError",),
    "functions": ("FUNCTIONS", "Shape", "shape_text"),
    "nodes": ("Node", "names_in", "to_text"),
    "numeric": ("evaluate",),
    "parser": ("parse",),
    "problem": ("Problem", "Values"),
    "shapes": ("infer_shape",),
})
