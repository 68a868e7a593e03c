"""``convert_rl_data`` writes verl 0.9.1 RL parquet that verl's own ``RLHFDataset`` and rollout tokenisation accept.

The multimodal inputs are rebuilt the way verl 0.9.1's agent loop does (``RLHFDataset.__getitem__`` only returns
``raw_prompt`` now): ``RLHFDataset._process_multi_modal_info`` for the images, then the Continuous Token builder the
agent loop creates for ``model_type`` qwen2_5_vl, whose processor call expands the image tokens.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("verl")
pyarrow = pytest.importorskip("pyarrow")

import pyarrow.parquet as pq  # noqa: E402

from vision_r1_plugins.testing.synthetic import write_images  # noqa: E402
from vision_r1_plugins.verl.rl_data import R1_SYSTEM_PROMPT, RLDataConfig, convert_rl_data  # noqa: E402

MAX_PROMPT = 256
PATCH_DIM = 3 * 2 * 14 * 14  # channels x temporal patch x patch x patch of the tiny processor


def _image(path: Path) -> dict[str, Any]:
    # The Vision-R1-rl / geometry3k parquet stores images as HF ``Image`` structs.
    return {"bytes": path.read_bytes(), "path": None}


def _problem(index: int, problem: str, images: list[dict[str, Any]], answer: str = "5", **extra: Any) -> dict:
    return {"id": f"q{index}", "problem": problem, "images": images, "answer": answer, "choices": None, **extra}


def _write_input(tmp_path: Path) -> tuple[Path, list[bytes]]:
    image_dir = tmp_path / "images"
    images = [image_dir / name for name in write_images(image_dir, 4)]
    raw = [path.read_bytes() for path in images]
    rows = [
        _problem(0, "<image>Find x.", [_image(images[0])]),
        _problem(1, "Which value is x?", [_image(images[1])], answer="C", choices=["3", "4", "5", "6"]),
        _problem(2, "Compare <image> with <image>. How many squares?", [_image(images[2]), _image(images[3])], "2"),
        _problem(3, "<image>Find y.", [{"bytes": None, "path": "missing.png"}]),
        _problem(4, "<image><image>Find z.", [_image(images[0])]),
        _problem(5, "<image>" + "Find the angle of the chord and the tangent. " * 60, [_image(images[1])]),
        _problem(6, "<image>   ", [_image(images[2])]),
        _problem(7, "<image>Find w.", [{"bytes": b"not an image", "path": None}]),
    ]
    path = tmp_path / "geo.parquet"
    pq.write_table(pyarrow.Table.from_pylist(rows), path)
    return path, raw


def _verl_dataset(path: Path, model_dir: Path, tmp_path: Path, max_prompt_length: int = MAX_PROMPT) -> Any:
    """``RLHFDataset`` as verl's trainer builds it (``create_rl_dataset``): hf tokenizer + processor, data config."""
    from omegaconf import OmegaConf
    from verl.utils import hf_processor, hf_tokenizer
    from verl.utils.dataset.rl_dataset import RLHFDataset

    config = OmegaConf.create(
        {
            "prompt_key": "prompt",
            "image_key": "images",
            "max_prompt_length": max_prompt_length,
            "filter_overlong_prompts": True,
            "filter_overlong_prompts_workers": 1,  # in-process: a worker pool costs seconds to start
            "return_raw_chat": True,
            "truncation": "error",
            "cache_dir": str(tmp_path / "verl-cache"),
        }
    )
    tokenizer, processor = hf_tokenizer(str(model_dir)), hf_processor(str(model_dir))
    return RLHFDataset(data_files=[str(path)], tokenizer=tokenizer, config=config, processor=processor)


def _rollout_inputs(dataset: Any, item: dict[str, Any]) -> tuple[list[int], dict[str, Any], dict[str, Any]]:
    """(prompt ids, multi_modal_data, multi_modal_inputs) for one item, via verl's agent-loop building blocks."""
    from verl.utils.tokenizer.continuous_token_wiring import create_continuous_token_builder

    images, videos, audios = type(dataset)._process_multi_modal_info(
        item["raw_prompt"], dataset.image_patch_size, dataset.config
    )
    assert videos is None and audios is None
    builder = create_continuous_token_builder(
        dataset.tokenizer, hf_model_type="qwen2_5_vl", processor=dataset.processor
    )
    mm_inputs: dict[str, Any] = {}
    prompt_ids = builder.build_initial_tokens(item["raw_prompt"], images=images, mm_inputs_out=mm_inputs)
    return prompt_ids, {"images": images}, mm_inputs


