"""The recipes in ``examples/`` by name, found from the files, and copying them out so that they run elsewhere.

A recipe is a YAML in ``examples/llamafactory`` (an SFT config) or ``examples/verl/schedules`` (a PTST schedule).
Its first line is its description (``# what it is``) and a header line ``# launch script: examples/...sh`` names
its launch script; adding a file adds a recipe. As in LLaMA-Factory's and verl's own examples, files name each
other relative to the repository root (``deepspeed: examples/deepspeed/ds_z3_config.json``, ``dataset_dir:
data``), and the launch scripts change into it (``cd "$(dirname "$0")/../.."``).

Copying everything (``all``) keeps that layout under DIR (``DIR/examples/...``, ``DIR/data/dataset_info.json``),
so DIR works as the repository root does. One recipe is copied flat into DIR with what it needs (the DeepSpeed
config it names, its launch script, and ``data/dataset_info.json`` when its ``dataset_dir`` is ``data``): its
references lose their folders, and its script changes into DIR and defaults to that recipe.

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
from vision_r1_plugins.core.resources import RECIPE_FOLDERS, shipped_root

ALL = "all"
FRAMEWORKS = tuple(RECIPE_FOLDERS)
# How each framework's recipe is started from a copy (printed after a copy).
START = {"llamafactory": "llamafactory-cli train", "verl": "vision-r1 ptst run"}
# What `copy all` takes: the examples a recipe can use (not examples/python, which uses the Python API) and the
# dataset registry that `dataset_dir: data` reads.
COPIED_EXAMPLES = ("llamafactory", "deepspeed", "verl")
DATASET_INFO = "data/dataset_info.json"

_DEEPSPEED = re.compile(r"^(deepspeed:[ \t]*)(\S+)(.*)$", re.MULTILINE)
_DATASET_DIR = re.compile(r"^dataset_dir:[ \t]*(\S+)", re.MULTILINE)
_SCRIPT_KEY = re.compile(r"^#[ \t]*launch script:[ \t]*(\S+)[ \t]*$", re.MULTILINE)
_SCRIPT_CD = 'cd "$(dirname "$0")/../.."'
_SCRIPT_CONFIG = re.compile(r"CONFIG=\$\{CONFIG:-([^}]+)\}")


@dataclass(frozen=True)
class Recipe:
    """One recipe: ``source`` (its YAML), started by ``script_source`` if it has a launch script. Paths are
    relative to the repository root."""

    name: str
    framework: str
    description: str
    script_source: str | None = None

    @property
    def source(self) -> str:
        return "/".join(("examples", *RECIPE_FOLDERS[self.framework], f"{self.name}.yaml"))

    @property
    def script(self) -> str | None:
        """The launch script's file name."""
        return None if self.script_source is None else Path(self.script_source).name


@dataclass(frozen=True)
class CopiedRecipes:
    """What a copy wrote: ``recipes`` with the path of each one's YAML and launch script in the copy."""

    out: Path
    recipes: tuple[Recipe, ...]
    yamls: dict[str, Path]
    scripts: dict[str, Path]
    written: tuple[Path, ...]
    unchanged: tuple[Path, ...]


def _read(source: str) -> str:
    return (shipped_root() / source).read_text(encoding="utf-8")


def _from_file(framework: str, path: Path) -> Recipe:
    text = path.read_text(encoding="utf-8")
    first = text.splitlines()[0] if text else ""
    if not first.startswith("# "):
        raise ValueError(f"recipe {path} must start with a '# description' line")
    script = _SCRIPT_KEY.search(text)
    return Recipe(path.stem, framework, first[2:].strip(), script.group(1) if script else None)


def list_recipes() -> tuple[Recipe, ...]:
    """Every recipe, LLaMA-Factory's first, each framework's by name."""
    root = shipped_root() / "examples"
    return tuple(
        _from_file(framework, path)
        for framework, folder in RECIPE_FOLDERS.items()
        for path in sorted(root.joinpath(*folder).glob("*.yaml"))
    )


def get_recipe(name: str) -> Recipe:
    """A recipe by name; a file spelling (``verl/vision_r1_ptst_8gpu.yaml``) names the recipe it ends in."""
    wanted = Path(name).stem if name.endswith(".yaml") else name
    recipes = list_recipes()
    for recipe in recipes:
        if recipe.name == wanted:
            return recipe
    names = ", ".join(recipe.name for recipe in recipes)
    raise UsageError(f"unknown recipe {name!r}; choose from {names}, or {ALL}")


