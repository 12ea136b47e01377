"""Time a predict call over image bytes for a fixed window (numpy + Pillow; both venvs).

The in-process workers (ours in ``.venv``, the peer in ``.venv-bench``) give
``time_window`` a callable that takes a list of encoded images (JPEG bytes) and does the
whole path for them: decode, preprocess, model. The images are cycled in order, so every
path sees the same bytes as the HTTP clients.
"""

from __future__ import annotations

import io
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from bench.inference_stats import Cell

WARMUP_CALLS = 2


def decode_rgb(data: bytes) -> np.ndarray:
    """(H, W, 3) uint8 RGB from JPEG/PNG bytes."""
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"))


def read_images(paths: list[str]) -> list[bytes]:
    return [Path(path).read_bytes() for path in paths]


def time_window(
    call: Callable[[list[bytes]], object], images: list[bytes], batch: int, seconds: float, cell: Cell
) -> Cell:
    """Call ``call`` on consecutive groups of ``batch`` images until ``seconds`` have passed.

    The first ``WARMUP_CALLS`` calls are not timed (lazy initialisation, caches).
    """
    position = 0

    def next_group() -> list[bytes]:
        nonlocal position
        group = [images[(position + offset) % len(images)] for offset in range(batch)]
        position += batch
        return group

    for _ in range(WARMUP_CALLS):
        call(next_group())
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        group = next_group()
        before = time.perf_counter()
        call(group)
        cell.call_seconds.append(time.perf_counter() - before)
        cell.images += len(group)
    cell.wall_s = time.perf_counter() - started
    return cell


def read_spec() -> tuple[dict, Path]:
    """``python -m bench.<worker> SPEC_JSON OUT_DIR``: the spec and the output folder."""
    spec_path, out_dir = sys.argv[1], Path(sys.argv[2])
    out_dir.mkdir(parents=True, exist_ok=True)
    return json.loads(Path(spec_path).read_text()), out_dir


def write_cells(out_dir: Path, cells: list[Cell], extra: dict) -> None:
    result = {"cells": [cell.to_json() for cell in cells], **extra}
    (out_dir / "result.json").write_text(json.dumps(result, indent=2))
