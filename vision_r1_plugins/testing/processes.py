"""``vision-r1`` as a child process, for tests and benchmarks that run verl (Ray and verl log a lot, and a kill
test needs the command in its own process group)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def start_cli(*args: str, start_new_session: bool = False, cwd: str | Path | None = None) -> subprocess.Popen[str]:
    """Start ``vision-r1 ARGS`` with stdout and stderr captured together."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "vision_r1_plugins.cli", *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, env=env, start_new_session=start_new_session, cwd=cwd,
    )  # fmt: skip


def finish(process: subprocess.Popen[str], timeout: float = 300) -> tuple[int, str]:
    """Wait for a started command: its exit code and whole output."""
    output, _ = process.communicate(timeout=timeout)
    return process.returncode, output
