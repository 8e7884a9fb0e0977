"""Nothing in the tutor evaluates text, and the engine loads neither Textual nor (eagerly) sympy."""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "tutor"

# Called by any name or as any attribute (sympy.sympify, builtins.eval, sympy.S, …).
FORBIDDEN_CALLS = {"eval", "exec", "compile", "sympify", "parse_expr", "__import__", "S"}
# re.compile(...) is a regular expression, not Python's compile().
HARMLESS_ATTRIBUTE_CALLS = {("re", "compile")}
FORBIDDEN_IMPORTS = {"sympify", "parse_expr"}
FORBIDDEN_MODULES = ("sympy.parsing",)


def _called_name(call: ast.Call) -> tuple[str | None, str | None]:
    """(owner, name) of what is called: eval(…) → (None, "eval"); re.compile(…) → ("re", …)."""
    func = call.func
    if isinstance(func, ast.Name):
        return None, func.id
    if isinstance(func, ast.Attribute):
        owner = func.value.id if isinstance(func.value, ast.Name) else None
        return owner, func.attr
    return None, None


def forbidden_uses(source: str, filename: str = "<source>") -> list[str]:
    """Every call or import in ``source`` that could run text as code, as "file:line what"."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Call):
            owner, name = _called_name(node)
            if name in FORBIDDEN_CALLS and (owner, name) not in HARMLESS_ATTRIBUTE_CALLS:
                found.append(f"{filename}:{node.lineno} calls {name}(…)")
            if name in {"getattr", "__getattribute__"}:
                literal = [a.value for a in node.args if isinstance(a, ast.Constant)]
                if set(map(str, literal)) & FORBIDDEN_CALLS:
                    found.append(f"{filename}:{node.lineno} looks up {literal}")
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if module.startswith(FORBIDDEN_MODULES):
                found.append(f"{filename}:{node.lineno} imports from {module}")
            for alias in node.names:
                if alias.name in FORBIDDEN_IMPORTS:
                    found.append(f"{filename}:{node.lineno} imports {alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(FORBIDDEN_MODULES):
                    found.append(f"{filename}:{node.lineno} imports {alias.name}")
    return found


def python_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_the_package_has_python_files_to_check():
    names = {path.name for path in python_files()}
    assert {"parser.py", "check.py", "symbolic.py"} <= names


@pytest.mark.parametrize("path", python_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_source_file_evaluates_text(path):
    assert forbidden_uses(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT))) == []


@pytest.mark.parametrize(
    "snippet",
    [
        "eval(text)",
        "exec(code)",
        "compile(text, 'x', 'eval')",
        "builtins.eval(text)",
        "sympy.sympify(text)",
        "sympify(text)",
        "parse_expr(text)",
        "sympy.parsing.sympy_parser.parse_expr(text)",
        "S(text)",
        "sympy.S('x')",
        "__import__('os')",
        "importlib.__import__('os')",
        "from sympy import sympify",
        "from sympy.parsing.sympy_parser import standard_transformations",
        "import sympy.parsing.latex",
        "getattr(builtins, 'eval')(text)",
    ],
)
def test_the_scan_catches_each_forbidden_use(snippet):
    assert forbidden_uses(snippet) != []


@pytest.mark.parametrize(
    "snippet",
    ["re.compile(r'x')", "sympy.S.Zero", "sympy.Symbol('x')", "evaluate(node, values)",
     "S = 1", "node.compile_time"],
)
def test_the_scan_lets_harmless_code_through(snippet):
    assert forbidden_uses(snippet) == []


# -- imports ------------------------------------------------------------------------------------


def engine_modules() -> list[str]:
    import tutor.engine

    return ["tutor.engine"] + [
        f"tutor.engine.{info.name}" for info in pkgutil.iter_modules(tutor.engine.__path__)
    ]


def loaded_after(modules: list[str], then: str = "") -> dict[str, bool]:
    """Import ``modules`` in a fresh interpreter, run ``then``, report what got loaded."""
    probe = "\n".join(
        ["import sys, json", *(f"import {m}" for m in modules), then,
         "print(json.dumps({m: m in sys.modules for m in ('textual', 'sympy')}))"]
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_engine_modules_are_discovered():
    modules = engine_modules()
    assert {"tutor.engine.parser", "tutor.engine.check", "tutor.engine.symbolic"} <= set(modules)


def test_no_engine_module_imports_textual():
    assert loaded_after(engine_modules())["textual"] is False


def test_the_engine_loads_without_sympy():
    modules = [m for m in engine_modules() if m != "tutor.engine.symbolic"]
    assert loaded_after(modules)["sympy"] is False


def test_a_first_numeric_check_loads_no_sympy():
    loaded = loaded_after(
        ["tutor.engine"],
        then=(
            "from tutor.engine import Factor, Problem, check_answer, parse\n"
            "p = Problem.from_text({'x': (2, 1)}, {'h': 'sigma(x)'})\n"
            "f = Factor(parse('diag(h*(1-h))', p.names), (2, 2))\n"
            "v = check_answer('h*(1-h)', f, p, p.samples[0])\n"
            "assert v.verdict == 'incorrect', v"
        ),
    )
    assert loaded == {"textual": False, "sympy": False}


def test_the_first_proof_loads_sympy_in_the_proof_worker_not_in_the_tutor():
    """The laziness test above could pass vacuously if no path ever used sympy: here a
    proof succeeds (sympy ran, in the worker process) and this process never loaded it."""
    loaded = loaded_after(
        ["tutor.engine"],
        then=(
            "from tutor.engine import Factor, Problem, check_answer, parse\n"
            "p = Problem.from_text({'x': (2, 1)}, {'h': 'sigma(x)'})\n"
            "f = Factor(parse('diag(h*(1-h))', p.names), (2, 2))\n"
            "v = check_answer('diag(h - h^2)', f, p, p.samples[0])\n"
            "assert v.symbolic is True, v"
        ),
    )
    assert loaded == {"textual": False, "sympy": False}
