"""DetectAnomalies input checks: declared type, the bytes' real type, decodability, size."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, UnidentifiedImageError

from openlookout.errors import InvalidInputError

MAGIC = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def check_content_type(content_type: str) -> str:
    """The media type (``image/png`` | ``image/jpeg``), or InvalidInputError."""
    media_type = _media_type(content_type or "")
    if media_type not in MAGIC:
        raise InvalidInputError(
            f"ContentType must be image/png or image/jpeg; got {content_type!r}.", field="ContentType"
        )
    return media_type


def decode_request_image(body: bytes, content_type: str, expected_size: tuple[int, int]) -> np.ndarray:
    """(H, W, 3) uint8 RGB, or InvalidInputError saying what is wrong with the request."""
    media_type = check_content_type(content_type)
    if not body.startswith(MAGIC[media_type]):
        raise InvalidInputError(
            f"The image bytes are not a {media_type.split('/')[1].upper()} image as ContentType says.",
            field="Body",
        )
    try:
        with Image.open(io.BytesIO(body)) as image:
            image.load()
            rgb = np.asarray(image.convert("RGB"))
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise InvalidInputError(f"The image could not be decoded: {exc}", field="Body") from None
    height, width = rgb.shape[:2]
    want_h, want_w = expected_size
    if (height, width) != (want_h, want_w):
        raise InvalidInputError(
            f"The image is {width}x{height} pixels but the model was trained on {want_w}x{want_h} images; "
            "send images with the training dimensions.",
            field="Body",
        )
    return rgb
