"""A toy visual task a 1.1M-parameter Qwen2.5-VL learns on CPU in minutes: what colour is the image?

Each problem is a 56x56 noisy colour patch and a question quoting someone's claim about it::

    <image>Erin says the image is green. What color is the image?

The claim is right half the time, so the text alone answers half the problems and only the image answers all of
them. Problems are written in the bridge's input layout (``problems.jsonl`` with ``id``, ``problem``, ``answer``,
``images``, beside an ``images/`` folder); the answer is a colour name, which the project's reward checks.

The held-out set is disjoint from the training set twice over: its images are drawn from another random stream,
and its (speaker, claimed colour, true colour) combinations never occur in training.

The problems to bridge carry label noise (:attr:`ToyConfig.bridge_label_noise`): some with a wrong claim have
the claim as their gold answer. :func:`teacher_settings` is the scripted teacher the demo's bridge asks: an MLLM
that names the patch's colour, and a reasoner that trusts the quoted claim part of the time
(:data:`TEACHER_SHORTCUT_RATE`) and otherwise answers the colour the MLLM's description names. The bridge's answer
check keeps what agrees with the label, so the cold-start data teaches answering the claim where the label was
wrong: a small version of what a noisy cold start leaves for RL (with correct answers) to fix.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (200, 40, 40),
    "green": (40, 160, 60),
    "blue": (50, 70, 200),
    "yellow": (220, 200, 40),
}
SPEAKERS = ("Erin", "Omar", "Lena", "Ravi")
IMAGE_SIDE = 56  # the tiny processor's smallest image: 4 merged image tokens
NOISE = 48  # per-pixel noise amplitude, so no two images are alike and no single pixel gives the colour away
QUESTION = "<image>{speaker} says the image is {claim}. What color is the image?"
# The share of the teacher's reasoning that trusts the quoted claim instead of the image.
TEACHER_SHORTCUT_RATE = 0.6
# Lines added to the tiny tokenizer's training text so the task's words are whole tokens.
TOY_TEXT = tuple(
    f"{QUESTION.format(speaker=speaker, claim=claim).removeprefix('<image>')}\n<think>\nThe text says it is "
    f"{claim}, so it is {claim}.\n</think>\n<answer> Final Answer: {claim} </answer>\n<think>\nI look at the "
    f"image: it is {claim}.\n</think>\nThe answer is {claim}."
    for speaker in SPEAKERS
    for claim in COLOURS
    for _ in range(8)
)


@dataclass(frozen=True)
class ToyConfig:
    bridge: int = 320  # problems the bridge turns into cold-start SFT data
    rl: int = 256  # problems GRPO trains on (answers only)
    heldout: int = 64  # problems evaluation scores
    seed: int = 0
    claim_right: float = 0.5  # the share of problems whose quoted claim is the true colour
    # Label noise in the cold-start problems: the share of those with a wrong claim whose gold answer was taken
    # from the claim (labelled from the text). The bridge's answer check keeps replies that agree with their gold,
    # so the cold-start data teaches answering the claim; the RL and held-out problems have correct labels.
    bridge_label_noise: float = 0.5
    heldout_combinations: float = 0.25  # the share of (speaker, claim, colour) combinations kept for held-out

    def __post_init__(self) -> None:
        if min(self.bridge, self.rl, self.heldout) <= 0:
            raise ValueError(f"bridge, rl and heldout must be > 0, got {self.bridge}, {self.rl}, {self.heldout}")
        for name in ("bridge_label_noise", "claim_right"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        if not 0.0 < self.heldout_combinations < 1.0:
            raise ValueError(f"heldout_combinations must be in (0, 1), got {self.heldout_combinations}")


@dataclass(frozen=True)
class ToySplits:
    bridge: Path  # problems.jsonl of each split, its images beside it
    rl: Path
    heldout: Path


def _combination_is_heldout(speaker: str, claim: str, colour: str, config: ToyConfig) -> bool:
    digest = hashlib.blake2b(f"{config.seed}:{speaker}:{claim}:{colour}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 < config.heldout_combinations


def _patch(colour: tuple[int, int, int], rng: random.Random) -> Any:
    from PIL import Image

    shade = rng.randint(-24, 24)  # the whole patch a little lighter or darker
    pixels = bytes(
        max(0, min(255, channel + shade + rng.randint(-NOISE, NOISE)))
        for _ in range(IMAGE_SIDE * IMAGE_SIDE)
        for channel in colour
    )
    return Image.frombytes("RGB", (IMAGE_SIDE, IMAGE_SIDE), pixels)


def _write_split(out: Path, name: str, count: int, label_noise: float, heldout: bool, config: ToyConfig) -> Path:
    folder = out / name
    (folder / "images").mkdir(parents=True, exist_ok=True)
    # Separate streams per split: every split's images are new draws.
    rng = random.Random(f"{config.seed}:{name}")
    colours = list(COLOURS)
    rows = []
    while len(rows) < count:
        speaker, colour = rng.choice(SPEAKERS), rng.choice(colours)
        claim = colour if rng.random() < config.claim_right else rng.choice([c for c in colours if c != colour])
        label = claim if claim != colour and rng.random() < label_noise else colour
        if _combination_is_heldout(speaker, claim, colour, config) != heldout:
            continue
        sample_id = f"{name}-{len(rows):04d}"
        image = f"images/{sample_id}.png"
        _patch(COLOURS[colour], rng).save(folder / image)
        rows.append(
            {
                "id": sample_id,
                "images": [image],
                "problem": QUESTION.format(speaker=speaker, claim=claim),
                "answer": label,
                "colour": colour,
                "claim": claim,
                "claim_right": claim == colour,
            }
        )
    problems = folder / "problems.jsonl"
    problems.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return problems


def write_toy_task(out_dir: str | Path, config: ToyConfig | None = None) -> ToySplits:
    """Write ``OUT/bridge``, ``OUT/rl`` and ``OUT/heldout`` (``problems.jsonl`` and ``images/`` each);
    deterministic for a config."""
    config = config or ToyConfig()
    out = Path(out_dir)
    return ToySplits(
        bridge=_write_split(out, "bridge", config.bridge, config.bridge_label_noise, False, config),
        rl=_write_split(out, "rl", config.rl, 0.0, False, config),
        heldout=_write_split(out, "heldout", config.heldout, 0.0, True, config),
    )


def teacher_settings(seed: int = 0) -> dict[str, Any]:
    """The :class:`~vision_r1_plugins.testing.fake_server.FakeServerConfig` fields of the toy task's teacher: an
    MLLM that names the patch's colour, and a brief reasoner that trusts the quoted claim
    :data:`TEACHER_SHORTCUT_RATE` of the time and otherwise answers the colour the description names."""
    return {
        "teacher": True,
        "teacher_brief": True,
        "teacher_shortcut_rate": TEACHER_SHORTCUT_RATE,
        "teacher_palette": dict(COLOURS),
        "seed": seed,
    }


# PTST at toy scale: stage 1 is long enough for the ~25-token answers (a shorter limit cuts every answer off and
# every reward is 0), with many rollouts; stage 2 doubles the length and halves the rollouts.
TOY_STAGES: tuple[dict[str, Any], ...] = (
    {"name": "short_many", "max_response_length": 32, "rollout_n": 8, "steps": 6},
    {"name": "long_few", "max_response_length": 64, "rollout_n": 4, "steps": 6},
)
# What a 1.1M-parameter model needs from GRPO (the recipe's are for 7B): a learning rate 300x the recipe's (1e-6
# does nothing here; 2e-4 with mini-batches of 8 moved one seed in three within 12 steps; 5e-4 helped the slowest
# seed but made another's answers run long and wrong in stage 2), 16 prompts a step in mini-batches of 4 (four
# updates a step), the paper's KL and clip, sampling at temperature 1, token caps well above one batch (the
# derived ones split batches into tiny pieces), and no gradient checkpointing (nothing to save on a model this size).
TOY_VERL: dict[str, Any] = {
    "data.max_prompt_length": 72,
    "data.train_batch_size": 16,
    "actor_rollout_ref.actor.ppo_mini_batch_size": 4,
    "actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu": 16,
    "actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu": 64,
    "actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu": 64,
    "actor_rollout_ref.actor.optim.lr": 3.0e-4,
    "actor_rollout_ref.actor.clip_ratio": 0.2,
    "actor_rollout_ref.actor.kl_loss_coef": 0.01,
    "actor_rollout_ref.actor.kl_loss_type": "low_var_kl",
    "actor_rollout_ref.actor.entropy_coeff": 0,
    "actor_rollout_ref.actor.loss_agg_mode": "token-mean",
    "actor_rollout_ref.rollout.temperature": 1.0,
    "actor_rollout_ref.model.enable_gradient_checkpointing": False,
    "actor_rollout_ref.actor.ppo_max_token_len_per_gpu": 16384,
    "actor_rollout_ref.rollout.log_prob_max_token_len_per_gpu": 16384,
    "actor_rollout_ref.ref.log_prob_max_token_len_per_gpu": 16384,
    "trainer.save_freq": -1,  # checkpoints at the stage boundaries only
}


def write_toy_schedule(
    folder: Path,
    model: Path,
    data: Path,
    stages: tuple[dict[str, Any], ...] | list[dict[str, Any]] = TOY_STAGES,
    name: str = "toy_ptst",
    seed: int = 0,
    **verl: Any,
) -> Path:
    """``folder/schedule.yaml``: GRPO with PTST on the toy task's RL data, the hard reward alone. ``seed`` seeds
    the data order, the actor's random state and the rollout's sampling."""
    from vision_r1_plugins.testing.schedules import write_cpu_schedule

    seeds = {
        "data.seed": seed,
        "actor_rollout_ref.actor.fsdp_config.seed": seed,
        "actor_rollout_ref.rollout.seed": seed,
    }
    return write_cpu_schedule(folder, model, data, stages=stages, name=name, **{**TOY_VERL, **seeds, **verl})
