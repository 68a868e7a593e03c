"""verl plugin entry point (``[project.entry-points."verl.plugins"] vision_r1``).

``import verl`` imports this module in every process (driver and Ray workers). verl swallows plugin import
errors at DEBUG level, so failures are logged here at WARNING where a user will see them.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def register_reward_manager() -> bool:
    """Register ``vision_r1`` in verl's reward-loop registry. Idempotent; True when it is ours afterwards."""
    try:
        from verl.experimental.reward_loop.reward_manager.registry import REWARD_MANAGER, register

        from vision_r1_plugins.verl.reward_manager import MANAGER_NAME, VisionR1RewardManager
    except Exception:
        logger.warning("vision_r1_plugins: could not register the vision_r1 reward manager", exc_info=True)
        return False
    current = REWARD_MANAGER.get(MANAGER_NAME)
    if current is None:
        register(MANAGER_NAME)(VisionR1RewardManager)
        return True
    if current.__module__ == VisionR1RewardManager.__module__ and current.__qualname__ == "VisionR1RewardManager":
        return True
    logger.warning(
        "vision_r1_plugins: reward manager name %r is taken by %s.%s; not overriding it",
        MANAGER_NAME,
        current.__module__,
        current.__qualname__,
    )
    return False


def enable_cpu_if_requested() -> bool:
    """Load the CPU platform and hf rollout (:mod:`vision_r1_plugins.verl.cpu`) only when
    ``VISION_R1_VERL_CPU=1``: a GPU user's run never sees them."""
    from vision_r1_plugins.verl import cpu

    if not cpu.requested():
        return False
    try:
        cpu.enable()
    except Exception:
        logger.warning("vision_r1_plugins: could not enable verl on CPU (%s=1)", cpu.ENV_SWITCH, exc_info=True)
        raise
    return True


register_reward_manager()
enable_cpu_if_requested()
