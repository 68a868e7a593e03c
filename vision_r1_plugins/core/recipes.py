"""The bundled recipes (``vision_r1_plugins/_data/recipes``) by name, and copying them out so that they run there.

In the bundle, files name each other relative to the recipes folder (``deepspeed: llamafactory/ds_z3_config.json``,
``CONFIG=${CONFIG:-llamafactory/vision_r1_cold_start_8gpu.yaml}``) and the launch scripts change into that folder
(``cd "$(dirname "$0")/.."``). Copying everything keeps that layout (``DIR/llamafactory``, ``DIR/verl``). One
recipe is copied flat into its folder, with what it needs (the DeepSpeed config it names, its launch script): its
references lose the framework folder, and its script changes into the folder it is in and defaults to that recipe.

``deepspeed:`` is made absolute in every copy. LLaMA-Factory passes the value to transformers'
``TrainingArguments``, whose DeepSpeed config is opened by accelerate's ``HfDeepSpeedConfig`` with a plain
``os.path.exists``/``open``: relative to the current folder, not to the YAML, so a relative path works from one
folder only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.core.files import write_text_atomically
from vision_r1_plugins.core.resources import data_path

ALL = "all"
FRAMEWORKS = ("llamafactory", "verl")
# How each framework's recipe is started from a copy (printed after a copy).
START = {"llamafactory": "llamafactory-cli train", "verl": "vision-r1 ptst run"}

_DEEPSPEED = re.compile(r"^(deepspeed:[ \t]*)(\S+)(.*)$", re.MULTILINE)
_SCRIPT_CD = 'cd "$(dirname "$0")/.."'
_SCRIPT_CONFIG = re.compile(r"CONFIG=\$\{CONFIG:-([^}]+)\}")


@dataclass(frozen=True)
class Recipe:
    """One bundled recipe: ``{framework}/{name}.yaml``, started by ``script`` (a file next to it) if it has one."""

    name: str
    framework: str
    description: str
    script: str | None = None

    @property
    def source(self) -> str:
        """The YAML, relative to the bundled recipes folder."""
        return f"{self.framework}/{self.name}.yaml"


RECIPES: tuple[Recipe, ...] = (
    Recipe(
        "vision_r1_cold_start_8gpu",
        "llamafactory",
        "cold-start SFT of Qwen2.5-VL-7B on Vision-R1-cold, the paper's settings (full FT, ZeRO-3), 1 node x 8 GPUs",
        "train_8gpu.sh",
    ),
    Recipe(
        "vision_r1_cold_start_32gpu",
        "llamafactory",
        "the same cold-start SFT on 4 nodes x 8 GPUs (the script runs on every node with NODE_RANK, MASTER_ADDR)",
        "train_32gpu.sh",
    ),
    Recipe(
        "vision_r1_bridged_8gpu",
        "llamafactory",
        "cold-start SFT on the data `vision-r1 bridge` built, the paper's settings, 1 node x 8 GPUs",
        "train_8gpu.sh",
    ),
    Recipe(
        "vision_r1_lora_1gpu",
        "llamafactory",
        "LoRA cold-start SFT on one GPU (rank 64, cutoff 8192): a cheap trial, not the paper's setting",
    ),
    Recipe(
        "vision_r1_ptst_8gpu",
        "verl",
        "Vision-R1: GRPO with PTST (4K x 16, then 8K x 8) from the cold-start checkpoint, 8 GPUs",
        "run_ptst.sh",
    ),
    Recipe(
        "vision_r1_zero_8gpu",
        "verl",
        "Vision-R1-Zero baseline: GRPO from the base model, format + accuracy reward, 8 GPUs",
        "run_zero.sh",
    ),
    Recipe("vision_r1_long_8gpu", "verl", "Vision-R1-Long baseline: one 16K x 4 stage, no PTST, 8 GPUs", "run_long.sh"),
)


@dataclass(frozen=True)
class CopiedRecipes:
    """What a copy wrote: ``recipes`` with the path of each one's YAML and launch script in the copy."""

    out: Path
    recipes: tuple[Recipe, ...]
    yamls: dict[str, Path]
    scripts: dict[str, Path]
    written: tuple[Path, ...]
    unchanged: tuple[Path, ...]


def list_recipes() -> tuple[Recipe, ...]:
    return RECIPES


def get_recipe(name: str) -> Recipe:
    for recipe in RECIPES:
        if recipe.name == name:
            return recipe
    names = ", ".join(recipe.name for recipe in RECIPES)
    raise UsageError(f"unknown recipe {name!r}; choose from {names}, or {ALL}")


