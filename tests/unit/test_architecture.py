"""The core (engine, lessons, networks, progress, the report, the CLI's screenless commands)
works without Textual, and never reaches into the app (tutor.app) that is built on it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TUTOR = ROOT / "tutor"
CORE = ["tutor.engine", "tutor.lessons.load", "tutor.lessons.validation",
        "tutor.networks.generator", "tutor.networks.draft", "tutor.markup", "tutor.progress",
        "tutor.report", "tutor.session", "tutor.cli"]

# The core is every module of tutor/ outside tutor/app/ (Textual) and tutor/web/ (the web
# server, which starts the tutor as a separate program), but for those that launch the
# app: tutor/cli/ starts it (importing tutor.app inside a subcommand's function);
# __main__.py runs the CLI. A module added to tutor/ is core unless it is put in one of them.
SCREENS = {"app", "web"}
LAUNCHERS = {"cli/command.py", "cli/networks.py", "cli/instructor.py", "__main__.py"}
CORE_FILES = sorted(
    path for path in TUTOR.rglob("*.py")
    if path.relative_to(TUTOR).parts[0] not in SCREENS
    and path.relative_to(TUTOR).as_posix() not in LAUNCHERS
)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_forbidden(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in ("textual", "tutor.app"))


def test_core_modules_import_neither_textual_nor_sympy():
    probe = (
        "import sys\n"
        + "".join(f"import {module}\n" for module in CORE)
        + "print(sorted(m for m in ('textual', 'sympy') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            cwd=ROOT, check=True)
    assert result.stdout.strip() == "[]"


def test_no_core_source_file_mentions_textual():
    offenders = [p.name for p in CORE_FILES if "textual" in p.read_text(encoding="utf-8")]
    assert offenders == []


def test_the_core_is_every_module_outside_the_app_but_the_launchers():
    names = {module_name(path) for path in CORE_FILES}
    package = {module_name(path) for path in (TUTOR / "progress").glob("*.py")}
    engine = {module_name(path) for path in (TUTOR / "engine").glob("*.py")}
    named = {"tutor.report", "tutor.report.build", "tutor.lessons.index", "tutor.seeds",
             "tutor.rules", "tutor.lessons", "tutor.lessons.model", "tutor.networks.generator",
             "tutor.progress.store", "tutor.progress.export", "tutor.session", "tutor.cli.parser"}
    assert package | engine | named <= names
    assert not any(is_forbidden(name) for name in names)
    assert "tutor.cli.command" not in names and "tutor.web.serve" not in names


def test_no_core_module_imports_textual_or_the_app_anywhere():
    """Imports inside functions too: a core function that opened a screen would make
    the core unusable without Textual as soon as it ran, not when it was imported."""
    offenders = []
    for path in CORE_FILES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            offenders += [f"{module_name(path)}:{node.lineno} imports {module}"
                          for module in modules if is_forbidden(module)]
    assert offenders == []


def test_importing_any_core_module_loads_neither_textual_nor_the_app():
    modules = [module_name(path) for path in CORE_FILES] + ["tutor.cli", "tutor.cli.networks",
                                                          "tutor.cli.instructor"]
    probe = (
        "import sys\n"
        + "".join(f"import {module}\n" for module in modules)
        + "print(sorted(m for m in sys.modules"
        " if m.split('.')[0] == 'textual' or m.startswith('tutor.app')))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            cwd=ROOT, check=True)
    assert result.stdout.strip() == "[]"


def _tutor_imports(path: Path, module: str, modules: set[str]) -> set[str]:
    """The modules of tutor/ that ``path`` imports, anywhere in it (a function's import
    is a dependency too), but for those under ``if TYPE_CHECKING:``, which never run."""
    found: set[str] = set()

    class Imports(ast.NodeVisitor):
        def visit_If(self, node: ast.If) -> None:
            test = node.test
            if getattr(test, "id", None) == "TYPE_CHECKING" or \
                    getattr(test, "attr", None) == "TYPE_CHECKING":
                for child in node.orelse:
                    self.visit(child)
                return
            self.generic_visit(node)

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            if node.module and node.module.startswith("tutor"):
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)

        def visit_Import(self, node: ast.Import) -> None:
            found.update(alias.name for alias in node.names)

    Imports().visit(ast.parse(path.read_text(encoding="utf-8")))
    # A package and its own modules (an __init__ giving a package's face) are one room.
    return {name for name in found & modules
            if name != module and not name.startswith(module + ".")
            and not module.startswith(name + ".")}


def test_no_module_of_tutor_imports_one_that_imports_it_back():
    """The import graph inside tutor/ has no cycle, so each module can be read (and
    tested) after the ones it uses: the export format and its file reader went one way."""
    paths = {}
    for path in TUTOR.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        paths[name] = path
    graph = {name: _tutor_imports(path, name, set(paths)) for name, path in paths.items()}
    cycles = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for used in sorted(graph[name]):
            if state.get(used) == 1:
                cycles.append(trail[trail.index(used):] + [used])
            elif used not in state:
                visit(used, [*trail, used])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles, cycles


MAX_LINES = 500  # the habit (../shared/style.md): past it, a module holds two things


def test_no_module_is_past_the_habit_of_500_lines():
    long = {module_name(path): lines for path in TUTOR.rglob("*.py")
            if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_the_top_level_keeps_only_what_every_package_shares():
    """The folders are the picture: a module of its own at the top of tutor/ is one that
    several packages use (or the session, the screens' one door), and there are few."""
    top = sorted(path.name for path in TUTOR.glob("*.py"))
    assert len(top) <= 10, top
    packages = sorted(path.name for path in TUTOR.iterdir()
                      if (path / "__init__.py").is_file())
    assert packages == ["app", "cli", "engine", "lessons", "networks", "progress", "report",
                        "web"]
