"""``vision-r1 recipes list`` and ``vision-r1 recipes copy NAME DIR``: the LLaMA-Factory and verl recipes in
``examples/`` (in a wheel, the copy shipped inside the package)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vision_r1_plugins.cli._options import console
from vision_r1_plugins.cli.app import app

recipes_app = typer.Typer(help="The LLaMA-Factory and verl recipes in examples/.", no_args_is_help=True)
app.add_typer(recipes_app, name="recipes")
# One logical line each: the terminal wraps long ones, and a path stays whole for copy and paste.
_LINE = {"markup": False, "soft_wrap": True}


@recipes_app.command("list")
def recipes_list() -> None:
    """Print each recipe's name, framework and what it is."""
    from vision_r1_plugins.core.recipes import list_recipes

    recipes = list_recipes()
    width = max(len(recipe.name) for recipe in recipes)
    for recipe in recipes:
        console.print(f"{recipe.name:<{width}}  {recipe.framework:<12}  {recipe.description}", **_LINE)
    console.print("`vision-r1 recipes copy NAME DIR` copies one with what it needs; all copies every one.", **_LINE)


@recipes_app.command("copy")
def recipes_copy(
    name: Annotated[str, typer.Argument(metavar="NAME", help="A recipe from `vision-r1 recipes list`, or all.")],
    out: Annotated[
        Path | None,
        typer.Argument(metavar="DIR", help="Folder to copy into (given alone, it is DIR and all are copied)."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite files that already exist there.")] = False,
) -> None:
    """Copy a recipe and what it needs (DeepSpeed config, launch script) into DIR, its paths rewritten to work there."""
    from vision_r1_plugins.core.errors import UsageError
    from vision_r1_plugins.core.recipes import ALL, START, copy_recipes, list_recipes
    from vision_r1_plugins.core.resources import RECIPE_FOLDERS

    if out is None:  # the older spelling, `recipes copy DIR`
        if name == ALL or name in {recipe.name for recipe in list_recipes()}:
            raise UsageError(f"give the folder to copy into: vision-r1 recipes copy {name} DIR")
        name, out = ALL, Path(name)
    copied = copy_recipes(name, out, force=force)
    kept = f" ({len(copied.unchanged)} already there, unchanged)" if copied.unchanged else ""
    console.print(f"{len(copied.written)} files copied to {copied.out}{kept}", **_LINE)
    if name == ALL:
        for framework, start in START.items():
            folder = copied.out.joinpath("examples", *RECIPE_FOLDERS[framework])
            console.print(f"  run one: {start} {folder}/NAME.yaml", **_LINE)
        return
    (recipe,) = copied.recipes
    script = copied.scripts.get(recipe.name)
    also = f"   or: bash {script}" if script else ""
    console.print(f"  run: {START[recipe.framework]} {copied.yamls[recipe.name]}{also}", **_LINE)
