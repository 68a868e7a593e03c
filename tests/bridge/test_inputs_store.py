from __future__ import annotations

import io
import json
import random
from pathlib import Path

import pytest

from vision_r1_plugins.bridge.backends import RetryPolicy, parse_retry_after, user_message
from vision_r1_plugins.bridge.inputs import InputColumns, InputError, RejectedInput, Sample, read_samples
from vision_r1_plugins.bridge.pipeline import ChatResult, final_answer, load_prompts, split_reasoning
from vision_r1_plugins.bridge.store import ResultStore, StoreError
from vision_r1_plugins.llamafactory.synthetic import write_images


def _png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (30, 20), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def test_jsonl_rows_become_samples_or_reasoned_rejects(tmp_path: Path) -> None:
    names = write_images(tmp_path / "imgs", 1)
    (tmp_path / "broken.png").write_bytes(b"nope")
    good = {"id": "a", "images": [f"imgs/{names[0]}"], "problem": "<image>Find x.", "answer": "5",
            "choices": ["4", "5"]}  # fmt: skip
    rows = [
        json.dumps(good), "{not json", json.dumps([1, 2]),
        json.dumps({**good, "id": "b", "problem": "<image> "}), json.dumps({**good, "id": "c", "answer": ""}),
        json.dumps({**good, "id": "d", "images": []}), json.dumps({**good, "id": "e", "images": ["imgs/x.png"]}),
        json.dumps({**good, "id": "f", "images": ["broken.png"]}),
    ]  # fmt: skip
    (tmp_path / "in.jsonl").write_text("\n".join(rows))
    items = list(read_samples(tmp_path / "in.jsonl"))
    assert isinstance(items[0], Sample) and items[0].question == "Find x." and items[0].choices == ("4", "5")
    assert items[0].question_with_choices() == "Find x.\nChoices:\n(A) 4\n(B) 5"
    reasons = [item.reason for item in items[1:]]
    assert all(isinstance(item, RejectedInput) for item in items[1:])
    assert reasons == ["invalid_row", "invalid_row", "empty_question", "missing_answer", "no_image", "missing_image",
                       "corrupt_image"]  # fmt: skip


def test_parquet_and_datasets_folder_with_image_bytes(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq
    from datasets import Dataset, Features, Image, Sequence, Value

    png = _png_bytes()
    pq.write_table(pa.Table.from_pylist([{"images": [{"bytes": png, "path": None}], "q": "Area?", "a": 3}]),
                   tmp_path / "in.parquet")  # fmt: skip
    columns = InputColumns(question="q", answer="a", choices=None, id=None)
    (sample,) = list(read_samples(tmp_path / "in.parquet", columns))
    assert isinstance(sample, Sample) and sample.answer == "3" and sample.images[0].read() == png
    assert sample.images[0].mime == "image/png"
    features = Features({"images": Sequence(Image()), "problem": Value("string"), "answer": Value("string")})
    Dataset.from_dict({"images": [[{"bytes": png, "path": None}]], "problem": ["Area?"], "answer": ["3"]},
                      features=features).save_to_disk(str(tmp_path / "saved"))  # fmt: skip
    (from_disk,) = list(read_samples(tmp_path / "saved"))
    assert isinstance(from_disk, Sample) and from_disk.images[0].format == "PNG"
    message = user_message("hi", from_disk.images)
    assert message["content"][0]["image_url"]["url"].startswith("data:image/png;base64,")
    with pytest.raises(InputError):
        list(read_samples(tmp_path / "missing.jsonl"))


def test_store_truncates_a_cut_line_and_refuses_to_clobber(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    store = ResultStore(path)
    store.put(("a", "caption_cot", "v1", "m"), {"content": "x"})
    store.put(("a", "description", "v1", "m"), {"content": "y"})
    with pytest.raises(StoreError, match="duplicate"):
        store.put(("a", "description", "v1", "m"), {"content": "z"})
    store.close()
    with path.open("a") as handle:
        handle.write('{"key": ["b", "caption_cot", "v1"')  # killed mid-write
    with pytest.raises(StoreError, match="--resume"):
        ResultStore(path)
    resumed = ResultStore(path, resume=True)
    assert len(resumed) == 2 and resumed.get(("a", "description", "v1", "m")) == {"content": "y"}
    resumed.put(("b", "caption_cot", "v1", "m"), {"content": "w"})
    resumed.close()
    assert [json.loads(line)["key"][0] for line in path.read_text().splitlines()] == ["a", "a", "b"]


def test_retry_policy_and_retry_after() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=10.0)
    rng = random.Random(0)
    assert all(0 <= policy.delay(attempt, None, rng) <= min(10.0, 2**attempt) for attempt in range(8))
    assert all(policy.delay(0, 3.0, rng) >= 3.0 for _ in range(20))  # never sooner than the server asked
    assert policy.delay(0, 1000.0, rng) == 10.0
    assert parse_retry_after("2.5") == 2.5 and parse_retry_after(None) is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_reasoning_split_and_final_answer() -> None:
    assert split_reasoning(ChatResult("The answer is \\boxed{7}.", "so 3+4=7")) == (
        "so 3+4=7",
        "The answer is \\boxed{7}.",
    )
    assert split_reasoning(ChatResult("<think>\nso 7\n</think>\n\nThe answer is \\boxed{7}.")) == (
        "so 7", "The answer is \\boxed{7}.")  # fmt: skip
    assert split_reasoning(ChatResult("no thinking here")) == ("", "no thinking here")
    assert final_answer("Thus \\boxed{\\frac{1}{2}}.") == "\\frac{1}{2}"
    assert final_answer("Final Answer: C.") == "C"
    assert final_answer("I am not sure.") == ""


def test_prompt_overrides_change_the_version(tmp_path: Path) -> None:
    ours = load_prompts()
    (tmp_path / "reasoning.txt").write_text("Reason about ${description} to answer ${question}.")
    mixed = load_prompts(tmp_path)
    assert mixed["caption_cot"] == ours["caption_cot"] and mixed["reasoning"].version != ours["reasoning"].version
    (tmp_path / "description.txt").write_text("No placeholders at all.")
    with pytest.raises(ValueError, match="placeholders"):
        load_prompts(tmp_path)
