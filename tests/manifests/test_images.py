from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from openlookout.manifests import ImageError, check_image, check_image_size, decode_image_rgb, decode_mask
from openlookout.manifests.lines import ColorClass, parse_line

CRACKED = (ColorClass("cracked", "#23a436"),)


def encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


def rgb(width: int, height: int, fmt: str = "PNG") -> bytes:
    pixels = np.random.default_rng(0).integers(0, 255, (height, width, 3), dtype=np.uint8)
    return encode(Image.fromarray(pixels), fmt)


def test_format_comes_from_content_not_name() -> None:
    info = check_image(rgb(64, 80, "PNG"), "s3://b/looks-like.jpg")
    assert (info.format, info.width, info.height) == ("PNG", 64, 80)
    info = check_image(rgb(100, 64, "JPEG"), "s3://b/x.png")
    assert (info.format, info.width, info.height) == ("JPEG", 100, 64)


def test_real_cookie_jpeg(cookies: Path) -> None:
    data = (cookies / "train" / "anomaly" / "anomaly-1.jpg").read_bytes()
    info = check_image(data, "s3://b/anomaly-1.jpg")
    assert (info.format, info.width, info.height) == ("JPEG", 576, 768)
    assert decode_image_rgb(data, "r").shape == (768, 576, 3)


@pytest.mark.parametrize("keep", [0.5, 0.99])
def test_truncated_jpeg_fails(cookies: Path, keep: float) -> None:
    data = (cookies / "train" / "normal" / "normal-1.jpg").read_bytes()
    with pytest.raises(ImageError, match=r"s3://b/n.jpg could not be decoded .*truncated or corrupt"):
        check_image(data[: int(len(data) * keep)], "s3://b/n.jpg")


def test_jpeg_with_garbage_after_its_magic_fails() -> None:
    garbage = np.random.default_rng(1).integers(0, 255, 5000, dtype=np.uint8).tobytes()
    with pytest.raises(ImageError, match=r"^The image s3://b/c.jpg could not be (read|decoded)"):
        check_image(b"\xff\xd8\xff" + garbage, "s3://b/c.jpg")


