"""One type per column in the clean copy.

LLaMA-Factory loads a JSON or JSONL file through ``datasets``, whose pyarrow reader refuses the whole file when a
column changes type between rows (``Column(/image) changed from string to array``), also deep inside nested
values (``Column(/conversations/[]/weight) changed from number to string``). The rows kept so far decide each
column's shape, the first that has a value deciding, as pyarrow's inference does. A later row is converted where
that loses nothing (a string where a list of strings is expected becomes a one-item list; a one-item list of a
string where a string is expected becomes the string); otherwise it is rejected with the path that conflicts.
Integers and floats mix (pyarrow reads both as float64); null fits every type.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any


def kind(value: Any) -> str | None:
    """The JSON kind pyarrow tells apart; None for null."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


@dataclass
class Shape:
    """What the kept rows held at one place: its kind, the shape of list items, the shapes of object fields."""

    kind: str | None = None
    items: Shape | None = None
    fields: dict[str, Shape] = field(default_factory=dict)


def merge(shape: Shape, value: Any, path: str) -> str | None:
    """Fold ``value`` into ``shape``; return the path where it conflicts (``shape`` then half-merged)."""
    value_kind = kind(value)
    if value_kind is None:
        return None
    if shape.kind is None:
        shape.kind = value_kind
    elif shape.kind != value_kind:
        return f"{path} is {_article(value_kind)} here but {_article(shape.kind)} in earlier rows"
    if value_kind == "array":
        shape.items = shape.items or Shape()
        for item in value:
            conflict = merge(shape.items, item, f"{path}/[]")
            if conflict:
                return conflict
    elif value_kind == "object":
        for key, item in value.items():
            conflict = merge(shape.fields.setdefault(str(key), Shape()), item, f"{path}/{key}")
            if conflict:
                return conflict
    return None


def _article(value_kind: str) -> str:
    return f"an {value_kind}" if value_kind[0] in "aeiou" else f"a {value_kind}"


def _converted(shape: Shape | None, value: Any) -> Any:
    """The lossless conversion between a string and a one-item list of strings, where the shape asks for it."""
    if shape is None or shape.kind is None:
        return value
    if (
        shape.kind == "array"
        and isinstance(value, str)
        and (shape.items is None or shape.items.kind in (None, "string"))
    ):
        return [value]
    if shape.kind == "string" and isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
        return value[0]
    return value


@dataclass
class ColumnShapes:
    """The shapes of the rows written so far; :meth:`conform` admits one more row or says why not."""

    columns: dict[str, Shape] = field(default_factory=dict)

    def conform(self, row: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
        """(the row to write, "") or (None, the conflict). The shapes learn only from admitted rows."""
        converted = {key: _converted(self.columns.get(key), value) for key, value in row.items()}
        trial = {key: copy.deepcopy(self.columns.get(key, Shape())) for key in converted}
        for key, value in converted.items():
            conflict = merge(trial[key], value, f"/{key}")
            if conflict:
                return None, f"column {conflict}: pyarrow would refuse the whole file"
        self.columns.update(trial)
        return converted, ""
