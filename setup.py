"""Build hook: ship the top-level ``lessons/`` folder in the wheel as ``tutor/lessons/curriculum``.

The curriculum lives at the top of the repository so authors find it; users who
``pip install`` the project still need it, so it is copied into the package at
build time (an editable install reads it from the repository instead).
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithLessons(build_py):
    def run(self) -> None:
        super().run()
        source = Path(__file__).parent / "lessons"
        target = Path(self.build_lib) / "tutor" / "lessons" / "curriculum"
        target.mkdir(parents=True, exist_ok=True)
        for lesson in sorted(source.glob("*.toml")):
            shutil.copy2(lesson, target / lesson.name)


setup(cmdclass={"build_py": BuildWithLessons})
