"""A planted-fault set in both Vision-R1-cold layouts: every rule's reason, and the clean copy trains.

Each layout is a registered dataset of 155 rows built here with Pillow: 120 ordinary rows (JPEGs and PNGs of
varied sizes, multi-turn and text-only rows), rows that look odd but train (kept), and one row per fault, each
labelled with the reason the validator must give. The end-to-end tests load the clean copy through LLaMA-Factory's
own ``get_dataset`` (token counts equal the validator's on every kept row) and train 3 steps on it, with a batch
size that draws every kept row, from another folder than the one validation ran in.
"""

from __future__ import annotations

import json
import math
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import torch
from PIL import Image, ImageDraw
from typer.testing import CliRunner

from vision_r1_plugins.cli import app
from vision_r1_plugins.core.dataset_info import bundled_entries, register_datasets
from vision_r1_plugins.llamafactory.validate import (
    REASONS,
    RowChecker,
    ValidateConfig,
    ValidationReport,
    dataset_attr,
    validate_dataset,
)

CUTOFF_LEN = 1024
GOOD_ROWS = 120


@dataclass(frozen=True)
class Layout:
    name: str  # the bundled entry this layout copies
    user: str
    assistant: str
    image_column: str
    as_list: bool
    jsonl: bool

    def row(self, images: list[Any] | None, question: str, answer: str, **extra: Any) -> dict[str, Any]:
        conversation = [{"from": self.user, "value": question}, {"from": self.assistant, "value": answer}]
        value: Any = images if self.as_list or images is None or len(images) != 1 else images[0]
        return {"id": extra.pop("id", 0), "conversations": conversation, self.image_column: value, **extra}


LLAVA_COT = Layout("vision_r1_llava_cot_full", "human", "gpt", "image", as_list=False, jsonl=False)
MULBERRY = Layout("vision_r1_mulberry_sft_full", "user", "assistant", "images", as_list=True, jsonl=True)
LAYOUTS = {"llava_cot": LLAVA_COT, "mulberry": MULBERRY}


