"""``vision-r1 demo`` and ``vision-r1 tiny-model``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vision_r1_plugins.cli._options import console, hidden_alias, pick
from vision_r1_plugins.cli.app import app


@app.command("tiny-model")
def tiny_model(
    out: Annotated[Path, typer.Argument(help="Directory to write the model, processor and tokenizer to.")],
    seed: Annotated[int, typer.Option(help="Same seed, same weights.")] = 0,
    head_dim: Annotated[
        int,
        typer.Option(
            help="Size of the language model's attention heads (4 heads; a multiple of 8). vLLM's CPU attention "
            "needs 32 or more (32, 64, 80, 96, 112, 128, ...).",
        ),
    ] = 16,
) -> None:
    """Build a randomly initialised tiny Qwen2.5-VL offline (for tests, demos and CPU dry runs)."""
    from vision_r1_plugins.core.errors import UsageError
    from vision_r1_plugins.testing.tiny import build_tiny_qwen2_5_vl, check_head_dim

    try:
        check_head_dim(head_dim)
    except ValueError as error:
        raise UsageError(f"--head-dim: {error}") from None
    path = build_tiny_qwen2_5_vl(out, seed=seed, head_dim=head_dim)
    console.print(
        f"tiny Qwen2.5-VL (head_dim {head_dim}) written to {path} (random weights: it runs, it does not reason)",
        markup=False,
    )


@app.command("demo")
def demo(
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Where the demo writes its outputs.")] = None,
    steps: Annotated[
        list[str] | None,
        typer.Option(
            "--step",
            help="Run only these steps and what they need (repeatable): reward, model, task, bridge, sft, rl, eval.",
        ),
    ] = None,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the model, the toy task, the teacher, SFT, RL and the sampling.")
    ] = 0,
    workdir: Annotated[Path | None, hidden_alias("--workdir", "--out")] = None,
) -> None:
    """Run the pipeline on a toy task, offline: teacher server, bridge, SFT, GRPO with PTST, evaluation. Writes
    OUT/learning.json (held-out accuracy of the base, SFT and RL models, reward per PTST stage)."""
    import time

    from vision_r1_plugins.demo import STAND_INS, DemoStep, run_demo

    target = pick(out, workdir, "--workdir", "--out") or Path("runs/demo")
    started = time.monotonic()

    def say(text: str) -> None:
        # One line per call (soft_wrap): a narrow terminal wraps a long one instead of Rich splitting it.
        console.print(text, markup=False, soft_wrap=True)

    root = target.absolute()  # the steps report absolute paths

    def short(path: Path | None) -> str:
        return str(path.relative_to(root)) if path is not None and path.is_relative_to(root) else str(path)

    say(f"vision-r1 demo: the recipe on a toy task, offline, seed {seed}, in {target} (framework logs: {target}/logs)")

    def show(step: DemoStep) -> None:
        for number, line in enumerate(step.lines or [""]):
            say(f"{step.name if number == 0 else '':<7} {line}")
        outputs = ", ".join(short(path) for path in step.outputs)
        say(f"{'':<7} -> {outputs}  ({step.seconds:.0f} s, log {short(step.log)})")

    run_demo(target, on_step=show, steps=steps, seed=seed)
    say(f"Done in {time.monotonic() - started:.0f} s. The data flow is real; these parts are stand-ins:")
    for part, what, real in STAND_INS:
        say(f"  {part:<8} {what}")
        say(f"  {'':<8} real: {real}")
