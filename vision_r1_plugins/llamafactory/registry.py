"""Registrations into LLaMA-Factory's registries, and discovery of the modules that make them.

LLaMA-Factory's extension points are module-level registries (``register_template``,
``register_dataset_converter``, ``register_mm_plugin``) filled by importing code, and each raises on a duplicate
name. It has no plugin discovery, and its torchrun re-launch starts fresh interpreters that import nothing of
ours. So: registration helpers here are idempotent, and :func:`load_plugins` (run by our launcher in every
process, torchrun ranks included) imports every module that registers something.

Vision-R1 itself needs no custom template or converter: the released data is plain sharegpt and the recipe uses
the built-in ``qwen2_vl`` template. The hooks exist for users' own templates and converters.
"""

from __future__ import annotations

import importlib
import logging
import os
from importlib.metadata import entry_points
from typing import Any

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "vision_r1.llamafactory_plugins"
PLUGINS_ENV = "VISION_R1_LF_PLUGINS"


def register_template_once(name: str, **template: Any) -> bool:
    """``register_template(name, **template)`` unless ``name`` exists; True when this call registered it."""
    from llamafactory.data.template import TEMPLATES, register_template

    if name in TEMPLATES:
        return False
    register_template(name, **template)
    return True


def plugin_modules(extra: list[str] | None = None) -> list[str]:
    """Modules to import: entry points of ``vision_r1.llamafactory_plugins``, ``$VISION_R1_LF_PLUGINS``
    (comma-separated) and ``extra``, in that order, without duplicates."""
    names = [entry.value for entry in entry_points(group=ENTRY_POINT_GROUP)]
    names += [name.strip() for name in os.environ.get(PLUGINS_ENV, "").split(",") if name.strip()]
    names += extra or []
    return list(dict.fromkeys(names))


def load_plugins(extra: list[str] | None = None) -> list[str]:
    """Import every plugin module. A module that fails to import is an error, not a warning: training with a
    template that silently did not register would fail later and further from the cause."""
    loaded = []
    for name in plugin_modules(extra):
        try:
            importlib.import_module(name)
        except Exception as error:
            raise ImportError(f"LLaMA-Factory plugin module {name!r} failed to import: {error}") from error
        loaded.append(name)
    return loaded
