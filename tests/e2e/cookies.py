"""The real cookie dataset: which files to upload and the manifest rewritten to our bucket."""

from __future__ import annotations

import json
from pathlib import Path

NORMAL, ANOMALY = 31, 32


def training_images(cookies_dir: Path) -> list[tuple[Path, str]]:
    """(local file, bucket key) for every training image, keys under train/normal|anomaly/."""
    pairs = []
    for kind in ("normal", "anomaly"):
        for path in sorted((cookies_dir / "train" / kind).glob("*.jpg")):
            pairs.append((path, f"train/{kind}/{path.name}"))
    return pairs


def rewritten_manifest(cookies_dir: Path, bucket: str) -> str:
    """train_class.manifest with source-refs pointing at s3://<bucket>/train/{normal,anomaly}/."""
    lines = []
    for raw in (cookies_dir / "manifests" / "train_class.manifest").read_text().splitlines():
        if not raw.strip():
            continue
        entry = json.loads(raw)
        name = entry["source-ref"].rsplit("/", 1)[1]
        kind = "anomaly" if name.startswith("anomaly-") else "normal"
        entry["source-ref"] = f"s3://{bucket}/train/{kind}/{name}"
        lines.append(json.dumps(entry))
    return "\n".join(lines) + "\n"
