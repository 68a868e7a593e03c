"""Where examples/ and data/ are read from: the repository root in a checkout, the package's copy in a wheel."""

from __future__ import annotations

from pathlib import Path

import pytest

from vision_r1_plugins.core import resources

ROOT = Path(__file__).resolve().parents[2]


def test_a_checkout_reads_the_top_level_folders() -> None:
    assert resources.shipped_root() == ROOT
    assert resources.data_path("dataset_info.json") == ROOT / "data" / "dataset_info.json"
    assert resources.sample_problems() == ROOT / "data" / "samples" / "problems" / "problems.jsonl"
    assert resources.examples_path("deepspeed", "ds_z3_config.json").is_file()
    # recipe() keeps the framework spelling of the old bundle: verl's recipes are the PTST schedules
    assert resources.recipe("verl", "vision_r1_ptst_8gpu.yaml") == (
        ROOT / "examples" / "verl" / "schedules" / "vision_r1_ptst_8gpu.yaml"
    )
    assert resources.recipe("llamafactory") == ROOT / "examples" / "llamafactory"


def test_without_a_checkout_the_package_copy_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "site" / "vision_r1_plugins"
    (package / "_data" / "data").mkdir(parents=True)
    (package / "_data" / "data" / "dataset_info.json").write_text("{}")
    monkeypatch.setattr(resources, "_PACKAGE", package)
    assert resources.shipped_root() == package / "_data"
    assert resources.data_path("dataset_info.json").read_text() == "{}"
    with pytest.raises(FileNotFoundError, match=r"examples/llamafactory is missing"):
        resources.recipe("llamafactory")


def test_a_folder_is_a_checkout_only_with_its_project_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "vision_r1_plugins"
    package.mkdir()
    (tmp_path / "examples").mkdir()
    (tmp_path / "data").mkdir()
    monkeypatch.setattr(resources, "_PACKAGE", package)
    assert resources.shipped_root() == package / "_data"  # no pyproject.toml: some other folder, not ours
    (tmp_path / "pyproject.toml").write_text("")
    assert resources.shipped_root() == tmp_path


def test_unknown_framework_and_missing_file() -> None:
    with pytest.raises(ValueError, match="unknown framework 'trl'"):
        resources.recipe("trl")
    with pytest.raises(FileNotFoundError, match=r"data/samples/nothing\.jsonl is missing"):
        resources.data_path("samples", "nothing.jsonl")
