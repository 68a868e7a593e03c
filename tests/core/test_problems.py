"""The shared problem reader: every row becomes a Problem or a Rejection with its reason."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from vision_r1_plugins.core.problems import InputError, Problem, ProblemColumns, Rejection, RejectReason, read_problems
from vision_r1_plugins.generation import user_message
from vision_r1_plugins.testing.synthetic import write_images


def _png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (30, 20), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def test_jsonl_rows_become_samples_or_reasoned_rejects(tmp_path: Path) -> None:
    names = write_images(tmp_path / "imgs", 1)
    (tmp_path / "broken.png").write_bytes(b"nope")
    good = {
        "id": "a",
        "images": [f"imgs/{names[0]}"],
        "problem": "<image>Find x.",
        "answer": "5",
        "choices": ["4", "5"],
    }
    rows = [
        json.dumps(good),
        "{not json",
        json.dumps([1, 2]),
        json.dumps({**good, "id": "b", "problem": "<image> "}),
        json.dumps({**good, "id": "c", "answer": ""}),
        json.dumps({**good, "id": "d", "images": []}),
        json.dumps({**good, "id": "e", "images": ["imgs/x.png"]}),
        json.dumps({**good, "id": "f", "images": ["broken.png"]}),
    ]
    (tmp_path / "in.jsonl").write_text("\n".join(rows))
    items = list(read_problems(tmp_path / "in.jsonl"))
    assert isinstance(items[0], Problem) and items[0].question == "Find x." and items[0].choices == ("4", "5")
    assert items[0].question_with_choices() == "Find x.\nChoices:\n(A) 4\n(B) 5"
    reasons = [item.reason for item in items[1:]]
    assert all(isinstance(item, Rejection) for item in items[1:])
    assert reasons == [
        "invalid_row",
        "invalid_row",
        "empty_question",
        "missing_answer",
        "no_image",
        "missing_image",
        "corrupt_image",
    ]


def test_parquet_and_datasets_folder_with_image_bytes(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq
    from datasets import Dataset, Features, Image, Sequence, Value

    png = _png_bytes()
    pq.write_table(
        pa.Table.from_pylist([{"images": [{"bytes": png, "path": None}], "q": "Area?", "a": 3}]),
        tmp_path / "in.parquet",
    )
    columns = ProblemColumns(question="q", answer="a", choices=None, id=None)
    (sample,) = list(read_problems(tmp_path / "in.parquet", columns))
    assert isinstance(sample, Problem) and sample.answer == "3" and sample.images[0].read() == png
    assert sample.images[0].mime == "image/png"
    features = Features({"images": Sequence(Image()), "problem": Value("string"), "answer": Value("string")})
    Dataset.from_dict(
        {"images": [[{"bytes": png, "path": None}]], "problem": ["Area?"], "answer": ["3"]}, features=features
    ).save_to_disk(str(tmp_path / "saved"))
    (from_disk,) = list(read_problems(tmp_path / "saved"))
    assert isinstance(from_disk, Problem) and from_disk.images[0].format == "PNG"
    message = user_message("hi", from_disk.images)
    assert message["content"][0]["image_url"]["url"].startswith("data:image/png;base64,")
    with pytest.raises(InputError):
        list(read_problems(tmp_path / "missing.jsonl"))


def test_dotted_columns_candidate_columns_and_optional_images(tmp_path: Path) -> None:
    # An empty first candidate column falls through to the next one.
    rows = [
        {"pid": "7", "question": " ", "query": "What is 1 + 1?", "meta": {"gold": "2"}},
        {"pid": "", "query": "Q?", "meta": {}},
    ]
    (tmp_path / "in.jsonl").write_text("\n".join(json.dumps(row) for row in rows))
    columns = ProblemColumns(
        images=("decoded_image", "image"),
        question=("question", "query"),
        answer="meta.gold",
        choices=None,
        id="pid",
        require_image=False,
    )
    first, second = read_problems(tmp_path / "in.jsonl", columns)
    assert isinstance(first, Problem) and (first.id, first.question, first.answer, first.images) == (
        "7",
        "What is 1 + 1?",
        "2",
        (),
    )
    assert isinstance(second, Rejection) and second.reason == RejectReason.MISSING_ANSWER and second.id == "1"
    assert json.dumps({"reason": second.reason}) == '{"reason": "missing_answer"}'
