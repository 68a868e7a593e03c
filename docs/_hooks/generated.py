"""MkDocs hook: pages whose text is generated at build time, so that no reference is kept by hand.

- ``<!-- cli-reference -->`` becomes the reference of the ``vision-r1`` typer app, written by typer's own
  generator (``typer.cli.get_docs_for_click``, the code behind ``typer ... utils docs``);
- ``<!-- include: PATH -->`` becomes the file PATH of the repository (examples/README.md, data/README.md,
  CONTRIBUTING.md): the file stays the one source, beside what it describes. The page gives the title, so the
  file's own (its first line) is left out; its relative links, which point into the repository rather than into
  the site, become the repository path in code (a link to a file that does not exist fails the build).
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError

CLI_MARKER = "<!-- cli-reference -->"
INCLUDE = re.compile(r"<!-- include: (?P<path>[^ ]+) -->")
# A markdown link whose target is neither a URL nor an anchor: [text](target) or [text](target#anchor).
RELATIVE_LINK = re.compile(r"\[(?P<text>[^\]]+)\]\((?P<target>(?![a-z]+://|#|mailto:)[^)\s]+)\)")


def cli_reference() -> str:
    """The reference of every command of ``vision-r1``, from the app itself."""
    import typer
    import typer.cli
    import typer.main

    from vision_r1_plugins.cli.app import app

    command = typer.main.get_command(app)
    context = typer.Context(command, info_name="vision-r1")
    # indent=1: the page has its own title, so the app starts at the second level.
    text = typer.cli.get_docs_for_click(obj=command, ctx=context, indent=1, name="vision-r1", title="`vision-r1`")
    # Help texts name tags such as <think>: escaped, they show instead of vanishing as unknown HTML.
    return _escape_angle_brackets_outside_code(text)


def _escape_angle_brackets_outside_code(text: str) -> str:
    out: list[str] = []
    fenced = False
    for line in text.split("\n"):
        if line.startswith("```"):
            fenced = not fenced
        if not fenced:
            parts = line.split("`")
            # Even parts are outside inline code.
            line = "`".join(
                p.replace("<", "&lt;").replace(">", "&gt;") if i % 2 == 0 else p for i, p in enumerate(parts)
            )
        out.append(line)
    return "\n".join(out)


def included(path: str, root: Path) -> str:
    """The repository file ``path`` as part of a page (see the module docstring)."""
    source = root / path
    if not source.is_file():
        raise PluginError(f"docs include: {path} does not exist (named by an <!-- include: --> marker)")
    text = source.read_text(encoding="utf-8")
    # The page gives the title; the file's own comes off, and its sections become the page's.
    if text.startswith("# "):
        text = text.split("\n", 1)[1] if "\n" in text else ""
    folder = posixpath.dirname(path)

    def relink(match: re.Match[str]) -> str:
        target = match.group("target").split("#", 1)[0]
        repo_path = posixpath.normpath(posixpath.join(folder, target))
        if not (root / repo_path).exists():
            raise PluginError(f"docs include: {path} links to {target}, which does not exist")
        text = match.group("text")
        return text if text.strip("`") == repo_path else f"{text} (`{repo_path}`)"

    return RELATIVE_LINK.sub(relink, text)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    root = Path(config["config_file_path"]).parent
    if CLI_MARKER in markdown:
        markdown = markdown.replace(CLI_MARKER, cli_reference())
    return INCLUDE.sub(lambda m: included(m.group("path"), root), markdown)
