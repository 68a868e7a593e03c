"""The ``verl.plugins`` entry point registers the ``vision_r1`` manager in a fresh interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import entry_points

import pytest

pytest.importorskip("verl")

PROBE = (
    "import verl\n"
    "from verl.experimental.reward_loop.reward_manager.registry import REWARD_MANAGER\n"
    "cls = REWARD_MANAGER.get('vision_r1')\n"
    "print(cls.__module__ + '.' + cls.__qualname__ if cls else 'missing')\n"
)


def _probe(**env: str) -> str:
    completed = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=300, env={**os.environ, **env}
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return completed.stdout.strip().splitlines()[-1]


def test_entry_point_is_declared() -> None:
    names = {ep.name: ep.value for ep in entry_points(group="verl.plugins")}
    assert names.get("vision_r1") == "vision_r1_plugins.verl.plugin"


@pytest.mark.slow
def test_import_verl_registers_the_manager() -> None:
    assert _probe() == "vision_r1_plugins.verl.reward_manager.VisionR1RewardManager"
    assert (
        _probe(VERL_USE_EXTERNAL_PLUGINS="vision_r1") == "vision_r1_plugins.verl.reward_manager.VisionR1RewardManager"
    )
    assert _probe(VERL_USE_EXTERNAL_PLUGINS="none") == "missing"


def test_registration_is_idempotent() -> None:
    import verl  # noqa: F401
    from verl.experimental.reward_loop.reward_manager.registry import REWARD_MANAGER

    from vision_r1_plugins.verl.plugin import register_reward_manager

    assert register_reward_manager() and register_reward_manager()
    assert REWARD_MANAGER["vision_r1"].__name__ == "VisionR1RewardManager"
