"""The optional packages of the overlap check, imported when first needed so that importing the package stays
cheap; a missing one is a usage error that names the extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType

from vision_r1_plugins.core.errors import UsageError

INSTALL_HINT = "pip install 'vision-r1-plugins[data]'"


def require(module: str) -> ModuleType:
    """``importlib.import_module(module)``, or a :class:`UsageError` saying how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise UsageError(f"vision-r1 data overlap needs {module.split('.')[0]}: {INSTALL_HINT}") from error
