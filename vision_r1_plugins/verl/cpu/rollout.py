"""``actor_rollout_ref.rollout.name=hf``: verl's rollout served by transformers ``generate()`` on CPU.

verl 0.9.1's trainer only talks to rollout *servers* (vLLM, SGLang, TRT-LLM): agent-loop workers send token ids
to a server actor and get token ids back, and the actor workers push new weights to it after each update. This
module provides the three pieces of that contract for transformers:

- :class:`HFRolloutServer`, the server actor: ``generate(prompt_ids, sampling_params, ...) -> TokenOutput``, as
  ``vLLMHttpServer.generate`` answers, with images through the model's processor; requests that arrive together
  are generated as left-padded batches (what vLLM's continuous batching does, in its simplest form);
- :class:`HFReplica`, which launches one server per replica (registered in ``RolloutReplicaRegistry``);
- :class:`HFServerAdapter`, the worker-side end (registered in ``_ROLLOUT_REGISTRY``) that hands the trained
  weights to the server on ``update_weights``.

It is meant for the tiny test model and small CPU smoke runs, not for throughput.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

import ray
import torch
from verl.workers.rollout.base import BaseRollout
from verl.workers.rollout.replica import RolloutReplica, TokenOutput

logger = logging.getLogger(__name__)

SERVER_PREFIX = "hf_"
# Requests generated together: a step's burst (prompts x n) in a few padded batches. The wait lets the burst
# arrive before the first batch starts.
MAX_BATCH = 64
BATCH_WAIT_SECONDS = 0.05


@dataclass
class _Request:
    prompt_ids: list[int]
    max_tokens: int
    sampling: dict[str, Any]
    images: list[Any] = field(default_factory=list)

    def sampling_key(self) -> tuple[Any, ...]:
        """Requests batched together share every sampling setting but the token budget."""
        return tuple(
            sorted(
                (key, repr(value))
                for key, value in self.sampling.items()
                if key not in ("max_tokens", "max_new_tokens")
            )
        )


def server_name(replica_rank: int, node_rank: int = 0) -> str:
    return f"{SERVER_PREFIX}server_{replica_rank}_{node_rank}"


def _placeholder_token_ids(config: Any) -> list[int]:
    """Vision placeholder tokens a policy must never sample: a sampled ``<|video_pad|>`` without a video makes
    verl's position-id computation (``get_rope_index``) fail on the next step."""
    ids = set()
    for source in (config, getattr(config, "text_config", None), getattr(config, "vision_config", None)):
        for name in (
            "image_token_id",
            "video_token_id",
            "vision_start_token_id",
            "vision_end_token_id",
            "vision_token_id",
            "audio_token_id",
        ):
            value = getattr(source, name, None) if source is not None else None
            if isinstance(value, int) and value >= 0:
                ids.add(value)
    return sorted(ids)


def mm_token_type_ids(input_ids: torch.Tensor, config: Any) -> torch.Tensor:
    """What a Qwen-VL processor returns beside the token ids (1 for an image token, 2 for a video token, 0 for
    text), rebuilt from the ids for a prompt that arrives as ids (as verl's agent loop does for its own forward)."""
    types = torch.zeros_like(input_ids)
    for kind, name in ((1, "image_token_id"), (2, "video_token_id")):
        token = getattr(config, name, None)
        if isinstance(token, int) and token >= 0:
            types[input_ids == token] = kind
    return types


