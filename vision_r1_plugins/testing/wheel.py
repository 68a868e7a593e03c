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
    """Build the sdist of the checkout at ``root`` (from a copy, so setuptools' build/ stays out of it), the wheel
    from that sdist, as a package index would (no build isolation: this environment's setuptools builds them,
    offline), and install the wheel into ``folder/env``. ``examples/`` and ``data/`` reach the wheel only through
    the sdist (MANIFEST.in) and setup.py's build-time copy, so this proves both."""
    wheels, source, unpacked = folder / "wheels", folder / "source", folder / "sdist"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("vision_r1_plugins", "examples", "data"):
        shutil.copytree(root / name, source / name, ignore=ignore)
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        shutil.copy2(root / name, source / name)
    sdist = (
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from setuptools import build_meta; print(build_meta.build_sdist(sys.argv[1]))",
                str(folder / "dist"),
            ],
            cwd=source,
            check=True,
            capture_output=True,
            text=True,
            timeout=600,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    shutil.unpack_archive(folder / "dist" / sdist, unpacked)
    (sdist_root,) = unpacked.iterdir()
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
            str(sdist_root),
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
