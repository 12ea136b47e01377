"""DetectCustomLabels' ``Image``: bytes (at most 4 MB) or an S3 object (at most 15 MB),
PNG or JPEG by content, each side 64-4096 pixels (spec B.4 image limits, B.6).

Every limit is checked from the bytes and the image header; the inference unit decodes
the pixels (``hosting/worker.py``), and an image whose data turns out to be undecodable
there fails with the same InvalidImageFormatError."""

from __future__ import annotations

from typing import Any

from openlookout.access import CallerBlobStore
from openlookout.blobs.base import BlobError, BlobStore
from openlookout.errors import InvalidInputError
from openlookout.hosting.base import DECODE_ERRORS, UNDECODABLE, EncodedImage, header_size
from openlookout.service.custom_labels.errors import InvalidS3ObjectError
from openlookout.service.custom_labels.image_errors import ImageTooLargeError, InvalidImageFormatError

MAX_BYTES = 4 * 1024 * 1024
MAX_S3_BYTES = 15 * 1024 * 1024
MIN_SIDE, MAX_SIDE = 64, 4096
MAX_ASPECT_RATIO = 20
_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")


def require_readable(s3: CallerBlobStore, image: dict[str, Any]) -> None:
    """Refuse an S3Object the caller may not read over S3, before the version is even looked up."""
    s3_object = image.get("S3Object") or {}
    bucket, name = s3_object.get("Bucket"), s3_object.get("Name")
    if bucket and name:
        try:
            s3.check("s3:GetObject", bucket, name)
        except BlobError as exc:
            raise _unreadable(bucket, name, exc) from None


def _unreadable(bucket: str, name: str, exc: BlobError) -> InvalidS3ObjectError:
    return InvalidS3ObjectError(f"Unable to get object s3://{bucket}/{name}: {exc}")


def image_bytes(blobs: BlobStore, image: dict[str, Any]) -> bytes:
    """The request's image bytes, from the body or the object store."""
    data, s3 = image.get("Bytes"), image.get("S3Object")
    if (data is None) == (s3 is None):
        raise InvalidInputError("Image must have exactly one of Bytes and S3Object.", field="Image")
    if data is not None:
        if len(data) > MAX_BYTES:
            raise ImageTooLargeError(f"The image is {len(data)} bytes; Image.Bytes may be at most 4 MB.")
        return bytes(data)
    assert s3 is not None  # exactly one of the two, checked above
    bucket, name = s3.get("Bucket"), s3.get("Name")
    if not bucket or not name:
        raise InvalidInputError("Image.S3Object needs Bucket and Name.", field="Image")
    try:
        size = blobs.head(bucket, name).size
        if size > MAX_S3_BYTES:
            raise ImageTooLargeError(f"The image s3://{bucket}/{name} is {size} bytes; the limit is 15 MB.")
        return blobs.get(bucket, name)
    except BlobError as exc:
        raise _unreadable(bucket, name, exc) from None


def check(data: bytes) -> EncodedImage:
    """The image checked from its header, or the Rekognition error for what is wrong with it."""
    if not data.startswith(_MAGIC):
        raise InvalidImageFormatError("Request has unsupported image format; use PNG or JPEG.")
    try:
        height, width = header_size(data)
    except DECODE_ERRORS as exc:
        raise InvalidImageFormatError(UNDECODABLE.format(exc)) from None
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise InvalidInputError(
            f"The image is {width}x{height} pixels; each side must be {MIN_SIDE} to {MAX_SIDE} pixels.",
            field="Image",
        )
    if max(width, height) > MAX_ASPECT_RATIO * min(width, height):
        raise InvalidInputError(f"The image is {width}x{height}; the aspect ratio may be at most 20:1.")
    return EncodedImage(data, (height, width))
