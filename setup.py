"""Build hook: the wheel carries what the app needs besides its code (templates, static files, migrations,
translations, demo data) inside the package, under spaces/_files/. A checkout uses the folders at the top."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

FOLDERS = ("templates", "static", "migrations", "translations", "data")


class BuildWithFiles(build_py):
    """build_py, then copy the top-level folders the app reads into the built package."""

    def run(self):
        super().run()
        root = Path(__file__).resolve().parent
        target = Path(self.build_lib) / "spaces" / "_files"
        for name in FOLDERS:
            shutil.copytree(root / name, target / name, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildWithFiles})
