"""LLaMA-Factory ``dataset_info.json`` entries: our bundled ones, merged into a user's file.

Pure JSON, no LLaMA-Factory import: the bridge's export registers its output here and ``vision-r1 lf register``
merges the released Vision-R1 datasets.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.core.files import write_json_atomically
from vision_r1_plugins.core.resources import data_path

DATASET_INFO_NAME = "dataset_info.json"


class DatasetInfoError(UsageError):
    """A dataset_info.json that cannot be merged into (unreadable, or a conflicting entry)."""


def bundled_entries(names: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    """Our entries: the released Vision-R1-cold files and the modality-bridging output. ``names`` selects."""
    entries: dict[str, dict[str, Any]] = json.loads(data_path(DATASET_INFO_NAME).read_text(encoding="utf-8"))
    if names is None:
        return entries
    wanted = list(names)
    unknown = [name for name in wanted if name not in entries]
    if unknown:
        raise DatasetInfoError(f"unknown dataset entries {unknown}; bundled: {sorted(entries)}")
    return {name: entries[name] for name in wanted}


@dataclass
class RegisterResult:
    """Which entries :func:`register_datasets` added, left unchanged or replaced in ``path``."""

    path: Path
    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.replaced)


def read_dataset_info(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise DatasetInfoError(f"{path} is not valid JSON ({error}); fix or move it before registering") from error
    if not isinstance(data, dict):
        raise DatasetInfoError(f"{path} must hold a JSON object of dataset entries, found {type(data).__name__}")
    return data


def register_datasets(
    dataset_dir: str | Path, entries: Mapping[str, dict[str, Any]] | None = None, *, force: bool = False
) -> RegisterResult:
    """Merge ``entries`` (default: all bundled ones) into ``dataset_dir/dataset_info.json``.

    Every other entry is kept, in order; running it twice changes nothing. An existing entry of the same name
    with different content is an error unless ``force``, so a user's customised entry is never lost silently.
    """
    path = Path(dataset_dir) / DATASET_INFO_NAME
    current = read_dataset_info(path)
    entries = bundled_entries() if entries is None else dict(entries)
    result = RegisterResult(path=path)
    conflicts = [name for name, entry in entries.items() if name in current and current[name] != entry]
    if conflicts and not force:
        raise DatasetInfoError(
            f"{path} already has different entries named {conflicts}; pass force=True (--force) to replace them"
        )
    merged = dict(current)
    for name, entry in entries.items():
        if name not in current:
            result.added.append(name)
        elif current[name] == entry:
            result.unchanged.append(name)
        else:
            result.replaced.append(name)
        merged[name] = entry
    if result.changed or not path.exists():
        write_json_atomically(path, merged)
    return result
