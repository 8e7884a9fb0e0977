"""The answer engine: parse student text, check shapes, compare numerically and symbolically.

No Textual here, and no sympy at import time: sympy loads on the first symbolic check.
"""

from tutor.engine.check import Factor, Mistake, Parsed, Verdict, check_answer, read_answer
from tutor.engine.errors import EngineError
from tutor.engine.functions import FUNCTIONS, Shape, shape_text
from tutor.engine.nodes import Node, names_in, to_text
from tutor.engine.numeric import evaluate
from tutor.engine.parser import parse
from tutor.engine.problem import Problem, Values
from tutor.engine.shapes import infer_shape

__all__ = [
    "FUNCTIONS", "EngineError", "Factor", "Mistake", "Node", "Parsed", "Problem", "Shape",
    "Values", "Verdict", "check_answer", "evaluate", "infer_shape", "names_in", "parse",
    "read_answer", "shape_text", "to_text",
]