class HFRolloutServer:
    """The rollout server actor. One ``generate()`` runs at a time (CPU threads are better spent inside one forward
    pass than across several): requests that arrive meanwhile wait, in order, and go in the next batch."""

    def __init__(self, config: Any, model_config: Any, replica_rank: int = 0) -> None:
        from transformers import AutoProcessor, AutoTokenizer, GenerationConfig
        from verl.utils.config import omega_conf_to_dataclass
        from verl.workers.config import HFModelConfig, RolloutConfig

        self.config: RolloutConfig = omega_conf_to_dataclass(config)
        self.model_config: HFModelConfig = omega_conf_to_dataclass(model_config, dataclass_type=HFModelConfig)
        self.replica_rank = replica_rank
        path = self.model_config.local_path
        self.model = _load_model(path)
        self.model.eval()
        try:
            self.processor = AutoProcessor.from_pretrained(path)
        except (OSError, ValueError):
            self.processor = None
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.suppressed = _placeholder_token_ids(self.model.config)
        generation = GenerationConfig.from_model_config(self.model.config)
        eos = generation.eos_token_id if generation.eos_token_id is not None else self.tokenizer.eos_token_id
        self.eos_token_ids = [eos] if isinstance(eos, int) else list(eos or [])
        if self.tokenizer.eos_token_id is not None and self.tokenizer.eos_token_id not in self.eos_token_ids:
            self.eos_token_ids.append(self.tokenizer.eos_token_id)
        self.pad_token_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        # Sampling draws from the process's generator: seeded like vLLM's engine (rollout.seed).
        torch.manual_seed(int(getattr(self.config, "seed", 0) or 0) + replica_rank)
        self._lock = asyncio.Lock()
        self._pending: list[tuple[_Request, asyncio.Future[TokenOutput]]] = []
        self._drainer: asyncio.Future[None] | None = None
        self.global_steps: int | None = None
        self.weight_version = 0
        # verl's checkpoint conversion renames some keys (transformers' _checkpoint_conversion_mapping); map the
        # names the trainer sends back onto this model's own parameter names.
        from verl.utils.model import convert_weight_keys

        own = self.model.state_dict()
        self._key_map = dict(zip(convert_weight_keys(own, self.model).keys(), own.keys(), strict=True))
        # The tensors weights are copied into, found once: the model's parameters and buffers never move.
        self._targets = {**dict(self.model.named_parameters()), **dict(self.model.named_buffers())}
        self._parameter_names = {name for name, _ in self.model.named_parameters()}

    # -- the calls verl makes on a rollout server
    async def generate(
        self,
        prompt_ids: list[int],
        sampling_params: dict[str, Any],
        request_id: str,
        image_data: list[Any] | None = None,
        video_data: list[Any] | None = None,
        **_: Any,
    ) -> TokenOutput:
        if video_data:
            raise ValueError("the hf rollout backend does not take videos")
        request = _Request(
            list(prompt_ids),
            self._max_tokens(len(prompt_ids), dict(sampling_params)),
            dict(sampling_params),
            list(image_data or []),
        )
        done: asyncio.Future[TokenOutput] = asyncio.get_running_loop().create_future()
        self._pending.append((request, done))
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.ensure_future(self._drain())
        return await done

    async def _drain(self) -> None:
        """Generate what is waiting, a batch at a time: verl sends a step's requests at once, and one padded batch
        costs little more on CPU than one sequence. Requests with other sampling settings go in other batches."""
        async with self._lock:
            await asyncio.sleep(BATCH_WAIT_SECONDS)  # the rest of the burst arrives
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                groups: dict[tuple[Any, ...], list[tuple[_Request, asyncio.Future[TokenOutput]]]] = {}
                for item in batch:
                    groups.setdefault(item[0].sampling_key(), []).append(item)
                for group in groups.values():
                    try:
                        outputs = await asyncio.to_thread(self._generate_batch, [request for request, _ in group])
                    except Exception as error:  # every request of the batch gets the error, as one would alone
                        for _, future in group:
                            if not future.done():
                                future.set_exception(error)
                        continue
                    for (_, future), output in zip(group, outputs, strict=True):
                        if not future.done():
                            future.set_result(output)

    def _max_tokens(self, prompt_length: int, sampling: dict[str, Any]) -> int:
        if "max_tokens" in sampling:
            max_tokens = int(sampling["max_tokens"])
        elif "max_new_tokens" in sampling:
            max_tokens = int(sampling["max_new_tokens"])
        else:  # as vLLMHttpServer: the configured response length, within the prompt + response budget
            response_length = int(self.config.response_length)
            max_tokens = min(response_length, int(self.config.prompt_length) + response_length - prompt_length)
        return max(1, max_tokens)

    def _generate_batch(self, requests: list[_Request]) -> list[TokenOutput]:
        """One left-padded ``generate()`` over requests that share their sampling settings."""
        first = requests[0]
        width = max(len(request.prompt_ids) for request in requests)
        pad = self.pad_token_id
        input_ids = torch.tensor([[pad] * (width - len(r.prompt_ids)) + r.prompt_ids for r in requests])
        attention = torch.tensor([[0] * (width - len(r.prompt_ids)) + [1] * len(r.prompt_ids) for r in requests])
        inputs: dict[str, Any] = {"input_ids": input_ids, "attention_mask": attention}
        images = [image for request in requests for image in request.images]
        if images:
            if self.processor is None or getattr(self.processor, "image_processor", None) is None:
                raise ValueError(f"{self.model_config.local_path} has no image processor for the rollout's images")
            vision = self.processor.image_processor(images=images, return_tensors="pt")
            inputs.update({key: value for key, value in vision.items() if key in ("pixel_values", "image_grid_thw")})
            # Without it transformers >= 5.3 builds 1D positions for a Qwen-VL prompt: not the policy the actor
            # (verl's forward, with 3D M-RoPE positions) trains. Padding is text (0).
            inputs["mm_token_type_ids"] = mm_token_type_ids(input_ids, self.model.config) * attention
        sampling = first.sampling
        temperature = float(sampling.get("temperature", 1.0) or 0.0)
        top_k = int(sampling.get("top_k", -1) or -1)
        options: dict[str, Any] = {
            "max_new_tokens": max(request.max_tokens for request in requests),
            "do_sample": temperature > 0,
            "eos_token_id": self.eos_token_ids,
            "pad_token_id": self.pad_token_id,
            "suppress_tokens": self.suppressed or None,
            "return_dict_in_generate": True,
            "output_logits": bool(sampling.get("logprobs")),
        }
        if temperature > 0:
            options.update(
                temperature=temperature, top_p=float(sampling.get("top_p", 1.0)), top_k=top_k if top_k > 0 else 0
            )
        repetition = float(sampling.get("repetition_penalty", 1.0) or 1.0)
        if repetition != 1.0:
            options["repetition_penalty"] = repetition
        with torch.no_grad():
            output = self.model.generate(**inputs, **options)
        log_probs_all = None
        if options["output_logits"]:
            # The unprocessed distribution scaled by temperature: what verl's actor recomputes for the same tokens.
            logits = torch.stack(output.logits, dim=1).float()  # (batch, generated, vocab)
            if temperature > 0:
                logits = logits / temperature
            generated = output.sequences[:, width : width + logits.shape[1]]
            log_probs_all = torch.log_softmax(logits, dim=-1).gather(-1, generated[..., None]).squeeze(-1)
        results = []
        for row, request in enumerate(requests):
            tokens = output.sequences[row, width:].tolist()[: request.max_tokens]
            # generate() pads sequences that finished early: each ends after its first EOS.
            for position, token in enumerate(tokens):
                if token in self.eos_token_ids:
                    tokens = tokens[: position + 1]
                    break
            log_probs = log_probs_all[row, : len(tokens)].tolist() if log_probs_all is not None else None
            results.append(
                TokenOutput(
                    token_ids=tokens,
                    log_probs=log_probs,
                    stop_reason="completed",
                    extra_fields={"global_steps": self.global_steps, "weight_version": self.weight_version},
                )
            )
        return results

    async def update_weights(self, weights: dict[str, torch.Tensor]) -> int:
        """Copy the trainer's weights in; returns how many tensors were loaded. Every parameter must arrive."""
        async with self._lock:
            targets = {name: self._key_map.get(name, name) for name in weights}
            unknown = [name for name, target in targets.items() if target not in self._targets]
            if unknown:
                raise KeyError(f"the trainer sent weights this rollout model does not have: {unknown[:5]}")
            missing = sorted(self._parameter_names - set(targets.values()))
            if missing:  # checked before copying, so a refused update leaves the model as it was
                raise KeyError(f"the trainer did not send these rollout weights: {missing[:5]}")
            with torch.no_grad():
                for name, tensor in weights.items():
                    target = self._targets[targets[name]]
                    target.copy_(tensor.to(dtype=target.dtype))
            self.weight_version += 1
            return len(weights)

    async def get_state(self) -> dict[str, Any]:
        return {
            "response_length": int(self.config.response_length),
            "weight_version": self.weight_version,
            "global_steps": self.global_steps,
        }

    async def set_global_steps(self, global_steps: int) -> None:
        self.global_steps = global_steps

    # Memory management, KV cache and request control have no meaning for an in-process model.
    async def wake_up(self, tags: list[str] | None = None) -> None:
        return None

    async def sleep(self) -> None:
        return None

    async def clear_kv_cache(self) -> None:
        return None

    async def release_kv_cache(self) -> None:
        return None

    async def resume_kv_cache(self) -> None:
        return None

    async def abort_all_requests(self, reject_request: bool = False) -> dict[str, Any]:
        return {"aborted_count": 0, "request_ids": []}

    async def resume_generation(self) -> None:
        return None

    async def start_profile(self, **_: Any) -> None:
        return None

    async def stop_profile(self) -> None:
        return None