@pytest.fixture(autouse=True)
def _datasets_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # RLHFDataset's load_dataset caches arrow copies under the user's HF cache otherwise.
    import datasets

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-datasets")


def test_convert_drops_bad_rows_and_verl_builds_the_multimodal_inputs(tiny_model_dir: Path, tmp_path: Path) -> None:
    source, raw_images = _write_input(tmp_path)
    seen: list[int] = []
    config = RLDataConfig(
        input=source, output=tmp_path / "out" / "rl.parquet", model=tiny_model_dir, max_prompt_length=MAX_PROMPT
    )
    report = convert_rl_data(config, on_progress=seen.append)

    assert (report.input, report.kept, sum(seen)) == (8, 3, 8)
    assert report.kept + report.rejected_total == report.input
    assert dict(report.rejected) == {
        "missing_image": 1,
        "placeholder_mismatch": 1,
        "prompt_too_long": 1,
        "empty_question": 1,
        "corrupt_image": 1,
    }
    rejects = [json.loads(line) for line in report.rejects_path.read_text().splitlines()]
    assert [(r["index"], r["id"], r["reason"]) for r in rejects] == [
        (3, "q3", "missing_image"),
        (4, "q4", "placeholder_mismatch"),
        (5, "q5", "prompt_too_long"),
        (6, "q6", "empty_question"),
        (7, "q7", "corrupt_image"),
    ]
    assert "2 <image> markers for 1 images" in rejects[1]["detail"]
    assert f"> max_prompt_length {MAX_PROMPT}" in rejects[2]["detail"]
    assert 0 < report.prompt_tokens_mean <= report.prompt_tokens_max <= MAX_PROMPT
    assert report.outputs == {"train": tmp_path / "out" / "rl.parquet"} and report.splits == {"train": 3}

    rows = pq.read_table(report.outputs["train"]).to_pylist()
    assert [row["prompt"] for row in rows] == [
        [{"role": "user", "content": "<image>Find x."}],
        [{"role": "user", "content": "<image>Which value is x?\nChoices:\n(A) 3\n(B) 4\n(C) 5\n(D) 6"}],
        [{"role": "user", "content": "Compare <image> with <image>. How many squares?"}],
    ]
    # Original PNG bytes, untouched, one entry per image.
    assert [[image["bytes"] for image in row["images"]] for row in rows] == [
        [raw_images[0]],
        [raw_images[1]],
        [raw_images[2], raw_images[3]],
    ]
    assert {row["data_source"] for row in rows} == {"vision_r1"} and {row["ability"] for row in rows} == {"math"}
    assert rows[1]["reward_model"] == {"style": "rule", "ground_truth": "C"}
    assert rows[1]["extra_info"] == {
        "split": "train",
        "index": 1,
        "id": "q1",
        "answer": "C",
        "question": "Which value is x?",
        "choices": ["3", "4", "5", "6"],
    }

    dataset = _verl_dataset(report.outputs["train"], tiny_model_dir, tmp_path)
    assert len(dataset) == 3  # verl's own overlong filter keeps every row we kept
    processor = dataset.processor
    image_pad = processor.tokenizer.convert_tokens_to_ids("<|image_pad|>")
    lengths = []
    for position, expected_images in enumerate((1, 1, 2)):
        item = dataset[position]
        assert item["reward_model"] == rows[position]["reward_model"]
        assert item["extra_info"] == rows[position]["extra_info"] and item["index"] == position
        prompt_ids, mm_data, mm_inputs = _rollout_inputs(dataset, item)
        grid = mm_inputs["image_grid_thw"]
        assert len(mm_data["images"]) == expected_images and tuple(grid.shape) == (expected_images, 3)
        merge = processor.image_processor.merge_size**2
        assert prompt_ids.count(image_pad) == int(grid.prod(dim=-1).sum()) // merge > 0
        assert tuple(mm_inputs["pixel_values"].shape) == (int(grid.prod(dim=-1).sum()), PATCH_DIM)
        lengths.append(len(prompt_ids))
    # Our count is the rollout's count, so verl's filter at one token less drops exactly the longest row.
    assert max(lengths) == report.prompt_tokens_max
    assert sum(lengths) / len(lengths) == pytest.approx(report.prompt_tokens_mean)
    assert len(_verl_dataset(report.outputs["train"], tiny_model_dir, tmp_path, max(lengths) - 1)) == 2


