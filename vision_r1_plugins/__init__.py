"""Vision-R1 as plugins for LLaMA-Factory and verl: modality bridging, cold-start SFT, GRPO with PTST, evaluation.

The Python API is one small package per feature, each with its names in ``__all__``:

- :mod:`vision_r1_plugins.reward`: the format-and-answer reward (``compute_score`` for verl, TRL, EasyR1);
- :mod:`vision_r1_plugins.bridge`: modality bridging into CoT SFT data (``bridge``, ``bridge_async``);
- :mod:`vision_r1_plugins.eval`: benchmark runs and scoring (``evaluate``, ``score_responses``, ``infer``);
- :mod:`vision_r1_plugins.llamafactory`: dataset checks and registration (``validate_dataset``, ``register_datasets``);
- :mod:`vision_r1_plugins.verl`: RL data for verl (``convert_rl_data``);
- :mod:`vision_r1_plugins.ptst`: PTST schedules (``load_schedule``, ``plan``, ``run``, ``read_metrics``).

The synchronous entry points also work inside a running event loop (a Jupyter cell); async code awaits the
``*_async`` twins. Importing this package imports nothing else.

>>> import vision_r1_plugins
>>> vision_r1_plugins.__version__  # doctest: +SKIP
'0.2.0'
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__: str
"""The installed distribution's version (``vision-r1-plugins``); ``0+unknown`` when run from a source tree that
is not installed."""

_DISTRIBUTION = "vision-r1-plugins"


def __getattr__(name: str) -> str:
    # Looked up on first use: importlib.metadata costs a few milliseconds that `import vision_r1_plugins.x` should
    # not pay (verl and LLaMA-Factory import our plugin modules in every worker).
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version(_DISTRIBUTION)
    except PackageNotFoundError:
        found = "0+unknown"
    globals()["__version__"] = found
    return found