def _load_model(path: str) -> Any:
    import transformers

    options = {"torch_dtype": torch.float32, "attn_implementation": "sdpa"}
    try:
        return transformers.AutoModelForImageTextToText.from_pretrained(path, **options)
    except ValueError:  # a text-only model
        return transformers.AutoModelForCausalLM.from_pretrained(path, **options)


class HFReplica(RolloutReplica):
    """One transformers server per replica, colocated with the trainer's workers (hybrid mode)."""

    async def launch_servers(self) -> None:
        if self.world_size != 1:
            raise ValueError(
                "the hf rollout backend runs one server per worker: set "
                "actor_rollout_ref.rollout.tensor_model_parallel_size=1"
            )
        server = (
            ray.remote(HFRolloutServer)
            .options(name=server_name(self.replica_rank), num_cpus=0, max_concurrency=self.max_concurrency)
            .remote(config=self.config, model_config=self.model_config, replica_rank=self.replica_rank)
        )
        await server.get_state.remote()  # fails here, with the model's error, if the model does not load
        self.servers = [server]
        self._server_handle = server
        self._server_address = f"hf-cpu-replica-{self.replica_rank}"

    def rollout_worker_use_gpu(self) -> bool:
        return False

    async def sleep(self) -> None:
        return None

    async def wake_up(self) -> None:
        return None


