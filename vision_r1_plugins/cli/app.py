"""The ``vision-r1`` application: its command groups, ``--version``/``--debug``, and the error mapping.

Every command module only parses arguments, calls library functions and prints. Errors raised anywhere below
reach :class:`_ErrorMappingGroup`, the one place that turns them into a short message and an exit code.
"""

from __future__ import annotations

import os
import sys
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Any

import typer
from typer.core import TyperGroup
from typer.exceptions import TyperException

from vision_r1_plugins.cli._errors import DEBUG_ENV, debug_enabled, report


class _ErrorMappingGroup(TyperGroup):
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, TyperException):  # exits, and typer's own usage errors (it shows them)
            raise
        except (Exception, KeyboardInterrupt) as error:
            if debug_enabled():
                raise
            raise typer.Exit(report(error)) from error


def _package_version() -> str:
    try:
        return version("vision-r1-plugins")
    except PackageNotFoundError:
        return "unknown"


app = typer.Typer(
    cls=_ErrorMappingGroup,
    help="Vision-R1 as plugins for LLaMA-Factory and verl.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"vision-r1-plugins {_package_version()}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help=f"Show tracebacks (also {DEBUG_ENV}=1).")] = False,
    show_version: Annotated[
        bool, typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    if debug:
        os.environ[DEBUG_ENV] = "1"


def _register() -> None:
    # Imported here, not at the top: each module adds its commands to `app` (and imports only typer/rich).
    from vision_r1_plugins.cli import bridge, data, eval, lf, recipes, reward, rl, tools  # noqa: F401


_register()


def main(argv: list[str] | None = None) -> None:
    """The console script. A user's mistake prints one or two lines and exits 2; a failed run exits 1."""
    sys.exit(app(args=argv, prog_name="vision-r1", standalone_mode=True))
