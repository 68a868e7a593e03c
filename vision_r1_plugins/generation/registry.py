"""The one backend registry: a name (``--backend``) maps to a factory building a backend from a
:class:`BackendConfig`. Factories import their client libraries only when called."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.core.registry import Registry
from vision_r1_plugins.generation.retry import RetryPolicy
from vision_r1_plugins.generation.types import Backend, Sampling


@dataclass(frozen=True)
class BackendConfig:
    """``model``: the served name (openai) or a local path / hub name (transformers, vllm).
    ``base_url``: an OpenAI-compatible base URL such as ``http://host:8000/v1``, or several (a tuple, or one
    comma-separated string): requests go to the least-loaded one; ``concurrency`` is per server. The API key is
    read from the environment variable ``api_key_env``. ``give_up_after`` requests failed in a row (each after
    all its attempts) stop the run."""

    kind: str
    model: str
    base_url: str | tuple[str, ...] | None = None
    api_key_env: str = "OPENAI_API_KEY"
    sampling: Sampling = field(default_factory=Sampling)
    concurrency: int = 64
    timeout: float = 600.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    give_up_after: int = 10


BackendFactory = Callable[[BackendConfig], Backend]
BACKENDS: Registry[BackendFactory] = Registry("backend")


def register_backend(name: str, factory: BackendFactory) -> BackendFactory:
    return BACKENDS.register(name, factory)


def get_backend_factory(name: str) -> BackendFactory:
    return BACKENDS.require(name)


def make_backend(config: BackendConfig) -> Backend:
    """A backend (OpenAI-compatible server, local transformers or vLLM) built by the factory registered as
    ``config.kind``.

    >>> backend = make_backend(BackendConfig("openai", "Qwen2.5-VL-7B-Instruct", "http://localhost:8000/v1"))
    """
    if not config.model:
        raise UsageError(f"the {config.kind} backend needs a model (--model)")
    return get_backend_factory(config.kind)(config)


def _openai(config: BackendConfig) -> Backend:
    from vision_r1_plugins.generation.openai_server import OpenAIBackend

    if not config.base_url:
        raise UsageError(f"the openai backend needs --base-url (e.g. http://localhost:8000/v1) for {config.model!r}")
    return OpenAIBackend(
        config.base_url,
        config.model,
        sampling=config.sampling,
        api_key=os.environ.get(config.api_key_env),
        timeout=config.timeout,
        concurrency=config.concurrency,
        retry=config.retry,
        give_up_after=config.give_up_after,
    )


def _transformers(config: BackendConfig) -> Backend:
    from vision_r1_plugins.generation.local import TransformersBackend

    return TransformersBackend(config.model, config.sampling)


def _vllm(config: BackendConfig) -> Backend:
    from vision_r1_plugins.generation.vllm_local import VLLMBackend

    return VLLMBackend(config.model, config.sampling)


register_backend("openai", _openai)
register_backend("transformers", _transformers)
register_backend("vllm", _vllm)
