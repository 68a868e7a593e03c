"""The recipes (``examples/``) and the sample data (``data/``), wherever the package runs from.

In a checkout they are the repository's own top-level folders, so an edit there is what the code reads. An
installed wheel has no repository: ``setup.py`` copies both folders into the package at build time
(``vision_r1_plugins/_data/examples`` and ``vision_r1_plugins/_data/data``), and they are read there.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]
# The files `vision-r1 recipes` knows, per framework, relative to the examples folder.
RECIPE_FOLDERS = {"llamafactory": ("llamafactory",), "verl": ("verl", "schedules")}


def _checkout() -> Path | None:
    """The repository root when the package is imported from a checkout (or an editable install of one)."""
    root = _PACKAGE.parent
    if (root / "pyproject.toml").is_file() and (root / "examples").is_dir() and (root / "data").is_dir():
        return root
    return None


def shipped_root() -> Path:
    """The folder that holds ``examples/`` and ``data/``: the repository root, or the wheel's copy."""
    return _checkout() or _PACKAGE / "_data"


def _existing(path: Path, parts: tuple[str, ...], folder: str) -> Path:
    if not path.exists():
        raise FileNotFoundError(f"{folder}/{'/'.join(parts)} is missing (looked for {path})")
    return path


def examples_path(*parts: str) -> Path:
    """A file or folder under ``examples/``, e.g. ``examples_path("deepspeed", "ds_z3_config.json")``."""
    return _existing(shipped_root().joinpath("examples", *parts), parts, "examples")


def data_path(*parts: str) -> Path:
    """A file or folder under ``data/``, e.g. ``data_path("samples", "responses.jsonl")``."""
    return _existing(shipped_root().joinpath("data", *parts), parts, "data")


def sample_problems() -> Path:
    """The 36 sample problems (geometry, charts, counting) with their images: ``data/samples/problems``."""
    return data_path("samples", "problems", "problems.jsonl")


def sample_responses() -> Path:
    return data_path("samples", "responses.jsonl")


def recipe(framework: str, *parts: str) -> Path:
    """A recipe file or a framework's recipe folder: ``recipe("verl", "vision_r1_ptst_8gpu.yaml")`` is the PTST
    schedule in ``examples/verl/schedules``, ``recipe("llamafactory")`` the SFT recipes' folder."""
    if framework not in RECIPE_FOLDERS:
        raise ValueError(f"unknown framework {framework!r}; recipes are for {sorted(RECIPE_FOLDERS)}")
    return examples_path(*RECIPE_FOLDERS[framework], *parts)
