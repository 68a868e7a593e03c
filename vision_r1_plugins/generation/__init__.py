"""Generation: one backend registry (OpenAI-compatible servers, local transformers, vLLM), one sampling type,
chat messages, streaming, and the ``<think>`` split and join.

Importing this package imports no client library; each backend imports its own when it is built.
"""

from vision_r1_plugins.generation.endpoints import EndpointPool, ServersGone, split_urls
from vision_r1_plugins.generation.messages import chat_messages, image_parts, user_message
from vision_r1_plugins.generation.registry import (
    BACKENDS,
    BackendConfig,
    get_backend_factory,
    make_backend,
    register_backend,
)
from vision_r1_plugins.generation.retry import RetryPolicy
from vision_r1_plugins.generation.thinking import (
    MARKER_NAMES,
    THINK_CLOSE,
    THINK_OPEN,
    join_thinking,
    reflection_markers,
    split_thinking,
)
from vision_r1_plugins.generation.types import (
    Backend,
    ChatDelta,
    ChatResult,
    Message,
    RequestFailed,
    Sampling,
    check_local_model,
    sampling_key,
)

__all__ = [
    "BACKENDS",
    "MARKER_NAMES",
    "THINK_CLOSE",
    "THINK_OPEN",
    "Backend",
    "BackendConfig",
    "ChatDelta",
    "ChatResult",
    "EndpointPool",
    "Message",
    "RequestFailed",
    "RetryPolicy",
    "Sampling",
    "ServersGone",
    "chat_messages",
    "check_local_model",
    "get_backend_factory",
    "image_parts",
    "join_thinking",
    "make_backend",
    "reflection_markers",
    "register_backend",
    "sampling_key",
    "split_thinking",
    "split_urls",
    "user_message",
]
