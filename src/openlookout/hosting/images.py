"""Request images: the server's cheap checks, and the full decode the inference units do.

The server checks what it can check without decoding (declared type, the bytes' real type,
the dimensions in the header; ~0.3 ms for a 576x768 JPEG) and queues the encoded bytes as
an ``EncodedImage``. The unit decodes them (``decode_image``, ~10 ms): the bytes cross the
pipe instead of a three times larger pixel array, and the decode runs beside the other
requests' work in the unit rather than on the server's request thread (docs/hosting.md).
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, UnidentifiedImageError

from openlookout.errors import InvalidInputError
from openlookout.hosting.base import EncodedImage

MAGIC = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}
DECODE_ERRORS = (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError)
UNDECODABLE = "The image could not be decoded: {}"


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


def header_size(data: bytes) -> tuple[int, int]:
    """(height, width) from the image header, without decoding the pixels.

    Raises one of ``DECODE_ERRORS`` when Pillow cannot identify the image.
    """
    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
    return int(height), int(width)


def read_request_image(body: bytes, content_type: str, expected_size: tuple[int, int]) -> EncodedImage:
    """The DetectAnomalies body checked from its header, or InvalidInputError saying what is wrong."""
    media_type = check_content_type(content_type)
    if not body.startswith(MAGIC[media_type]):
        raise InvalidInputError(
            f"The image bytes are not a {media_type.split('/')[1].upper()} image as ContentType says.",
            field="Body",
        )
    try:
        height, width = header_size(body)
    except DECODE_ERRORS as exc:
        raise InvalidInputError(UNDECODABLE.format(exc), field="Body") from None
    want_h, want_w = expected_size
    if (height, width) != (want_h, want_w):
        raise InvalidInputError(
            f"The image is {width}x{height} pixels but the model was trained on {want_w}x{want_h} images; "
            "send images with the training dimensions.",
            field="Body",
        )
    return EncodedImage(bytes(body), (height, width))


def decode_image(image: EncodedImage) -> np.ndarray:
    """(H, W, 3) uint8 RGB of a checked image; ValueError with a user-facing message otherwise."""
    try:
        with Image.open(io.BytesIO(image.data)) as opened:
            opened.load()
            # JPEGs are usually RGB already: skip convert()'s copy of the pixels.
            rgb = np.asarray(opened if opened.mode == "RGB" else opened.convert("RGB"))
    except DECODE_ERRORS as exc:
        raise ValueError(UNDECODABLE.format(exc)) from None
    if rgb.shape[:2] != tuple(image.size):
        raise ValueError(
            UNDECODABLE.format(f"the header says {image.size[1]}x{image.size[0]} pixels, the data does not")
        )
    return rgb


def decode_request_image(body: bytes, content_type: str, expected_size: tuple[int, int]) -> np.ndarray:
    """The whole in-process path: the server's checks, then the unit's decode (InvalidInputError)."""
    encoded = read_request_image(body, content_type, expected_size)
    try:
        return decode_image(encoded)
    except ValueError as exc:
        raise InvalidInputError(str(exc), field="Body") from None
