"""The project's error types. The CLI maps each to one or two lines on stderr and an exit code.

``UsageError``: the user asked for something that cannot work (a missing file, a bad option value, an unknown
name); rerunning with other arguments fixes it. ``RunError``: a run failed on the way (a stage crashed, a server
kept failing); the message says where. Both subclass ``ValueError``/``RuntimeError`` so that callers that catch
the built-in types keep working.
"""

from __future__ import annotations


class VisionR1Error(Exception):
    """Base class of the errors the CLI reports without a traceback."""

    exit_code = 1


class UsageError(VisionR1Error, ValueError):
    """Bad input or arguments: exit code 2."""

    exit_code = 2


class RunError(VisionR1Error, RuntimeError):
    """A run that started and failed: exit code 1."""

    exit_code = 1
