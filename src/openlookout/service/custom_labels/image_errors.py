"""DetectCustomLabels image errors (spec B.6), refinements of InvalidInputError.

``api/cl_errors.py`` maps them to ImageTooLargeException and InvalidImageFormatException.
"""

from __future__ import annotations

from openlookout.errors import InvalidInputError


class ImageTooLargeError(InvalidInputError):
    """The image is over the request's size limit (ImageTooLargeException)."""


class InvalidImageFormatError(InvalidInputError):
    """The image is not a PNG or JPEG that can be decoded (InvalidImageFormatException)."""
