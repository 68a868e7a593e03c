"""The ``vision-r1`` command line: one module per command group, shared options in ``_options``, one error
formatter in ``_errors``. Library code never prints; these modules do."""

from vision_r1_plugins.cli.app import app, main

__all__ = ["app", "main"]
