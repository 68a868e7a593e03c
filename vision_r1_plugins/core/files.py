"""Files written so that a reader never sees half of one: a temporary file in the same folder, then a rename."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO


@contextmanager
def atomic_writer(path: str | Path) -> Iterator[TextIO]:
    """A text handle whose content replaces ``path`` when the block ends without an error (and never otherwise):
    for files written piece by piece, too large to build in memory first."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            yield out
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_text_atomically(path: str | Path, text: str) -> Path:
    with atomic_writer(path) as out:
        out.write(text)
    return Path(path)


def write_json_atomically(path: str | Path, data: Any, indent: int | None = 2) -> Path:
    return write_text_atomically(path, json.dumps(data, ensure_ascii=False, indent=indent) + "\n")
