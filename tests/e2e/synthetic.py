"""Small generated images and manifest lines for protocol and error tests.

The real cookie data is kept for the flows that train a model; everything
else uses these 96 px images, which import and train in seconds.
"""

from __future__ import annotations

import io
import json
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

SIZE = 96


def image_array(seed: int, anomaly: bool, size: int = SIZE) -> np.ndarray:
    """A textured grey disc; anomalies get a dark scratch across it."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    disc = ((yy - size / 2) ** 2 + (xx - size / 2) ** 2) < (size * 0.4) ** 2
    pixels = np.where(disc, 180, 60) + rng.normal(0, 6, (size, size))
    if anomaly:
        row = int(rng.integers(size // 3, 2 * size // 3))
        pixels[row : row + 4, size // 5 : 4 * size // 5] = 20
    grey = np.clip(pixels, 0, 255).astype(np.uint8)
    return np.stack([grey, grey, grey], axis=-1)


def encode(array: np.ndarray, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=fmt)
    return buffer.getvalue()


def png(seed: int, anomaly: bool = False, size: int = SIZE) -> bytes:
    return encode(image_array(seed, anomaly, size))


def manifest_line(bucket: str, key: str, anomaly: bool) -> str:
    label = "anomaly" if anomaly else "normal"
    return json.dumps(
        {
            "source-ref": f"s3://{bucket}/{key}",
            "anomaly-label": 1 if anomaly else 0,
            "anomaly-label-metadata": {
                "class-name": label,
                "type": "groundtruth/image-classification",
                "human-annotated": "yes",
                "job-name": "e2e",
                "creation-date": "2024-01-02T03:04:05.000Z",
            },
        }
    )


@dataclass
class SmallDataset:
    bucket: str
    manifest_key: str
    lines: list[str]
    n_normal: int
    n_anomaly: int

    @property
    def n_total(self) -> int:
        return self.n_normal + self.n_anomaly


def upload_small_dataset(s3: Any, bucket: str, prefix: str, n_normal: int, n_anomaly: int) -> SmallDataset:
    """Upload generated images ``<prefix>normal-NN.png`` / ``anomaly-NN.png`` and their manifest."""
    lines = []
    for kind, count in (("normal", n_normal), ("anomaly", n_anomaly)):
        for i in range(count):
            key = f"{prefix}{kind}-{i:02d}.png"
            seed = i if kind == "normal" else 1000 + i
            s3.put_object(Bucket=bucket, Key=key, Body=png(seed, kind == "anomaly"))
            lines.append(manifest_line(bucket, key, kind == "anomaly"))
    manifest_key = f"{prefix}train.manifest"
    s3.put_object(Bucket=bucket, Key=manifest_key, Body="\n".join(lines).encode() + b"\n")
    return SmallDataset(bucket, manifest_key, lines, n_normal, n_anomaly)


def with_declared_size(data: bytes, width: int, height: int) -> bytes:
    """A real PNG or JPEG whose header claims ``width`` x ``height`` (the pixel data stays small)."""
    if data.startswith(b"\x89PNG"):
        # IHDR is the first chunk: length(4) type(4) width(4) height(4) ...; its CRC covers type+data.
        ihdr = bytearray(data[8 : 8 + 25])
        ihdr[8:16] = width.to_bytes(4, "big") + height.to_bytes(4, "big")
        crc = zlib.crc32(bytes(ihdr[4:21])).to_bytes(4, "big")
        return data[:8] + bytes(ihdr[:21]) + crc + data[8 + 25 :]
    # JPEG: the baseline SOF0 marker FFC0, length(2), precision(1), height(2), width(2).
    at = data.index(b"\xff\xc0")
    return data[: at + 5] + height.to_bytes(2, "big") + width.to_bytes(2, "big") + data[at + 9 :]
