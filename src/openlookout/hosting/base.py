"""The seam between the service and whatever runs hosted models.

The service only needs to start a model from a local artefact folder, send it encoded
images (checked from their headers; the host decodes them), ask how it is doing and stop
it. The embedded default (``local.py``) runs worker processes inside the server; a
cluster backend (for example Ray Serve replicas) can implement the same protocol without
the service changing.
"""

from __future__ import annotations

import io
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

import numpy as np
from PIL import Image, UnidentifiedImageError

DECODE_ERRORS = (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError)
UNDECODABLE = "The image could not be decoded: {}"

# What a hosted model answers per image: the host passes it through without looking at it,
# so each API names its own (Lookout for Vision: ImagePrediction; Custom Labels: label or
# detection predictions).
ResultT = TypeVar("ResultT")


class HostingError(RuntimeError):
    """A model could not be started or answered with an error; ``str(error)`` is user-facing."""


class ModelNotHostedError(HostingError):
    """The host has no running model under that key."""


class HostBusyError(HostingError):
    """The model's request queue is at its bound; the request was not queued (retry later)."""


class ImageDecodeError(HostingError):
    """This one image could not be decoded (a truncated body, say); the other requests are unaffected."""


@dataclass(frozen=True)
class EncodedImage:
    """A request's PNG or JPEG bytes, as sent; ``size`` is (height, width) from the header."""

    data: bytes
    size: tuple[int, int]


def header_size(data: bytes) -> tuple[int, int]:
    """(height, width) from the image header, without decoding the pixels.

    Raises one of ``DECODE_ERRORS`` when Pillow cannot identify the image.
    """
    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
    return int(height), int(width)


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


@dataclass(frozen=True)
class ModelInfo:
    """What a started model reports about itself."""

    image_size: tuple[int, int]  # (height, width) of the training images
    model_type: str  # "classification" | "segmentation"
    threshold: float


@dataclass(frozen=True)
class HostStatus:
    info: ModelInfo
    min_units: int
    max_units: int
    ready_units: int  # units that have loaded the model and take requests
    starting_units: int
    queue_depth: int  # requests waiting for a unit
    batches: int  # batches run since start
    served: int  # images answered since start (served / batches = mean batch size)
    queue_bound: int = 0  # past this many waiting requests, submit refuses with HostBusyError
    throttled: int = 0  # requests refused so since start


class ModelHost(Protocol[ResultT]):
    def start(self, model_key: str, artifact_dir: Path, min_units: int, max_units: int) -> ModelInfo:
        """Load the model in ``min_units`` units; returns once they all answer (raises HostingError)."""
        ...

    def stop(self, model_key: str) -> None:
        """Stop every unit of the model; unknown keys are ignored."""
        ...

    def submit(self, model_key: str, image: EncodedImage) -> Future[ResultT]:
        """Queue one encoded image; ``asyncio.wrap_future`` makes the result awaitable.

        The host decodes it (to RGB) next to the model. The future fails with
        ImageDecodeError, whose text is user-facing, when that image does not decode; the
        model's other requests are not affected; with HostBusyError when the model's queue is
        full (nothing was queued). Other HostingErrors: the model stopped or failed.
        """
        ...

    def predict(self, model_key: str, image: EncodedImage, timeout_s: float | None = None) -> ResultT:
        """``submit(...).result()`` for callers in a thread."""
        ...

    def status(self, model_key: str) -> HostStatus | None:
        """None when the model is not hosted here."""
        ...

    def shutdown(self) -> None:
        """Stop every hosted model (server shutdown)."""
        ...