def recipe_files(recipe: Recipe) -> tuple[str, ...]:
    """The bundled files a recipe needs, relative to the recipes folder: its YAML, the DeepSpeed config it names,
    its launch script."""
    files = [recipe.source]
    deepspeed = deepspeed_value(data_path("recipes", recipe.source).read_text(encoding="utf-8"))
    if deepspeed is not None:
        files.append(deepspeed)
    if recipe.script is not None:
        files.append(f"{recipe.framework}/{recipe.script}")
    return tuple(files)


def deepspeed_value(text: str) -> str | None:
    """The top-level ``deepspeed:`` value of a recipe's text (read as text, so that a copy keeps the comments)."""
    match = _DEEPSPEED.search(text)
    return match.group(2).strip("\"'") if match else None


def copy_recipes(name: str, out: Path, *, force: bool = False) -> CopiedRecipes:
    """Copy recipe ``name`` (with what it needs) flat into ``out``, or with ``name="all"`` every bundled file
    into ``out/llamafactory`` and ``out/verl``; paths are rewritten to work there (see the module docstring).

    Files that already exist with other contents are an error unless ``force``; nothing is written then.
    """
    root = data_path("recipes")
    out = out.expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} is a file; give a folder to copy the recipes into")
    if name == ALL:
        recipes = RECIPES
        sources = sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())
        targets = {source: out / source for source in sources}
    else:
        recipes = (get_recipe(name),)
        targets = {source: out / Path(source).name for source in recipe_files(recipes[0])}
    single = None if name == ALL else recipes[0]
    texts = {source: _rewrite(source, targets, single) for source in targets}
    unchanged = tuple(target for source, target in targets.items() if _holds(target, texts[source]))
    clashes = [target for target in targets.values() if target.exists() and target not in unchanged]
    if clashes and not force:
        shown = ", ".join(str(path.relative_to(out)) for path in clashes[:3])
        more = f" and {len(clashes) - 3} more" if len(clashes) > 3 else ""
        raise UsageError(f"{out} already has {shown}{more}; pass --force to overwrite")
    written = []
    for source, target in targets.items():
        if target in unchanged:
            continue
        write_text_atomically(target, texts[source])
        target.chmod(0o755 if target.suffix == ".sh" else 0o644)
        written.append(target)
    return CopiedRecipes(
        out=out,
        recipes=recipes,
        yamls={recipe.name: targets[recipe.source] for recipe in recipes},
        scripts={recipe.name: targets[f"{recipe.framework}/{recipe.script}"] for recipe in recipes if recipe.script},
        written=tuple(written),
        unchanged=unchanged,
    )


def _holds(path: Path, text: str) -> bool:
    return path.is_file() and path.read_text(encoding="utf-8") == text


def _rewrite(source: str, targets: dict[str, Path], recipe: Recipe | None) -> str:
    """``source``'s text for the copy: flat (one ``recipe``) or in the bundle's layout (``recipe=None``)."""
    text = data_path("recipes", source).read_text(encoding="utf-8")
    deepspeed = deepspeed_value(text) if source.endswith(".yaml") else None
    if recipe is not None:
        if source.endswith(".sh"):
            text = _replace_once(text, _SCRIPT_CD, 'cd "$(dirname "$0")"', source)
            if len(_SCRIPT_CONFIG.findall(text)) != 1:
                raise ValueError(f"bundled script {source} must set CONFIG=${{CONFIG:-...}} once")
            text = _SCRIPT_CONFIG.sub(lambda _: f"CONFIG=${{CONFIG:-{recipe.name}.yaml}}", text)
        # The copied files sit side by side, in comments (`bash llamafactory/train_8gpu.sh`) as well.
        for other in targets:
            text = text.replace(other, Path(other).name)
    if deepspeed is None:
        return text
    if deepspeed not in targets:
        raise ValueError(f"bundled recipe {source} names {deepspeed}, which is not in the bundled recipes folder")
    absolute = json.dumps(str(targets[deepspeed]))
    note = "  # absolute: LLaMA-Factory opens it relative to the current folder"
    return _DEEPSPEED.sub(lambda match: f"{match.group(1)}{absolute}{match.group(3) or note}", text, count=1)


def _replace_once(text: str, old: str, new: str, source: str) -> str:
    if text.count(old) != 1:
        raise ValueError(f"bundled script {source} must contain {old!r} once")
    return text.replace(old, new)