def _answer(index: int, words: int = 30) -> str:
    thinking = " ".join(["the", "shape", "has", str(index % 7), "sides"] * max(1, words // 5))
    return f"<think>\n{thinking}\n</think>\n<answer> {index % 7} </answer>"


def _picture(path: Path, size: tuple[int, int], seed: int) -> bytes:
    image = Image.new("RGB", size, (255, 255, 255))
    ImageDraw.Draw(image).ellipse((4, 4, size[0] // 2 + 4, size[1] // 2 + 4), fill=(seed * 37 % 255, 90, 160))
    image.save(path, "JPEG" if path.suffix == ".jpg" else "PNG")
    return path.read_bytes()


def _bomb_png(path: Path, width: int = 14000, height: int = 14000) -> None:
    """A small file whose header claims 14000x14000 pixels: Pillow refuses to open it (decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


@dataclass
class Planted:
    data_dir: Path
    layout: Layout
    expected: list[tuple[str, str | None]]  # per row: (label, reason or None when the row must be kept)

    def label_index(self, label: str) -> int:
        return [name for name, _ in self.expected].index(label)


def build_planted(root: Path, layout: Layout) -> Planted:
    """The dataset under ``root/data`` (registered under the layout's bundled name) and one expectation per row.
    Relative image paths resolve against ``root/data``; one resolves only from ``root`` (the current folder
    during validation)."""
    data_dir, images = root / "data", root / "data" / "images"
    images.mkdir(parents=True)
    files: list[str] = []
    for index in range(24):
        suffix = ".jpg" if index % 2 else ".png"
        size = (40 + 11 * index, 300 - 9 * index)
        _picture(images / f"pic_{index:02d}{suffix}", size, index)
        files.append(f"images/pic_{index:02d}{suffix}")
    rows: list[Any] = []
    expected: list[tuple[str, str | None]] = []

    def add(label: str, reason: str | None, row: Any) -> None:
        rows.append(row)
        expected.append((label, reason))

    for index in range(GOOD_ROWS):
        picture = files[index % len(files)]
        if index % 10 == 3:  # text only
            add(
                f"good_{index}",
                None,
                layout.row([] if layout.as_list else None, f"What is {index} + 1?", _answer(index), id=index),
            )
        elif index % 10 == 5:  # four turns
            row = layout.row([picture], f"<image>How many sides? ({index})", _answer(index), id=index)
            row["conversations"] += [
                {"from": layout.user, "value": "Are you sure?"},
                {"from": layout.assistant, "value": _answer(index + 1, 10)},
            ]
            add(f"good_{index}", None, row)
        elif index % 10 == 7 and layout.as_list:  # two images
            second = files[(index + 5) % len(files)]
            add(
                f"good_{index}",
                None,
                layout.row([picture, second], f"<image>Compare with <image>. ({index})", _answer(index), id=index),
            )
        else:
            row = layout.row(
                [picture], f"<image>How many sides does the shape have? ({index})", _answer(index), id=index
            )
            if index % 10 == 9:  # an extra key in one message: its type must stay the same in later rows
                row["conversations"][1]["weight"] = 1.0
            add(f"good_{index}", None, row)

    # Odd but fine: LLaMA-Factory trains on these, so they are kept.
    trailing = images / "trailing.jpg"
    trailing.write_bytes(_picture(trailing, (90, 70), 1) + b"\x00" * 32)
    add("jpeg_with_trailing_bytes", None, layout.row(["images/trailing.jpg"], "<image>Sides?", _answer(1)))
    no_iend = images / "no_iend.png"
    no_iend.write_bytes(_picture(no_iend, (90, 70), 2)[:-12])
    add("png_without_iend", None, layout.row(["images/no_iend.png"], "<image>Sides?", _answer(2)))
    add(
        "grounding_tokens",
        None,
        layout.row([files[0]], "<image>Where is <|box_start|>(1,2),(30,40)<|box_end|>?", _answer(3)),
    )
    add("absolute_path", None, layout.row([str(data_dir / files[1])], "<image>Sides?", _answer(4)))
    (root / "outside").mkdir()
    _picture(root / "outside" / "only_here.png", (80, 80), 5)
    add("image_from_current_dir", None, layout.row(["outside/only_here.png"], "<image>Sides?", _answer(5)))
    if layout.as_list:
        converted = layout.row(None, "<image>Sides?", _answer(6))
        converted[layout.image_column] = files[2]  # a string in a list column: becomes a one-item list
        add("string_in_list_column", None, converted)
    else:
        converted = layout.row(None, "<image>Sides?", _answer(6))
        converted[layout.image_column] = [files[2]]  # a one-item list in a string column: becomes the string
        add("one_item_list_in_string_column", None, converted)

    # One row per fault.
    picture = files[3]
    add("not_an_object", "invalid_row", "just a string")
    add("no_messages_column", "invalid_row", {"id": 900, layout.image_column: picture})
    null_content = layout.row([picture], "<image>Sides?", _answer(7))
    null_content["conversations"][1]["value"] = None
    add("null_content", "invalid_row", null_content)
    unhashable = layout.row([picture], "<image>Sides?", _answer(7))
    unhashable["conversations"][0]["from"] = [layout.user]  # a row the checks cannot judge: the error is the detail
    add("unhashable_role", "invalid_row", unhashable)
    missing_role = layout.row([picture], "<image>Sides?", _answer(8))
    del missing_role["conversations"][1]["from"]
    add("missing_role", "bad_role_order", missing_role)
    null_role = layout.row([picture], "<image>Sides?", _answer(8))
    null_role["conversations"][0]["from"] = None
    add("null_role", "bad_role_order", null_role)
    reversed_turns = layout.row([picture], "<image>Sides?", _answer(8))
    reversed_turns["conversations"].reverse()
    add("reversed_turns", "bad_role_order", reversed_turns)
    odd = layout.row([picture], "<image>Sides?", _answer(8))
    odd["conversations"].append({"from": layout.user, "value": "And?"})
    add("unanswered_turn", "bad_role_order", odd)
    system_first = layout.row([picture], "<image>Sides?", _answer(8))
    system_first["conversations"].insert(0, {"from": "system", "value": "Be brief."})  # no system_tag registered
    add("system_role_not_registered", "bad_role_order", system_first)
    add("blank_answer", "empty_turn", layout.row([picture], "<image>Sides?", "  \n "))
    add(
        "image_pad_in_question",
        "special_token_in_text",
        layout.row([picture], "<image>Sides <|image_pad|>?", _answer(9)),
    )
    add(
        "vision_start_in_question",
        "special_token_in_text",
        layout.row([picture], "<|vision_start|><image>Sides?", _answer(9)),
    )
    add("im_end_in_answer", "special_token_in_text", layout.row([picture], "<image>Sides?", _answer(9) + "<|im_end|>"))
    add(
        "two_placeholders_one_image",
        "image_count_mismatch",
        layout.row([picture], "<image>Sides? <image>", _answer(10)),
    )
    add("no_placeholder_one_image", "image_count_mismatch", layout.row([picture], "Sides?", _answer(10)))
    if not layout.as_list:
        add("null_image_with_placeholder", "image_count_mismatch", layout.row(None, "<image>Sides?", _answer(10)))
    add("video_placeholder", "video_count_mismatch", layout.row([picture], "<image>Sides? <video>", _answer(11)))
    add("audio_placeholder", "audio_count_mismatch", layout.row([picture], "<image>Sides? <audio>", _answer(11)))
    add("image_only_in_answer", "image_in_answer", layout.row([picture], "Sides?", "Look: <image> " + _answer(12)))
    if not layout.as_list:
        two = layout.row(None, "<image>Sides? <image>", _answer(13))
        two[layout.image_column] = [files[4], files[5]]  # a list of two in a string column: no lossless form
        add("two_images_in_string_column", "column_type_mismatch", two)
    nested = layout.row([picture], "<image>Sides?", _answer(13))
    nested["conversations"][1]["weight"] = "high"  # earlier rows hold a number there
    add("nested_type_change", "column_type_mismatch", nested)
    add(
        "top_level_type_change",
        "column_type_mismatch",
        layout.row([picture], "<image>Sides?", _answer(13), id="row-14"),
    )
    add("no_such_file", "missing_image", layout.row(["images/nowhere.png"], "<image>Sides?", _answer(14)))
    if layout.as_list:
        add("null_in_images_list", "missing_image", layout.row([None], "<image>Sides?", _answer(14)))
    (images / "not_an_image.png").write_text("these are not pixels")
    add("not_an_image", "undecodable_image", layout.row(["images/not_an_image.png"], "<image>Sides?", _answer(15)))
    full_jpeg = (data_dir / files[1]).read_bytes()
    (images / "truncated.jpg").write_bytes(full_jpeg[: len(full_jpeg) // 2])
    add("truncated_jpeg", "undecodable_image", layout.row(["images/truncated.jpg"], "<image>Sides?", _answer(15)))
    (images / "no_end_marker.jpg").write_bytes(full_jpeg[:-2])
    add(
        "jpeg_without_end_marker",
        "undecodable_image",
        layout.row(["images/no_end_marker.jpg"], "<image>Sides?", _answer(15)),
    )
    full_png = (data_dir / files[0]).read_bytes()
    (images / "truncated.png").write_bytes(full_png[: len(full_png) // 2])
    add("truncated_png", "undecodable_image", layout.row(["images/truncated.png"], "<image>Sides?", _answer(15)))
    _bomb_png(images / "bomb.png")
    add("decompression_bomb", "undecodable_image", layout.row(["images/bomb.png"], "<image>Sides?", _answer(15)))
    add("long_answer", "over_cutoff_len", layout.row([picture], "<image>Sides?", _answer(16, words=2500)))

    entry = bundled_entries([layout.name])[layout.name]
    file_name = f"{layout.name}.jsonl" if layout.jsonl else f"{layout.name}.json"
    register_datasets(data_dir, {layout.name: {**entry, "file_name": file_name}}, force=True)
    if layout.jsonl:
        lines = [json.dumps(row) for row in rows]
        lines.insert(GOOD_ROWS // 2, "{this line is not JSON")
        expected.insert(GOOD_ROWS // 2, ("broken_json_line", "invalid_row"))
        (data_dir / file_name).write_text("\n".join(lines) + "\n")
    else:
        (data_dir / file_name).write_text(json.dumps(rows))
    return Planted(data_dir, layout, expected)


@dataclass
class Validated:
    planted: Planted
    fix_dir: Path
    report: ValidationReport
    clean: list[dict[str, Any]]
    rejects: list[dict[str, Any]]


def _validate(root: Path, layout: Layout, model: Path, **options: Any) -> Validated:
    planted = build_planted(root, layout)
    fix_dir = root / "clean"
    config = ValidateConfig(
        str(planted.data_dir), layout.name, str(model), cutoff_len=CUTOFF_LEN, num_workers=2, chunk_rows=16, **options
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)  # where outside/only_here.png resolves from
        report = validate_dataset(config, fix_dir=fix_dir)
    clean = [json.loads(line) for line in (fix_dir / f"{layout.name}.jsonl").read_text().splitlines()]
    rejects = [json.loads(line) for line in (fix_dir / f"{layout.name}.rejects.jsonl").read_text().splitlines()]
    return Validated(planted, fix_dir, report, clean, rejects)


@pytest.fixture(scope="module", params=sorted(LAYOUTS))
def validated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path):
    return _validate(tmp_path_factory.mktemp(request.param), LAYOUTS[request.param], tiny_model_dir)


def test_every_planted_fault_gets_its_reason(validated: Validated) -> None:
    planted, report = validated.planted, validated.report
    assert len(planted.expected) >= 150
    got = {record["index"]: record["reason"] for record in validated.rejects}
    wanted = {index: reason for index, (_, reason) in enumerate(planted.expected) if reason is not None}
    labels = {index: label for index, (label, _) in enumerate(planted.expected)}
    assert {labels[i]: got.get(i) for i in wanted} == {labels[i]: wanted[i] for i in wanted}
    assert set(got) == set(wanted), [labels[i] for i in set(got) - set(wanted)]  # no good row rejected
    # Every rule is exercised, and the counts add up, in the report and in its summary file.
    assert set(REASONS) == set(wanted.values())
    assert report.total == len(planted.expected) == report.kept + report.rejected_total
    assert report.kept == len(validated.clean) == sum(reason is None for _, reason in planted.expected)
    assert report.complete and not report.worker_failures
    summary = json.loads((validated.fix_dir / f"{planted.layout.name}.validation.json").read_text())
    assert summary["kept"] + sum(summary["rejected"].values()) == summary["total"] == report.total
    assert summary["warnings"] == {"image_from_current_dir": 1}


def test_reject_details_name_the_problem(validated: Validated) -> None:
    details = {validated.planted.expected[r["index"]][0]: r["detail"] for r in validated.rejects}
    assert "TypeError while checking: unhashable type" in details["unhashable_role"]
    assert "has no 'from'" in details["missing_role"]
    assert "'<|image_pad|>'" in details["image_pad_in_question"]
    assert "image file is truncated" in details["truncated_jpeg"]
    assert "decompression bomb" in details["decompression_bomb"]
    assert "/conversations/[]/weight is a string here but a number in earlier rows" in details["nested_type_change"]
    assert "<video>" in details["video_placeholder"]
    if validated.planted.layout.as_list:
        assert details["null_in_images_list"] == "the image is null"


def test_the_clean_copy_has_one_type_per_column_and_absolute_paths(validated: Validated) -> None:
    layout = validated.planted.layout
    column = layout.image_column
    values = [row[column] for row in validated.clean if row[column] not in (None, [])]
    paths = [path for value in values for path in (value if layout.as_list else [value])]
    assert all(isinstance(value, list if layout.as_list else str) for value in values)
    assert paths and all(os.path.isabs(path) and os.path.isfile(path) for path in paths)
    assert any(path.endswith("outside/only_here.png") for path in paths)  # found from the current folder only
    assert {type(row["id"]) for row in validated.clean} == {int}


@pytest.mark.slow
def test_the_clean_copy_loads_through_llamafactory_with_our_token_counts(
    validated: Validated, tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llamafactory.train.test_utils import load_dataset_module

    monkeypatch.chdir(tmp_path)  # not where validation ran: the clean copy must not depend on it
    name = validated.planted.layout.name
    fixed = ValidateConfig(str(validated.fix_dir), name, str(tiny_model_dir), cutoff_len=CUTOFF_LEN)
    checker = RowChecker(fixed, dataset_attr(fixed))
    ours = [checker.check(index, row) for index, row in enumerate(validated.clean)]
    assert all(result.reason is None for result in ours)  # the clean copy is clean by its own measure too
    module = load_dataset_module(
        model_name_or_path=str(tiny_model_dir),
        stage="sft",
        do_train=True,
        finetuning_type="full",
        dataset=name,
        dataset_dir=str(validated.fix_dir),
        template="qwen2_vl",
        cutoff_len=CUTOFF_LEN,
        overwrite_cache=True,
        output_dir=str(tmp_path / "out"),
        report_to="none",
    )
    theirs = [len(example["input_ids"]) for example in module["train_dataset"]]
    assert [result.tokens for result in ours] == theirs


@pytest.mark.slow
def test_the_clean_copy_trains_on_every_kept_row(
    validated: Validated, tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    steps = 3
    config = {
        "model_name_or_path": str(tiny_model_dir),
        "stage": "sft",
        "do_train": True,
        "finetuning_type": "full",
        "dataset": validated.planted.layout.name,
        "dataset_dir": str(validated.fix_dir),
        "template": "qwen2_vl",
        "cutoff_len": CUTOFF_LEN,
        "overwrite_cache": True,
        "output_dir": str(tmp_path / "out"),
        "overwrite_output_dir": True,
        "max_steps": steps,
        "learning_rate": 1.0e-3,
        "logging_steps": 1,
        # One epoch in three steps: every kept row goes through the collator and the forward pass.
        "per_device_train_batch_size": math.ceil(len(validated.clean) / steps),
        "save_strategy": "no",
        "bf16": False,
        "report_to": "none",
        "seed": 0,
        "dataloader_drop_last": False,
    }
    path = tmp_path / "sft.yaml"
    path.write_text("\n".join(f"{key}: {json.dumps(value)}" for key, value in config.items()) + "\n")
    result = CliRunner().invoke(app, ["sft", str(path)])
    assert result.exit_code == 0, result.output
    logs = [json.loads(line) for line in (tmp_path / "out" / "trainer_log.jsonl").read_text().splitlines()]
    losses = [entry["loss"] for entry in logs if "loss" in entry]
    assert len(losses) == steps and all(torch.isfinite(torch.tensor(losses)))


def test_image_in_answer_can_be_kept_with_a_warning(tmp_path: Path, tiny_model_dir: Path) -> None:
    validated = _validate(tmp_path, LLAVA_COT, tiny_model_dir, allow_image_in_answer=True)
    index = validated.planted.label_index("image_only_in_answer")
    assert index not in {record["index"] for record in validated.rejects}
    assert validated.report.warnings == {"image_in_answer": 1, "image_from_current_dir": 1}
    assert "image_in_answer" not in validated.report.rejected


# The faults that LLaMA-Factory itself crashes on, given the row with two ordinary rows (one of them holding the
# extra message key whose type the nested fault changes). The others it drops with a warning (bad role order,
# empty or unanswered turns), or trains on in a way we refuse (image tokens as labels, truncated answers, stray
# template tokens that do not happen to break the batch).
CRASHES_LLAMAFACTORY = {
    "not_an_object",
    "no_messages_column",
    "null_content",
    "unhashable_role",
    "missing_role",
    "null_role",
    "image_pad_in_question",
    "two_placeholders_one_image",
    "no_placeholder_one_image",
    "null_image_with_placeholder",
    "video_placeholder",
    "audio_placeholder",
    "two_images_in_string_column",
    "nested_type_change",
    "top_level_type_change",
    "no_such_file",
    "not_an_image",
    "truncated_jpeg",
    "jpeg_without_end_marker",
    "truncated_png",
    "decompression_bomb",
    "one_item_list_in_string_column",
}


@pytest.mark.slow
def test_the_planted_faults_are_real_crashes_of_llamafactory(
    tmp_path: Path, tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each fault alone, in the raw input, through LLaMA-Factory's own preprocessing and one training step."""
    from llamafactory.train.tuner import run_exp

    planted = build_planted(tmp_path, LLAVA_COT)
    monkeypatch.chdir(tmp_path)
    rows = json.loads((planted.data_dir / f"{LLAVA_COT.name}.json").read_text())
    entry = bundled_entries([LLAVA_COT.name])[LLAVA_COT.name]
    ordinary = [rows[planted.label_index("good_0")], rows[planted.label_index("good_9")]]
    outcomes: dict[str, str] = {}
    for label in ["good_1", *sorted(CRASHES_LLAMAFACTORY)]:  # good_1: the control, which trains
        name = f"alone_{label}"
        (planted.data_dir / f"{name}.json").write_text(json.dumps([*ordinary, rows[planted.label_index(label)]]))
        register_datasets(planted.data_dir, {name: {**entry, "file_name": f"{name}.json"}}, force=True)
        try:
            run_exp(
                {
                    "model_name_or_path": str(tiny_model_dir),
                    "stage": "sft",
                    "do_train": True,
                    "finetuning_type": "full",
                    "dataset": name,
                    "dataset_dir": str(planted.data_dir),
                    "template": "qwen2_vl",
                    "cutoff_len": CUTOFF_LEN,
                    "overwrite_cache": True,
                    "output_dir": str(tmp_path / "out"),
                    "overwrite_output_dir": True,
                    "max_steps": 1,
                    "per_device_train_batch_size": 3,
                    "save_strategy": "no",
                    "bf16": False,
                    "report_to": "none",
                }
            )
            outcomes[label] = "trained"
        except Exception as error:
            outcomes[label] = type(error).__name__
    assert outcomes.pop("good_1") == "trained"
    assert "trained" not in outcomes.values(), outcomes