class HFServerAdapter(BaseRollout):
    """The rollout object inside each actor worker: forwards the trained weights to its replica's server."""

    def __init__(self, config: Any, model_config: Any, device_mesh: Any, replica_rank: int = -1) -> None:
        super().__init__(config, model_config, device_mesh)
        rank = int(os.environ.get("RANK", 0))
        self.replica_rank = rank if replica_rank == -1 else replica_rank
        self._server: Any = None

    def _server_handle(self) -> Any:
        if self._server is None:
            self._server = ray.get_actor(server_name(self.replica_rank))
        return self._server

    async def resume(self, tags: list[str]) -> None:
        return None

    async def release(self) -> None:
        return None

    @torch.no_grad()
    async def update_weights(
        self,
        weights: Iterable[tuple[str, torch.Tensor]] | AsyncIterator[tuple[str, torch.Tensor]],
        global_steps: int | None = None,
        wire_format: str = "named_tensors",
        **_: Any,
    ) -> None:
        if wire_format != "named_tensors":
            raise ValueError(f"the hf rollout backend takes full tensors, not {wire_format!r}")
        state: dict[str, torch.Tensor] = {}
        # Every rank walks the generator (gathering a sharded tensor is collective); the tensors go to one server.
        if hasattr(weights, "__aiter__"):
            async for name, tensor in weights:  # type: ignore[union-attr]
                state[name] = tensor.detach().to("cpu", copy=True)
        else:
            for name, tensor in weights:  # type: ignore[union-attr]
                state[name] = tensor.detach().to("cpu", copy=True)
        server = self._server_handle()
        await server.update_weights.remote(state)
        if global_steps is not None:
            await server.set_global_steps.remote(global_steps)
