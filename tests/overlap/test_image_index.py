from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.overlap.image_index import ImageHasher, ImageHashes, ImageIndex, ImageSkip, hash_image


def hashes(data: bytes | str) -> ImageHashes:
    result = hash_image(data)
    assert isinstance(result, ImageHashes), result
    return result


@pytest.fixture
def index(make_image: Any, encode: Any) -> ImageIndex:
    built = ImageIndex(max_distance=6)
    for entry in range(12):
        built.add(entry, 0, hashes(encode(make_image(entry))))
    built.freeze()
    return built


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(lambda image, encode: encode(image, "JPEG", quality=60), id="jpeg-q60"),
        pytest.param(lambda image, encode: encode(image, "JPEG", quality=30), id="jpeg-q30"),
        pytest.param(lambda image, encode: encode(image.resize((160, 120)), "PNG"), id="half-size"),
        pytest.param(lambda image, encode: encode(image.resize((640, 480)), "JPEG", quality=85), id="double-jpeg"),
        pytest.param(lambda image, encode: encode(image.convert("P", palette=Image.ADAPTIVE), "PNG"), id="palette"),
        pytest.param(lambda image, encode: encode(image.convert("RGBA"), "WEBP", quality=80), id="webp"),
    ],
)
def test_a_reencoded_or_resized_copy_is_found(index: ImageIndex, make_image: Any, encode: Any, variant: Any) -> None:
    for entry in (3, 7, 11):
        found = index.query(hashes(variant(make_image(entry), encode)))
        assert [hit.entry for hit in found] == [entry]
        assert found[0].distance <= 6 and found[0].similarity == 1 - found[0].distance / 64


def test_a_png_made_from_a_jpeg_is_found(index: ImageIndex, make_image: Any, encode: Any, tmp_path: Path) -> None:
    jpeg = tmp_path / "figure.jpg"
    jpeg.write_bytes(encode(make_image(5), "JPEG", quality=70))
    Image.open(jpeg).save(tmp_path / "figure.png")
    assert [hit.entry for hit in index.query(hashes(str(tmp_path / "figure.png")))] == [5]


def test_different_figures_are_not_matched(index: ImageIndex, make_image: Any, encode: Any) -> None:
    for seed in range(1000, 1040):
        assert index.query(hashes(encode(make_image(seed)))) == []


@pytest.mark.parametrize(
    "image",
    [
        Image.new("RGB", (200, 150), (255, 255, 255)),
        Image.new("RGB", (200, 150), (30, 90, 200)),
        Image.new("L", (64, 64), 128),
    ],
)
def test_near_constant_images_are_skipped_not_matched(image: Image.Image, encode: Any) -> None:
    result = hash_image(encode(image))
    assert isinstance(result, ImageSkip) and result.reason == "degenerate_image"
    assert "near-constant" in result.detail


def test_an_unreadable_image_is_skipped_with_its_reason(tmp_path: Path) -> None:
    assert hash_image(b"not an image").reason == "unreadable_image"  # type: ignore[union-attr]
    assert hash_image(str(tmp_path / "missing.png")).reason == "unreadable_image"  # type: ignore[union-attr]


def test_query_many_equals_one_by_one_and_worker_processes_agree(make_image: Any, encode: Any) -> None:
    sources = [encode(make_image(seed), "JPEG", quality=80) for seed in range(6)]
    with ImageHasher(workers=2) as pool:
        in_pool = pool.map(sources)
    assert in_pool == [hash_image(source) for source in sources]
    built = ImageIndex(4)
    for entry, item in enumerate(in_pool):
        built.add(entry, 0, item)  # type: ignore[arg-type]
    built.freeze()
    assert list(built.query_many(in_pool)) == [built.query(item) for item in in_pool]  # type: ignore[arg-type]


def test_an_empty_index_finds_nothing_and_bad_distances_are_usage_errors(make_image: Any, encode: Any) -> None:
    empty = ImageIndex()
    empty.freeze()
    assert empty.query(hashes(encode(make_image(1)))) == []
    with pytest.raises(UsageError, match="--image-distance"):
        ImageIndex(40)
