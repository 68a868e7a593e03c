"""The bundled sample problems: deterministic generation, well-formed rows, gold answers the reward accepts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PIL")

from PIL import Image

from vision_r1_plugins.reward import compute_score
from vision_r1_plugins.testing.samples import (
    BUNDLED_COUNT,
    BUNDLED_PROBLEMS,
    BUNDLED_SEED,
    FAMILIES,
    LETTERS,
    generate_sample_problems,
)

FIELDS = {
    "id",
    "images",
    "problem",
    "answer",
    "choices",
    "question_type",
    "answer_type",
    "precision",
    "category",
    "family",
    "query",
}
REGENERATE = "regenerate it with `python -m vision_r1_plugins.testing.samples` instead of editing it by hand"


def _rows(jsonl: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]


def _files(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_sample_problems(tmp_path_factory.mktemp("problems"), BUNDLED_COUNT, BUNDLED_SEED)


def _response(answer: str) -> str:
    return f"<think>x</think><answer>{answer}</answer>"


def _extra(row: dict[str, Any]) -> dict[str, Any] | None:
    return {"choices": row["choices"]} if row["choices"] else None


def test_generation_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    first = generate_sample_problems(tmp_path / "a", count=len(FAMILIES), seed=7)
    generate_sample_problems(tmp_path / "b", count=len(FAMILIES), seed=7)
    assert first == tmp_path / "a" / "problems.jsonl"
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    other = generate_sample_problems(tmp_path / "c", count=len(FAMILIES), seed=8)
    assert other.read_bytes() != first.read_bytes()


def test_a_smaller_count_is_a_prefix(tmp_path: Path, fresh: Path) -> None:
    small = generate_sample_problems(tmp_path, count=5, seed=BUNDLED_SEED)
    assert _rows(small) == _rows(fresh)[:5]


def test_regenerating_fewer_rows_removes_stale_images(tmp_path: Path) -> None:
    generate_sample_problems(tmp_path, count=12)
    (tmp_path / "images" / "notes.png").write_bytes(b"not ours")
    generate_sample_problems(tmp_path, count=4)
    names = {path.name for path in (tmp_path / "images").iterdir()}
    assert names == {Path(row["images"][0]).name for row in _rows(tmp_path / "problems.jsonl")} | {"notes.png"}


def test_count_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="count"):
        generate_sample_problems(tmp_path, count=0)


def test_rows_are_well_formed(fresh: Path) -> None:
    rows = _rows(fresh)
    assert len(rows) == BUNDLED_COUNT
    assert len({row["id"] for row in rows}) == len(rows)
    assert {row["family"] for row in rows} == {name for name, _ in FAMILIES}
    assert {row["category"] for row in rows} == {"geometry", "chart", "counting"}
    for row in rows:
        assert set(row) == FIELDS, row["id"]
        assert row["images"] == [f"images/{row['id']}.png"]
        assert row["problem"].startswith("<image>") and row["problem"].count("<image>") == 1
        question = row["problem"].removeprefix("<image>")
        assert question in row["query"] and "<image>" not in row["query"]
        assert isinstance(row["answer"], str) and row["answer"].strip()
        if row["answer_type"] == "float":
            assert row["precision"] in (1, 2)
            assert len(row["answer"].partition(".")[2]) == row["precision"]
        else:
            assert row["precision"] is None
        if row["answer_type"] == "integer":
            assert row["answer"].isdigit()


def test_multiple_choice_gold_letters_index_the_options(fresh: Path) -> None:
    rows = _rows(fresh)
    multiple_choice = [row for row in rows if row["question_type"] == "multi_choice"]
    assert multiple_choice and len(multiple_choice) < len(rows)
    for row in rows:
        if row["question_type"] == "free_form":
            assert row["choices"] is None
            assert "Choices:" not in row["query"]
            continue
        choices = row["choices"]
        assert len(choices) == 4 and len(set(choices)) == 4, row["id"]
        assert row["answer"] in LETTERS[: len(choices)]
        options = [f"({letter}) {option}" for letter, option in zip(LETTERS, choices, strict=True)]
        assert row["query"].endswith("Choices:\n" + "\n".join(options))


def test_images_decode_and_stay_small(fresh: Path) -> None:
    root = fresh.parent
    total = fresh.stat().st_size
    for row in _rows(fresh):
        path = root / row["images"][0]
        with Image.open(path) as image:
            image.load()
            assert image.format == "PNG"
            assert 200 <= image.width <= 320 and 200 <= image.height <= 320, row["id"]
            # Not blank: a figure has ink and at least one more colour besides the white page.
            assert len(image.convert("RGB").getcolors(256) or ()) >= 3, row["id"]
        total += path.stat().st_size
    assert total < 1_000_000


def test_gold_answers_score_one_with_the_reward(fresh: Path) -> None:
    for row in _rows(fresh):
        result = compute_score("samples", _response(row["answer"]), row["answer"], _extra(row))
        assert result["score"] == 1.0, (row["id"], row["answer"], result)


def test_multiple_choice_distractors_are_wrong(fresh: Path) -> None:
    """Exactly one option is right: the gold option's text scores 1, every other letter scores 0."""
    for row in _rows(fresh):
        if not row["choices"]:
            continue
        gold = LETTERS.index(row["answer"])
        text = compute_score("samples", _response(row["choices"][gold]), row["answer"], _extra(row))
        assert text["score"] == 1.0, (row["id"], text)
        for letter in LETTERS[: len(row["choices"])]:
            if letter != row["answer"]:
                assert compute_score("samples", _response(letter), row["answer"], _extra(row))["score"] == 0.0


def test_bundled_copy_matches_the_generator(fresh: Path) -> None:
    bundled = BUNDLED_PROBLEMS / "problems.jsonl"
    assert bundled.is_file(), f"{bundled} is missing; {REGENERATE}"
    assert bundled.read_bytes() == fresh.read_bytes(), f"{bundled} differs from the generator; {REGENERATE}"
    images = sorted(path.name for path in (BUNDLED_PROBLEMS / "images").iterdir())
    assert images == sorted(f"{row['id']}.png" for row in _rows(fresh)), REGENERATE
    for name in images:
        # Pixels rather than PNG bytes: the zlib inside Pillow's wheels changes between releases, and with it
        # the compressed bytes of an unchanged picture.
        with Image.open(BUNDLED_PROBLEMS / "images" / name) as ours, Image.open(fresh.parent / "images" / name) as new:
            assert ours.size == new.size and ours.convert("RGB").tobytes() == new.convert("RGB").tobytes(), (
                f"images/{name} differs from the generator; {REGENERATE}"
            )
