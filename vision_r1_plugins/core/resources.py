"""Files bundled with the package (``vision_r1_plugins/_data``), found through importlib.resources so that an
installed wheel has them as well as a clone of the repository."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_PACKAGE = "vision_r1_plugins._data"


def data_path(*parts: str) -> Path:
    """A bundled file or folder, e.g. ``data_path("samples", "responses.jsonl")``.

    Wheels and editable installs unpack package data to real files, so a concrete ``Path`` is returned; the
    few zip-imported installs that would need extraction are not supported.
    """
    path = Path(str(resources.files(_PACKAGE).joinpath(*parts)))
    if not path.exists():
        raise FileNotFoundError(f"bundled file {'/'.join(parts)} is missing from the installed package at {path}")
    return path


def sample_problems() -> Path:
    """The 36 bundled sample problems (geometry, charts, counting) with their images."""
    return data_path("samples", "problems", "problems.jsonl")


def sample_responses() -> Path:
    return data_path("samples", "responses.jsonl")


def recipe(*parts: str) -> Path:
    """A bundled recipe: ``recipe("verl", "vision_r1_ptst_8gpu.yaml")``."""
    return data_path("recipes", *parts)
