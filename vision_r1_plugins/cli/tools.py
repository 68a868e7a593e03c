"""``vision-r1 demo``, ``vision-r1 recipes`` and ``vision-r1 tiny-model``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vision_r1_plugins.cli._options import console, hidden_alias, pick
from vision_r1_plugins.cli.app import app

recipes_app = typer.Typer(help="The bundled LLaMA-Factory and verl recipes.", no_args_is_help=True)
app.add_typer(recipes_app, name="recipes")


@recipes_app.command("list")
def recipes_list() -> None:
    """Print the bundled recipes (SFT configs, PTST schedules, launch scripts)."""
    from vision_r1_plugins.core.resources import data_path

    root = data_path("recipes")
    for path in sorted(root.rglob("*")):
        if path.is_file():
            console.print(str(path.relative_to(root)), markup=False)


@recipes_app.command("copy")
def recipes_copy(
    out: Annotated[Path, typer.Argument(help="Folder to copy the recipes into (llamafactory/, verl/).")],
    force: Annotated[bool, typer.Option(help="Overwrite files that already exist there.")] = False,
) -> None:
    """Copy the bundled recipes into a folder, to edit and run them."""
    import shutil

    from vision_r1_plugins.core.errors import UsageError
    from vision_r1_plugins.core.resources import data_path

    root = data_path("recipes")
    files = [path for path in sorted(root.rglob("*")) if path.is_file()]
    existing = [path.relative_to(root) for path in files if (out / path.relative_to(root)).exists()]
    if existing and not force:
        raise UsageError(f"{out} already has {', '.join(map(str, existing[:3]))}; pass --force to overwrite")
    for path in files:
        target = out / path.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    console.print(f"{len(files)} files copied to {out}", markup=False)


@app.command("tiny-model")
def tiny_model(
    out: Annotated[Path, typer.Argument(help="Directory to write the model, processor and tokenizer to.")],
    seed: Annotated[int, typer.Option(help="Same seed, same weights.")] = 0,
) -> None:
    """Build a randomly initialised tiny Qwen2.5-VL offline (for tests, demos and CPU dry runs)."""
    from vision_r1_plugins.testing.tiny import build_tiny_qwen2_5_vl

    path = build_tiny_qwen2_5_vl(out, seed=seed)
    console.print(f"tiny Qwen2.5-VL written to {path} (random weights: it runs, it does not reason)", markup=False)


@app.command("demo")
def demo(
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Where the demo writes its outputs.")] = None,
    steps: Annotated[
        list[str] | None,
        typer.Option(
            "--step", help="Run only these steps and what they need (repeatable): reward, model, bridge, sft, rl, eval."
        ),
    ] = None,
    workdir: Annotated[Path | None, hidden_alias("--workdir", "--out")] = None,
) -> None:
    """Run the pipeline on the bundled sample, offline."""
    from vision_r1_plugins.demo import DemoStep, run_demo

    target = pick(out, workdir, "--workdir", "--out") or Path("runs/demo")

    def show(step: DemoStep) -> None:
        console.print(f"[bold]{step.title}[/bold]")
        for line in step.lines:
            console.print(f"  {line}", markup=False)
        for path in step.outputs:
            console.print(f"  -> {path}", markup=False)

    run_demo(target, on_step=show, steps=steps)
    console.print(
        "The model is random: bridged samples fail the answer check, and the scores and losses show that the "
        "pipeline runs, not that it reasons."
    )
