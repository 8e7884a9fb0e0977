"""A package's face without its weight: the names a package exports, each imported from its
module when it is first used.

The picker's first paint reads the lesson index (tutor.lessons.index) and must not import
numpy, the engine or msgspec on the way; a package whose __init__ imported all its modules
would make `import tutor.lessons.index` pay for all of them. So a package names its face
here, and `from tutor.lessons import Lesson` still works, loading tutor.lessons.model then.
Modules inside tutor/ import from the module that holds a name, so that the import graph
(tests/unit/test_architecture.py) shows every dependency.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from importlib import import_module


def lazy_face(package: str, homes: Mapping[str, Sequence[str]]
              ) -> tuple[Callable[[str], object], Callable[[], list[str]], list[str]]:
    """`__getattr__`, `__dir__` and `__all__` for ``package``, whose ``homes`` map each of
    its modules to the names it gives the face."""
    where = {name: module for module, names in homes.items() for name in names}

    def __getattr__(name: str) -> object:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)  # found once, then an ordinary attribute
        return value

    def __dir__() -> list[str]:
        return sorted(set(where) | set(vars(sys.modules[package])))

    return __getattr__, __dir__, sorted(where)