def recipe_files(recipe: Recipe) -> tuple[str, ...]:
    """The files a recipe needs, relative to the repository root: its YAML, the DeepSpeed config it names, its
    launch script, and the dataset registry when it reads ``dataset_dir: data``."""
    text = _read(recipe.source)
    files = [recipe.source]
    deepspeed = deepspeed_value(text)
    if deepspeed is not None:
        files.append(deepspeed)
    if recipe.script_source is not None:
        files.append(recipe.script_source)
    if dataset_dir_value(text) == "data":
        files.append(DATASET_INFO)
    return tuple(files)


def deepspeed_value(text: str) -> str | None:
    """The top-level ``deepspeed:`` value of a recipe's text (read as text, so that a copy keeps the comments)."""
    match = _DEEPSPEED.search(text)
    return match.group(2).strip("\"'") if match else None


def dataset_dir_value(text: str) -> str | None:
    match = _DATASET_DIR.search(text)
    return match.group(1).strip("\"'") if match else None


def shipped_files() -> tuple[str, ...]:
    """Every file ``copy all`` copies, relative to the repository root."""
    root = shipped_root()
    files = [
        str(path.relative_to(root))
        for folder in COPIED_EXAMPLES
        for path in root.joinpath("examples", folder).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    ]
    return (*sorted(files), DATASET_INFO)


def copy_recipes(name: str, out: Path, *, force: bool = False) -> CopiedRecipes:
    """Copy recipe ``name`` (with what it needs) flat into ``out``, or with ``name="all"`` every recipe file in the
    repository's layout under ``out``; paths are rewritten to work there (see the module docstring).

    Files that already exist with other contents are an error unless ``force``; nothing is written then.
    """
    out = out.expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} is a file; give a folder to copy the recipes into")
    if name == ALL:
        recipes = list_recipes()
        targets = {source: out / source for source in shipped_files()}
    else:
        recipes = (get_recipe(name),)
        targets = {source: out / _flat(source) for source in recipe_files(recipes[0])}
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
        scripts={recipe.name: targets[recipe.script_source] for recipe in recipes if recipe.script_source},
        written=tuple(written),
        unchanged=unchanged,
    )


def _flat(source: str) -> str:
    """Where a file of one recipe lands in its copy: beside the YAML, except the dataset registry, which stays in
    ``data/`` for the recipe's ``dataset_dir: data``."""
    return source if source == DATASET_INFO else Path(source).name


def _holds(path: Path, text: str) -> bool:
    return path.is_file() and path.read_text(encoding="utf-8") == text


def _rewrite(source: str, targets: dict[str, Path], recipe: Recipe | None) -> str:
    """``source``'s text for the copy: flat (one ``recipe``) or in the repository's layout (``recipe=None``)."""
    text = _read(source)
    deepspeed = deepspeed_value(text) if source.endswith(".yaml") else None
    if recipe is not None:
        if source.endswith(".sh"):
            text = _replace_once(text, _SCRIPT_CD, 'cd "$(dirname "$0")"', source)
            if len(_SCRIPT_CONFIG.findall(text)) != 1:
                raise ValueError(f"script {source} must set CONFIG=${{CONFIG:-...}} once")
            text = _SCRIPT_CONFIG.sub(lambda _: f"CONFIG=${{CONFIG:-{recipe.name}.yaml}}", text)
        # The copied files sit side by side, in comments (`bash examples/llamafactory/train_8gpu.sh`) as well.
        for other in targets:
            if other != DATASET_INFO:
                text = text.replace(other, Path(other).name)
    if deepspeed is None:
        return text
    if deepspeed not in targets:
        raise ValueError(f"recipe {source} names {deepspeed}, which is not a file in examples/")
    absolute = json.dumps(str(targets[deepspeed]))
    note = "  # absolute: LLaMA-Factory opens it relative to the current folder"
    return _DEEPSPEED.sub(lambda match: f"{match.group(1)}{absolute}{match.group(3) or note}", text, count=1)


def _replace_once(text: str, old: str, new: str, source: str) -> str:
    if text.count(old) != 1:
        raise ValueError(f"script {source} must contain {old!r} once")
    return text.replace(old, new)
