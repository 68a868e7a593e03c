"""The CLI's one error formatter: an exception becomes one or two lines on stderr and an exit code.

Exit codes: 2 for a usage error (bad arguments or input: fix the command), 1 for a run that failed, 130 for
Ctrl-C. The traceback shows only with ``--debug`` or ``VISION_R1_DEBUG=1``.
"""

from __future__ import annotations

import os

from rich.console import Console
from rich.markup import escape

from vision_r1_plugins.core.errors import VisionR1Error

DEBUG_ENV = "VISION_R1_DEBUG"
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def debug_enabled() -> bool:
    return os.environ.get(DEBUG_ENV, "").strip().lower() in ("1", "true", "yes")


def describe(error: BaseException) -> tuple[str, int]:
    """The message and exit code for ``error``."""
    if isinstance(error, KeyboardInterrupt):
        return "interrupted", 130
    if isinstance(error, VisionR1Error):
        return str(error), error.exit_code
    if isinstance(error, ValueError):
        return str(error), 2
    if isinstance(error, OSError):
        return str(error), 1
    return f"internal error: {type(error).__name__}: {error} (rerun with --debug for the traceback)", 1


def report(error: BaseException) -> int:
    message, code = describe(error)
    stderr.print(f"[red]error:[/red] {escape(message)}")
    return code


def warn(message: str) -> None:
    stderr.print(f"[yellow]note:[/yellow] {escape(message)}")
