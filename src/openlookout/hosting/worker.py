"""One inference unit: a process that loads a model once and answers batches over a pipe.

Protocol (pickled tuples over a ``multiprocessing`` connection):
  unit → host, once:  ("ready", ModelInfo) | ("error", message)
  host → unit:        ("predict", [EncodedImage])
                      → ("ok", [prediction | ImageRejected], one per image, in order)
                      | ("error", message) when the batch as a whole failed
  host → unit:        None → the unit exits
The unit also exits when the host's end of the pipe closes (server killed).

The unit decodes the images itself: encoded bytes are a third of the pixels' size on the
pipe, and a batch's images decode in parallel on the unit's threads (Pillow releases the
GIL while decoding). An image that does not decode is answered with ``ImageRejected``
and the rest of its batch is predicted as usual.
"""

from __future__ import annotations

import importlib
import logging
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from openlookout.hosting.base import UNDECODABLE, EncodedImage, ModelInfo, decode_image

log = logging.getLogger(__name__)

# onnxruntime on CPU hosts, PyTorch on GPU hosts (see export/hosted.py).
DEFAULT_LOADER = "openlookout.export.hosted:load_hosted_model"


def _import_loader(spec: str) -> Any:
    module_name, _, attribute = spec.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def _load(loader_spec: str, artifact_dir: str, threads: int, device: str | None) -> Any:
    import torch

    # Units share the machine's cores: each gets its own slice instead of all of them.
    torch.set_num_threads(threads)
    return _import_loader(loader_spec)(Path(artifact_dir), device=device)


@dataclass(frozen=True)
class ImageRejected:
    """The answer for one image of a batch that could not be decoded; ``message`` is user-facing."""

    message: str


def _decode(image: EncodedImage) -> np.ndarray | ImageRejected:
    try:
        return decode_image(image)
    except ValueError as exc:
        return ImageRejected(str(exc))
    except Exception as exc:  # a decoder surprise must still fail only this image
        log.warning("image decode failed: %s", traceback.format_exc())
        return ImageRejected(UNDECODABLE.format(exc))


def decode_batch(images: list[EncodedImage], pool: ThreadPoolExecutor) -> list[np.ndarray | ImageRejected]:
    """Every image decoded (or rejected), in order; a lone image skips the pool's hand-offs."""
    if len(images) == 1:
        return [_decode(images[0])]
    return list(pool.map(_decode, images))


def predict_batch(model: Any, images: list[EncodedImage], pool: ThreadPoolExecutor) -> list[Any]:
    """One prediction (whatever the loaded model returns) or ImageRejected per image, in order."""
    answers: list[Any] = decode_batch(images, pool)
    decoded = [(index, rgb) for index, rgb in enumerate(answers) if isinstance(rgb, np.ndarray)]
    if decoded:
        predictions = model.predict_many([lambda rgb=rgb: rgb for _, rgb in decoded], [""] * len(decoded))
        for (index, _), prediction in zip(decoded, predictions, strict=True):
            prediction.anomaly_map = None  # callers get class masks, never raw maps; keep replies small
            answers[index] = prediction
    return answers


def serve(conn: Connection, artifact_dir: str, threads: int, device: str | None, loader_spec: str) -> None:
    """Entry point of the unit process."""
    try:
        model = _load(loader_spec, artifact_dir, threads, device)
        info = ModelInfo(
            image_size=tuple(model.image_size),
            model_type=str(model.model_type),
            threshold=float(model.threshold),
        )
    except Exception as exc:
        conn.send(("error", f"The model could not be loaded: {exc}"))
        return
    conn.send(("ready", info))
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="decode") as pool:
        _answer_batches(conn, model, pool)


def _answer_batches(conn: Connection, model: Any, pool: ThreadPoolExecutor) -> None:
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        _, images = message
        try:
            conn.send(("ok", predict_batch(model, images, pool)))
        except Exception as exc:
            log.error("prediction failed: %s", traceback.format_exc())
            conn.send(("error", f"Inference failed: {exc}"))
