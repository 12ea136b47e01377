"""DetectAnomalies request bodies: the server's cheap checks, and the in-process full decode.

The server checks what it can check without decoding (declared type, the bytes' real type,
the dimensions in the header; ~0.3 ms for a 576x768 JPEG) and queues the encoded bytes as
an ``EncodedImage``. The unit decodes them (``hosting.base.decode_image``, ~10 ms): the bytes
cross the pipe instead of a three times larger pixel array, and the decode runs beside the
other requests' work in the unit rather than on the server's request thread (docs/hosting.md).
"""

from __future__ import annotations

import numpy as np

from openlookout.errors import InvalidInputError
from openlookout.hosting.base import DECODE_ERRORS, UNDECODABLE, EncodedImage, decode_image, header_size

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


def decode_request_image(body: bytes, content_type: str, expected_size: tuple[int, int]) -> np.ndarray:
    """The whole in-process path: the server's checks, then the unit's decode (InvalidInputError)."""
    encoded = read_request_image(body, content_type, expected_size)
    try:
        return decode_image(encoded)
    except ValueError as exc:
        raise InvalidInputError(str(exc), field="Body") from None
