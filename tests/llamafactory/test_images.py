"""Image checks: what each level catches, on files written here, and what it must not reject."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from vision_r1_plugins.llamafactory.images import Reject, image_size
from vision_r1_plugins.testing.synthetic import png_with_damaged_data


def _image(path: Path, size: tuple[int, int] = (120, 90)) -> bytes:
    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).rectangle((5, 5, 60, 40), fill=(200, 30, 30))
    for x in range(0, size[0], 7):  # some detail, so that the entropy-coded data spans many bytes
        ImageDraw.Draw(image).line((x, 0, size[0] - x, size[1]), fill=(x % 255, 90, 200))
    image.save(path)
    return path.read_bytes()


@pytest.fixture
def jpeg(tmp_path: Path) -> bytes:
    return _image(tmp_path / "good.jpg")


@pytest.fixture
def png(tmp_path: Path) -> bytes:
    return _image(tmp_path / "good.png")


@pytest.mark.parametrize("decode", [False, True])
def test_good_files_and_harmless_oddities_pass(tmp_path: Path, jpeg: bytes, png: bytes, decode: bool) -> None:
    (tmp_path / "trailing.jpg").write_bytes(jpeg + b"\0" * 40)  # bytes after the end marker: Pillow decodes it
    (tmp_path / "no_iend.png").write_bytes(png[:-12])  # verify() refuses it, the decoder does not
    (tmp_path / "photo.webp").write_bytes(b"")
    Image.open(io.BytesIO(jpeg)).save(tmp_path / "photo.webp")
    for name in ("good.jpg", "good.png", "trailing.jpg", "no_iend.png", "photo.webp"):
        assert image_size(str(tmp_path / name), decode=decode) == (120, 90), name
    assert image_size({"bytes": jpeg, "path": None}, decode=decode) == (120, 90)
    assert image_size(jpeg, decode=decode) == (120, 90)


@pytest.mark.parametrize("decode", [False, True])
def test_truncated_and_broken_files_are_caught_at_both_levels(
    tmp_path: Path, jpeg: bytes, png: bytes, decode: bool
) -> None:
    cases = {
        "half.jpg": jpeg[: len(jpeg) // 2],
        "no_end_marker.jpg": jpeg[:-2],
        "half.png": png[: len(png) // 2],
        "half.webp": None,
        "text.png": b"not an image at all",
    }
    buffer = io.BytesIO()
    Image.open(io.BytesIO(jpeg)).save(buffer, "WEBP")
    cases["half.webp"] = buffer.getvalue()[: len(buffer.getvalue()) // 2]
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(Reject) as caught:
            image_size(str(tmp_path / name), decode=decode)
        assert caught.value.reason == "undecodable_image", name


def test_damaged_png_data_under_valid_crcs_needs_decode_images(tmp_path: Path, png: bytes) -> None:
    """verify() checks the CRCs, not the compressed data: only a full decode sees data damaged before its CRC
    was computed. (Pillow decodes a damaged JPEG body without an error, as LLaMA-Factory then does too.)"""
    (tmp_path / "damaged.png").write_bytes(png_with_damaged_data(png))
    assert image_size(str(tmp_path / "damaged.png")) == (120, 90)
    with pytest.raises(Reject, match="broken data stream"):
        image_size(str(tmp_path / "damaged.png"), decode=True)


def test_missing_null_and_wrong_types(tmp_path: Path) -> None:
    for image, reason in [
        (str(tmp_path / "nowhere.png"), "missing_image"),
        (None, "missing_image"),
        ({"bytes": None, "path": "nowhere.png"}, "missing_image"),
        (5, "invalid_row"),
    ]:
        with pytest.raises(Reject) as caught:
            image_size(image)
        assert caught.value.reason == reason, image
