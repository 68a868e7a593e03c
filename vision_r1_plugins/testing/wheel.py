"""This project's wheel, built and installed into a fresh virtual environment outside the repository, for the
tests that check what an installed copy (not the checkout) does. The fresh environment takes its dependencies from
the running one's site-packages, so it is offline and fast."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class InstalledWheel:
    python: Path  # the fresh environment's interpreter
    site: Path  # its site-packages, where the wheel went
    env: dict[str, str]  # a process environment without PYTHONPATH/VIRTUAL_ENV: only the wheel can be imported

    @property
    def cli(self) -> Path:
        return self.python.with_name("vision-r1")


def install_wheel(root: Path, folder: Path) -> InstalledWheel:
    """Build the wheel of the checkout at ``root`` (from a copy, so setuptools' build/ stays out of it; no build
    isolation: this environment's setuptools builds it, offline) and install it into ``folder/env``."""
    wheels, source = folder / "wheels", folder / "source"
    shutil.copytree(
        root / "vision_r1_plugins", source / "vision_r1_plugins", ignore=shutil.ignore_patterns("__pycache__")
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(root / name, source / name)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(wheels),
            str(source),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    (wheel,) = wheels.glob("vision_r1_plugins-*.whl")
    target = folder / "env"
    venv.EnvBuilder(with_pip=False).create(target)
    python = target / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # Dependencies come from this environment, appended after the fresh one's own site-packages (a plain .pth
    # line: this environment's own .pth files, its editable install among them, are not processed).
    Path(site, "project-deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", str(wheel)],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return InstalledWheel(python, Path(site), env)
