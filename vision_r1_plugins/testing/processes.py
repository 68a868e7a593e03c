"""``vision-r1`` as a child process, for tests and benchmarks that run verl (Ray and verl log a lot, and a kill
test needs the command in its own process group)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def start_cli(
    *args: str,
    start_new_session: bool = False,
    cwd: str | Path | None = None,
    log: Path | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[str]:
    """Start ``vision-r1 ARGS`` with stdout and stderr captured together (into ``log`` when given: a verl run
    writes more than a pipe holds while nobody reads it). ``env`` is added to this process's environment."""
    environment = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    output = log.open("w") if log is not None else subprocess.PIPE
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "vision_r1_plugins.cli", *args],
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
            env=environment,
            start_new_session=start_new_session,
            cwd=cwd,
        )
    finally:
        if log is not None:
            output.close()  # type: ignore[union-attr]  # the child holds its own copy


def finish(process: subprocess.Popen[str], timeout: float = 300, log: Path | None = None) -> tuple[int, str]:
    """Wait for a started command: its exit code and whole output (read from ``log`` if it was started with one)."""
    output, _ = process.communicate(timeout=timeout)
    return process.returncode, log.read_text() if log is not None else output


def wait_for_results(store: Path, results: int, process: subprocess.Popen[str], timeout: float = 120) -> None:
    """Return once the result store ``store`` (a run's ``requests.sqlite`` / ``responses.sqlite``) holds
    ``results`` results while ``process`` still runs: the moment a kill test strikes, so that it lands mid-run."""
    import time

    from vision_r1_plugins.core.store import count_results

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if count_results(store) >= results:
            return
        time.sleep(0.02)
    raise AssertionError(f"the run ended before {results} results were stored: the kill must land mid-run")