def test_truncated_png_fails() -> None:
    data = rgb(200, 200, "PNG")
    with pytest.raises(ImageError, match=r"could not be (decoded|read)"):
        check_image(data[: len(data) // 2], "s3://b/t.png")


def test_non_image_fails() -> None:
    with pytest.raises(ImageError, match=r"^The image s3://b/a.jpg is not a PNG or JPEG file\.$"):
        check_image(b"GIF89a not what we take", "s3://b/a.jpg")
    gif = encode(Image.new("RGB", (64, 64)), "GIF")
    with pytest.raises(ImageError, match="not a PNG or JPEG"):
        check_image(gif, "s3://b/a.gif")


def test_size_limit_of_8_mb() -> None:
    check_image_size(8 * 1024 * 1024, "s3://b/ok.jpg")
    with pytest.raises(ImageError, match="at most 8388608 bytes"):
        check_image_size(8 * 1024 * 1024 + 1, "s3://b/big.jpg")
    big = rgb(64, 64, "PNG") + b"\x00" * (8 * 1024 * 1024)
    with pytest.raises(ImageError, match="bytes; images must be at most"):
        check_image(big, "s3://b/big.png")


@pytest.mark.parametrize(("width", "height"), [(63, 64), (64, 63), (4097, 64), (64, 4097)])
def test_sides_must_be_64_to_4096(width: int, height: int) -> None:
    data = encode(Image.new("L", (width, height)), "PNG")
    with pytest.raises(ImageError, match=f"is {width}x{height} pixels; each side must be 64 to 4096"):
        check_image(data, "s3://b/x.png")


def test_sides_at_the_limits_pass() -> None:
    assert check_image(encode(Image.new("L", (64, 4096)), "PNG"), "r").height == 4096


def test_real_palette_mask_with_transparency(cookies: Path) -> None:
    data = (cookies / "train" / "masks" / "anomaly-1.png").read_bytes()
    assert Image.open(io.BytesIO(data)).mode == "P"
    mask = decode_mask(data, "s3://b/m.png", (576, 768), CRACKED)
    assert mask.class_index.shape == (768, 576) and mask.class_index.dtype == np.uint8
    assert mask.classes_present == ["cracked"]
    painted = int((mask.class_index == 1).sum())
    # The fully transparent pixels (alpha 0) of the crack colour stay background.
    assert 5_000 < painted < 20_000


def test_real_rgba_mask(cookies: Path) -> None:
    data = (cookies / "train" / "masks" / "anomaly-23.png").read_bytes()
    assert Image.open(io.BytesIO(data)).mode == "RGBA"
    mask = decode_mask(data, "s3://b/m.png", (576, 768), CRACKED)
    assert mask.classes_present == ["cracked"]
    assert int((mask.class_index == 1).sum()) > 10_000


def test_rgb_mask_two_classes_case_insensitive_and_unknown_colours_are_background() -> None:
    pixels = np.zeros((64, 80, 3), dtype=np.uint8)
    pixels[0:10] = (0xAB, 0xCD, 0xEF)
    pixels[10:20] = (255, 0, 0)
    pixels[20:30] = (1, 2, 3)  # not in the map
    pixels[30:] = (255, 255, 255)  # BACKGROUND
    color_map = (
        ColorClass("BACKGROUND", "#ffffff"),
        ColorClass("scratch", "#abcdef"),
        ColorClass("dent", "#ff0000"),
    )
    mask = decode_mask(encode(Image.fromarray(pixels), "PNG"), "m", (80, 64), color_map)
    assert mask.class_names == ["scratch", "dent"]
    assert mask.classes_present == ["scratch", "dent"]
    assert (mask.class_index[0:10] == 1).all()
    assert (mask.class_index[10:20] == 2).all()
    assert (mask.class_index[20:] == 0).all()


def test_color_map_parsed_from_upper_case_hex_matches_pixels() -> None:
    meta = {
        "internal-color-map": {"0": {"class-name": "cracked", "hex-color": "#23A436"}},
        "type": "groundtruth/semantic-segmentation",
        "human-annotated": "yes",
    }
    line = parse_line(
        json.dumps({"source-ref": "s3://b/i.jpg", "m-ref": "s3://b/m.png", "m-ref-metadata": meta}), 1
    )
    pixels = np.zeros((64, 64, 3), dtype=np.uint8)
    pixels[5, 5] = (0x23, 0xA4, 0x36)
    mask = decode_mask(encode(Image.fromarray(pixels), "PNG"), "m", (64, 64), line.color_map)
    assert mask.classes_present == ["cracked"] and int(mask.class_index.sum()) == 1


def test_mask_with_no_anomaly_pixels() -> None:
    mask = decode_mask(encode(Image.new("RGB", (64, 64)), "PNG"), "m", (64, 64), CRACKED)
    assert mask.classes_present == [] and not mask.class_index.any()


def test_mask_must_be_a_real_png() -> None:
    with pytest.raises(ImageError, match=r"The mask s3://b/m.png is not a PNG file"):
        decode_mask(rgb(64, 64, "JPEG"), "s3://b/m.png", (64, 64), CRACKED)


def test_truncated_mask_fails() -> None:
    data = rgb(200, 200, "PNG")
    with pytest.raises(ImageError, match="mask"):
        decode_mask(data[: len(data) // 2], "s3://b/m.png", (200, 200), CRACKED)


def test_mask_size_must_match_its_image() -> None:
    data = encode(Image.new("RGB", (64, 65)), "PNG")
    with pytest.raises(ImageError, match="is 64x65 pixels but its image is 64x64"):
        decode_mask(data, "s3://b/m.png", (64, 64), CRACKED)


def test_background_only_placeholder_mask_may_differ_in_size(cookies: Path) -> None:
    # The upstream sample attaches this 16x16 white mask to every normal image.
    data = (cookies / "manifests" / "dummy_anomaly_mask.png").read_bytes()
    mask = decode_mask(data, "s3://b/dummy.png", (576, 768), (ColorClass("BACKGROUND", "#ffffff"),))
    assert mask.classes_present == [] and mask.class_index.shape == (768, 576)


def declaring(data: bytes, width: int, height: int) -> bytes:
    """``data`` (PNG or baseline JPEG) with a header that claims ``width`` x ``height``."""
    import zlib

    if data.startswith(b"\x89PNG"):
        ihdr = bytearray(data[8:29])
        ihdr[8:16] = width.to_bytes(4, "big") + height.to_bytes(4, "big")
        return data[:8] + bytes(ihdr) + zlib.crc32(bytes(ihdr[4:])).to_bytes(4, "big") + data[33:]
    at = data.index(b"\xff\xc0")
    return data[: at + 5] + height.to_bytes(2, "big") + width.to_bytes(2, "big") + data[at + 9 :]


@pytest.mark.parametrize(("fmt", "side"), [("PNG", 50000), ("JPEG", 65500)])
def test_huge_declared_sizes_are_the_size_rule_not_a_decode(fmt: str, side: int) -> None:
    """issue 12 #9: beyond Pillow's decompression-bomb limit, still the documented 64-4096 rule."""
    data = declaring(rgb(64, 64, fmt), side, side)
    with pytest.raises(ImageError, match=rf"is {side}x{side} pixels; each side must be 64 to 4096"):
        check_image(data, "s3://b/huge")


def test_huge_mask_header_is_a_size_mismatch() -> None:
    mask = declaring(rgb(64, 64, "PNG"), 50000, 50000)
    with pytest.raises(ImageError, match="50000x50000 pixels but its image is 64x64"):
        decode_mask(mask, "s3://b/mask.png", (64, 64), CRACKED)


def test_custom_labels_huge_headers_are_line_problems(tmp_path: Path) -> None:
    from openlookout.blobs.local import LocalBlobStore
    from openlookout.service.custom_labels.dataset_job import image_problem

    blobs = LocalBlobStore(tmp_path)
    blobs.create_bucket("bucket")
    blobs.put("bucket", "huge.png", declaring(rgb(64, 64, "PNG"), 50000, 50000))
    blobs.put("bucket", "huge.jpg", declaring(rgb(64, 64, "JPEG"), 65500, 65500))
    assert "50000x50000; each side must be 64 to 4096" in (image_problem(blobs, "s3://bucket/huge.png") or "")
    assert "65500x65500; each side must be 64 to 4096" in (image_problem(blobs, "s3://bucket/huge.jpg") or "")
