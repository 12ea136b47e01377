"""Image and mask checks for dataset images (spec A.5.3, A.5.4).

Everything works on bytes already fetched; the caller checks the object size
from a HEAD first (``check_image_size``) so oversized files are not downloaded.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, JpegImagePlugin, PngImagePlugin, UnidentifiedImageError

from openlookout.manifests.errors import ImageError
from openlookout.manifests.limits import MAX_IMAGE_BYTES, MAX_IMAGE_SIDE, MIN_IMAGE_SIDE
from openlookout.manifests.lines import ColorClass

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
# Anti-aliased masks fade the defect colour out through alpha; a pixel at least
# half opaque is painted, anything more transparent is background.
MASK_ALPHA_THRESHOLD = 128


@dataclass(frozen=True)
class ImageInfo:
    format: str  # "PNG" | "JPEG"
    width: int
    height: int


@dataclass(frozen=True)
class MaskInfo:
    # (H, W) class indices: 0 = background, k = class_names[k - 1].
    class_index: np.ndarray
    classes_present: list[str]
    class_names: list[str]


def sniff_format(data: bytes) -> str | None:
    """PNG or JPEG decided by the file's magic bytes, not its name."""
    if data.startswith(PNG_MAGIC):
        return "PNG"
    if data.startswith(JPEG_MAGIC):
        return "JPEG"
    return None


def declared_size(data: bytes, fmt: str) -> tuple[int, int] | None:
    """(width, height) the PNG/JPEG header declares, however large; None when it cannot be read.

    The format's own parser reads only the header: ``Image.open`` would refuse a header that
    claims more than Pillow's decompression-bomb limit before telling us its size.
    """
    parser = PngImagePlugin.PngImageFile if fmt == "PNG" else JpegImagePlugin.JpegImageFile
    try:
        with parser(io.BytesIO(data)) as img:
            width, height = img.size
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return None
    return int(width), int(height)


def check_image_size(size: int, ref: str) -> None:
    if size > MAX_IMAGE_BYTES:
        raise ImageError(
            ref, f"The image {ref} is {size} bytes; images must be at most {MAX_IMAGE_BYTES} bytes (8 MB)."
        )


def check_image(data: bytes, ref: str) -> ImageInfo:
    """Validate a dataset image: PNG/JPEG by content, fully decodable, 64-4096 px, at most 8 MB."""
    check_image_size(len(data), ref)
    fmt = sniff_format(data)
    if fmt is None:
        raise ImageError(ref, f"The image {ref} is not a PNG or JPEG file.")
    width, height = _decode_fully(data, ref, "image", fmt)
    for side in (width, height):
        if not MIN_IMAGE_SIDE <= side <= MAX_IMAGE_SIDE:
            raise ImageError(
                ref,
                f"The image {ref} is {width}x{height} pixels; each side must be "
                f"{MIN_IMAGE_SIDE} to {MAX_IMAGE_SIDE} pixels.",
            )
    return ImageInfo(format=fmt, width=width, height=height)


def decode_image_rgb(data: bytes, ref: str) -> np.ndarray:
    """Decode to an (H, W, 3) uint8 RGB array (what ``ml`` expects)."""
    with _open(data, ref, "image") as img:
        try:
            return np.asarray(img.convert("RGB"), dtype=np.uint8)
        except (OSError, ValueError, SyntaxError) as exc:
            raise ImageError(ref, f"The image {ref} could not be decoded ({exc}).") from None


def decode_mask(data: bytes, ref: str, size: tuple[int, int], color_map: Sequence[ColorClass]) -> MaskInfo:
    """Decode a segmentation mask to class indices.

    ``size`` is the image's (width, height). Pixels whose colour is not an
    anomaly colour of ``color_map`` (matched exactly, case-insensitively) are
    background, so maps with or without a BACKGROUND entry both work.
    """
    if not data.startswith(PNG_MAGIC):
        raise ImageError(ref, f"The mask {ref} is not a PNG file (masks must be real PNG images).")
    class_names: list[str] = []
    for entry in color_map:
        if not entry.is_background and entry.class_name not in class_names:
            class_names.append(entry.class_name)
    width, height = _decode_fully(data, ref, "mask", "PNG")
    if (width, height) != tuple(size):
        if not class_names:
            # A map with only BACKGROUND paints nothing; the upstream sample attaches
            # a 16x16 placeholder like this to normal images, and the service took it.
            return MaskInfo(np.zeros((size[1], size[0]), dtype=np.uint8), [], [])
        raise ImageError(
            ref,
            f"The mask {ref} is {width}x{height} pixels but its image is {size[0]}x{size[1]}; "
            "a mask must have the same size as its image.",
        )
    with _open(data, ref, "mask") as img:
        rgba = np.asarray(img.convert("RGBA"), dtype=np.uint8)
    packed = (rgba[..., 0].astype(np.uint32) << 16) | (rgba[..., 1].astype(np.uint32) << 8) | rgba[..., 2]
    opaque = rgba[..., 3] >= MASK_ALPHA_THRESHOLD
    class_index = np.zeros(packed.shape, dtype=np.uint8)
    for entry in color_map:
        if entry.is_background:
            continue
        r, g, b = entry.rgb
        hit = opaque & (packed == ((r << 16) | (g << 8) | b))
        class_index[hit] = class_names.index(entry.class_name) + 1
    present_ids = set(np.unique(class_index).tolist()) - {0}
    present = [name for k, name in enumerate(class_names, start=1) if k in present_ids]
    return MaskInfo(class_index=class_index, classes_present=present, class_names=class_names)


def _open(data: bytes, ref: str, what: str) -> Image.Image:
    try:
        return Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise ImageError(ref, f"The {what} {ref} could not be read; the file is corrupt.") from None


def _decode_fully(data: bytes, ref: str, what: str, fmt: str) -> tuple[int, int]:
    """Decode every pixel (a header alone does not catch truncated files); returns (w, h).

    A header that declares a side over the limit is returned undecoded (the caller reports the
    size rule), so a huge declared size is never allocated.
    """
    declared = declared_size(data, fmt)
    if declared is not None and max(declared) > MAX_IMAGE_SIDE:
        return declared
    with _open(data, ref, what) as img:
        width, height = img.size
        try:
            img.load()
        except (OSError, ValueError, SyntaxError) as exc:
            raise ImageError(
                ref, f"The {what} {ref} could not be decoded ({exc}); the file is truncated or corrupt."
            ) from None
    return width, height