def test_r1_system_prompt_choices_and_deterministic_split(tiny_model_dir: Path, tmp_path: Path) -> None:
    image_dir = tmp_path / "images"
    names = write_images(image_dir, 8)
    rows = [
        _problem(i, f"<image>Pick the length of side {i}.", [_image(image_dir / name)], "B", choices=["1", "2", "3"])
        for i, name in enumerate(names)
    ]
    source = tmp_path / "mc.jsonl"  # the shared reader: JSONL with bytes would not serialise, so paths here
    source.write_text(
        "".join(json.dumps({**row, "images": [f"images/{names[i]}"]}) + "\n" for i, row in enumerate(rows))
    )
    instruction = "Answer with the option's letter."

    def run(seed: int, out: str) -> Any:
        config = RLDataConfig(
            input=source,
            output=tmp_path / out,
            model=tiny_model_dir,
            system_prompt=R1_SYSTEM_PROMPT,
            instruction=instruction,
            test_size=0.25,
            seed=seed,
        )
        return convert_rl_data(config)

    report = run(0, "r1")
    assert (report.kept, report.rejected_total, report.splits) == (8, 0, {"train": 6, "test": 2})
    assert report.outputs == {"train": tmp_path / "r1.train.parquet", "test": tmp_path / "r1.test.parquet"}
    assert not (tmp_path / "r1.parquet").exists() and not (tmp_path / "r1.parquet.tmp").exists()
    tables = {split: pq.read_table(path).to_pylist() for split, path in report.outputs.items()}
    assert {row["extra_info"]["split"] for row in tables["train"]} == {"train"}
    assert {row["extra_info"]["split"] for row in tables["test"]} == {"test"}
    test_ids = sorted(row["extra_info"]["id"] for row in tables["test"])
    ids = sorted(row["extra_info"]["id"] for split in tables.values() for row in split)
    assert ids == sorted(f"q{i}" for i in range(8))
    again = {split: pq.read_table(path).to_pylist() for split, path in run(0, "again").outputs.items()}
    assert sorted(row["extra_info"]["id"] for row in again["test"]) == test_ids

    first = tables["train"][0]
    assert first["prompt"][0] == {"role": "system", "content": R1_SYSTEM_PROMPT}
    user = first["prompt"][1]
    assert user["role"] == "user" and user["content"].startswith("<image>Pick the length of side ")
    assert user["content"].endswith(f"\nChoices:\n(A) 1\n(B) 2\n(C) 3\n{instruction}")

    assert MAX_PROMPT < report.prompt_tokens_max <= 1024  # the tiny tokenizer spends many tokens on English
    dataset = _verl_dataset(report.outputs["train"], tiny_model_dir, tmp_path, max_prompt_length=1024)
    assert len(dataset) == 6
    item = dataset[0]
    assert item["raw_prompt"][0]["role"] == "system"
    prompt_ids, _, _ = _rollout_inputs(dataset, item)
    text = dataset.tokenizer.decode(prompt_ids)
    assert R1_SYSTEM_PROMPT in text and "(B) 2" in text and "You are a helpful assistant" not in text

    # The reward reads extra_info["choices"] as the option texts, A first: answering "2" means option B.
    from vision_r1_plugins.reward.scorer import compute_score

    response = "<think>The side is two units.</think><answer>2</answer>"
    scored = compute_score("vision_r1", response, item["reward_model"]["ground_truth"], item["extra_info"])
    assert scored["score"] == 1.0
    wrong = compute_score("vision_r1", response.replace(">2<", ">3<"), "B", item["extra_info"])
    assert wrong["score"] == 0.0


def test_config_rejects_settings_that_would_misalign_images(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="test_size"):
        RLDataConfig(input=tmp_path, output=tmp_path / "o", model=tmp_path, test_size=1.0)
    with pytest.raises(ValueError, match="system_prompt"):
        RLDataConfig(input=tmp_path, output=tmp_path / "o", model=tmp_path, system_prompt="Look at <image>")
