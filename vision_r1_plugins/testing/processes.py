"""``vision-r1`` as a child process, for tests and benchmarks that run verl (Ray and verl log a lot, and a kill
test needs the command in its own process group)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def start_cli(
    *args: str, start_new_session: bool = False, cwd: str | Path | None = None, log: Path | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[str]:  # fmt: skip
    """Start ``vision-r1 ARGS`` with stdout and stderr captured together (into ``log`` when given: a verl run
    writes more than a pipe holds while nobody reads it). ``env`` is added to this process's environment."""
    environment = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    output = log.open("w") if log is not None else subprocess.PIPE
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "vision_r1_plugins.cli", *args], stdout=output, stderr=subprocess.STDOUT,
            text=True, env=environment, start_new_session=start_new_session, cwd=cwd,
        )  # fmt: skip
    finally:
        if log is not None:
            output.close()  # type: ignore[union-attr]  # the child holds its own copy


def finish(process: subprocess.Popen[str], timeout: float = 300, log: Path | None = None) -> tuple[int, str]:
    """Wait for a started command: its exit code and whole output (read from ``log`` if it was started with one)."""
    output, _ = process.communicate(timeout=timeout)
    return process.returncode, log.read_text() if log is not None else output
