"""Errors raised while reading manifests, images and masks.

Both subclass ``InvalidInputError`` so a synchronous caller (UpdateDatasetEntries
validation) maps them to ValidationException; job handlers use ``str(error)``
as the dataset's StatusMessage.
"""

from __future__ import annotations

from openlookout.errors import InvalidInputError


class ManifestError(InvalidInputError):
    """A manifest line is malformed; the message names the 1-based line number."""

    def __init__(self, line_no: int, message: str) -> None:
        super().__init__(f"Line {line_no}: {message}")
        self.line_no = line_no
        self.problem = message


class ImageError(InvalidInputError):
    """An image or mask cannot be used; the message names the object."""

    def __init__(self, ref: str, message: str) -> None:
        super().__init__(message)
        self.ref = ref
