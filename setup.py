"""Build-time copy of the repository's ``examples/`` and ``data/`` into the package.

A checkout reads them at the top level (see ``vision_r1_plugins/core/resources.py``); a wheel has no repository,
so they are copied into ``vision_r1_plugins/_data/`` of the build. The rest of the metadata is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = ("examples", "data")


class BuildPyWithExamples(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install imports from the checkout, which has the folders
            return
        target = Path(self.build_lib) / "vision_r1_plugins" / "_data"
        for name in SHIPPED:
            shutil.rmtree(target / name, ignore_errors=True)
            shutil.copytree(ROOT / name, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildPyWithExamples})
