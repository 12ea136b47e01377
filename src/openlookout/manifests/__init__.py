"""Ground Truth JSON-lines parsing and normalisation, image and mask checks.

Pure: bytes in, values out. Imports nothing of ours but ``openlookout.errors``.
"""

from openlookout.manifests.errors import ImageError, ManifestError
from openlookout.manifests.images import (
    ImageInfo,
    MaskInfo,
    check_image,
    check_image_size,
    decode_image_rgb,
    decode_mask,
)
from openlookout.manifests.lines import ColorClass, ManifestLine, parse_line, parse_manifest, split_s3_uri
from openlookout.manifests.normalise import normalise_line, normalised_json

__all__ = [
    "ColorClass",
    "ImageError",
    "ImageInfo",
    "ManifestError",
    "ManifestLine",
    "MaskInfo",
    "check_image",
    "check_image_size",
    "decode_image_rgb",
    "decode_mask",
    "normalise_line",
    "normalised_json",
    "parse_line",
    "parse_manifest",
    "split_s3_uri",
]
