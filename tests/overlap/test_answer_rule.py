"""An image match counts only when the two rows' answers do not contradict (issue 26, the template-figure rule)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vision_r1_plugins.core.images import ImageRef
from vision_r1_plugins.core.problems import Problem
from vision_r1_plugins.overlap import OverlapConfig, check_overlap, load_index
from vision_r1_plugins.overlap.answer_check import answers_contradict, row_answer

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples" / "problems" / "problems.jsonl"
# Byte-identical figures reused by the samples with the SAME answer in another format (100\pi as free form, as
# option D and as option A; 41 and option B; 28.27 and 9\pi for one r = 3 circle; 3\sqrt{13} and option C): the
# same problem, so still overlaps under the rule.
SAME_ANSWER_REUSE = {
    frozenset({"geo-006", "geo-011"}),
    frozenset({"geo-006", "geo-026"}),
    frozenset({"geo-011", "geo-026"}),
    frozenset({"geo-012", "geo-019"}),
    frozenset({"geo-014", "geo-021"}),
    frozenset({"geo-016", "geo-024"}),
}


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize(
    ("first", "second", "contradict"),
    [
        (("66", None), ("68", None), True),
        (("100\\pi", None), ("D", ("400\\pi", "20\\pi", "10\\pi", "100\\pi")), False),  # a letter names the text
        (("D", ("400\\pi", "20\\pi", "10\\pi", "100\\pi")), ("A", ("100\\pi", "200\\pi", "20\\pi", "10\\pi")), False),
        (("B", ("31", "41")), ("A", ("31", "41")), True),
        (("28.27", None), ("9\\pi", None), False),  # the same circle, rounded: one direction states the other
        (("16\\pi", None), ("9\\pi", None), True),
        (("7", None), (None, None), False),  # no answer: the match stands
        (("7", None), ("N/A", None), False),  # an unreadable gold: the match stands
    ],
)
def test_answers_contradict_only_when_both_are_read_and_differ(first: Any, second: Any, contradict: bool) -> None:
    a, b = row_answer(*first), row_answer(*second)
    assert answers_contradict(a, b) is contradict
    assert answers_contradict(b, a) is contradict


def test_the_samples_against_themselves_pair_only_rows_with_the_same_answer(tmp_path: Path) -> None:
    report = check_overlap(OverlapConfig((SAMPLES,), (f"vision_r1={SAMPLES}",), tmp_path))
    rows = {row["id"]: row for row in read_jsonl(SAMPLES)}
    pairs = {(pair["benchmark_row"], pair["train_id"]) for pair in read_jsonl(tmp_path / "pairs.jsonl")}
    assert {(row_id, row_id) for row_id in rows} <= pairs
    assert {frozenset(pair) for pair in pairs if pair[0] != pair[1]} == SAME_ANSWER_REUSE
    others = read_jsonl(tmp_path / "image_other_answer.jsonl")
    assert others and all(other["benchmark_row"] != other["train_id"] for other in others)
    assert not {(other["benchmark_row"], other["train_id"]) for other in others} & pairs
    for other in others:  # each discounted candidate states two different answers, as the rows hold them
        assert other["benchmark_answer"] == rows[other["benchmark_row"]]["answer"]
        assert other["train_answer"] == rows[other["train_id"]]["answer"]
    (summary,) = json.loads((tmp_path / "overlap.json").read_text(encoding="utf-8"))["benchmarks"]
    assert summary["image_same_figure_other_answer"] == len(others) == report.other_answer
    assert summary["found"] == 36


def _figure_rows(tmp_path: Path, make_image: Any, encode: Any, jsonl: Any, train_rows: list[dict[str, Any]]) -> Path:
    folder = tmp_path / "bench"
    folder.mkdir()
    make_image(7).save(folder / "fig.png")
    row = {"id": "b", "problem": "Find x.", "answer": "12", "images": ["fig.png"], "category": "geometry"}
    jsonl(folder / "bench.jsonl", [row])
    check_overlap(
        OverlapConfig(
            (jsonl(tmp_path / "train" / "train.jsonl", train_rows),),
            (f"vision_r1={folder / 'bench.jsonl'}",),
            tmp_path / "out",
        )
    )
    return tmp_path / "out"


def _resized_jpeg(make_image: Any, encode: Any, path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(encode(make_image(7).resize((200, 150)), "JPEG", quality=60))
    return str(path)


def test_a_resized_copy_with_the_same_answer_is_found(tmp_path: Path, make_image: Any, encode: Any, jsonl: Any) -> None:
    image = _resized_jpeg(make_image, encode, tmp_path / "train" / "copy.jpg")
    row = {"id": "t", "problem": "What is x?", "answer": "12.0", "images": [image]}
    out = _figure_rows(tmp_path, make_image, encode, jsonl, [row])
    assert [(pair["train_id"], pair["kind"]) for pair in read_jsonl(out / "pairs.jsonl")] == [("t", "image")]
    assert read_jsonl(out / "image_other_answer.jsonl") == []


def test_the_same_figure_with_another_answer_is_counted_not_paired(
    tmp_path: Path, make_image: Any, encode: Any, jsonl: Any
) -> None:
    image = _resized_jpeg(make_image, encode, tmp_path / "train" / "copy.jpg")
    row = {"id": "t", "problem": "What is x?", "answer": "13", "images": [image]}
    out = _figure_rows(tmp_path, make_image, encode, jsonl, [row])
    assert read_jsonl(out / "pairs.jsonl") == []
    (other,) = read_jsonl(out / "image_other_answer.jsonl")
    assert (other["benchmark_row"], other["train_id"], other["benchmark_answer"], other["train_answer"]) == (
        "b",
        "t",
        "12",
        "13",
    )
    summary = json.loads((out / "overlap.json").read_text(encoding="utf-8"))
    assert summary["benchmarks"][0]["found"] == 0 and summary["benchmarks"][0]["image_same_figure_other_answer"] == 1
    assert summary["training"][0]["kept"] == 1 and summary["training"][0]["image_same_figure_other_answer"] == 1


@pytest.mark.parametrize("assistant", [None, "I cannot tell."])
def test_a_training_row_without_an_answer_still_matches_by_image(
    tmp_path: Path, make_image: Any, encode: Any, jsonl: Any, assistant: str | None
) -> None:
    image = _resized_jpeg(make_image, encode, tmp_path / "train" / "copy.jpg")
    turns = [{"role": "user", "content": "<image>What is x?"}]
    turns += [{"role": "assistant", "content": assistant}] if assistant else []
    out = _figure_rows(tmp_path, make_image, encode, jsonl, [{"messages": turns, "images": [image]}])
    assert [pair["kind"] for pair in read_jsonl(out / "pairs.jsonl")] == ["image"]


def test_a_sharegpt_stated_answer_is_compared(tmp_path: Path, make_image: Any, encode: Any, jsonl: Any) -> None:
    image = _resized_jpeg(make_image, encode, tmp_path / "train" / "copy.jpg")
    rows = [
        {
            "id": answer,
            "messages": [
                {"role": "user", "content": "<image>What is x?"},
                {"role": "assistant", "content": f"<think>\nwork\n</think>\nFinal Answer: \\boxed{{{answer}}}"},
            ],
            "images": [image],
        }
        for answer in ("12", "14")
    ]
    out = _figure_rows(tmp_path, make_image, encode, jsonl, rows)
    assert [pair["train_id"] for pair in read_jsonl(out / "pairs.jsonl")] == ["12"]
    assert [other["train_answer"] for other in read_jsonl(out / "image_other_answer.jsonl")] == ["14"]


def test_the_excluder_applies_the_rule(tmp_path: Path, make_image: Any, encode: Any, jsonl: Any) -> None:
    folder = tmp_path / "bench"
    folder.mkdir()
    make_image(7).save(folder / "fig.png")
    jsonl(
        folder / "b.jsonl",
        [
            {
                "id": "b",
                "problem": "Find x.",
                "answer": "B",
                "choices": ["3", "12"],
                "images": ["fig.png"],
                "category": "geometry",
            }
        ],
    )
    index = load_index([f"vision_r1={folder / 'b.jsonl'}"])
    figure = ImageRef(data=encode(make_image(7).resize((200, 150)), "JPEG", quality=60))
    same = Problem(0, "t0", "What is x?", "12", (figure,))
    other = Problem(1, "t1", "What is x?", "3", (figure,))
    match = index.match_problem(same)
    assert match is not None and match.kind == "image" and match.row_id == "b"
    assert index.match_problem(other) is None
