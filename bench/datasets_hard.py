"""The hard anomaly sets: ELPV solar cells, generated defects on real steel textures, and
small defects on large images. Each returns (train, test) lists of ``bench.datasets.Item``.

None of these images is committed: ELPV comes from the ``elpv-dataset`` wheel installed in
``.venv-bench`` (CC BY-NC-SA, bench-only), the textures from ``../shared/datasets/neu-det``,
and every generated image is rebuilt from its seed into the bench cache.

Splits (fixed; documented in ``bench/README.md``):
- **ELPV** (per cell type, ``mono`` or ``poly``): normal = defect probability 0, anomaly =
  probability 1. File names sorted, shuffled with a fixed seed; train = the first
  ``ELPV_TRAIN_NORMALS`` normals + ``ELPV_TRAIN_ANOMALIES`` anomalies (none in the
  normals-only variant), test = the next ``ELPV_TEST_PER_CLASS`` normals and anomalies. The
  cells rated 0.33 / 0.67 go to the test set as group ``partial`` and are scored apart.
- **Textured**: box-free 96x96 windows of NEU-DET's scratches/inclusion/rolled-in scale images
  (no annotated defect within 4 px), upscaled to 224x224; anomalies get one drawn crack,
  scratch, spot or border defect (``bench/defects.py``) with its exact mask.
- **Modules**: 3x3 grids of ELPV mono normal cells (900x900, like a panel section) with one
  drawn spot or crack of 1-3 % of the side (9-27 px).
"""

from __future__ import annotations

import json
import random
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import asdict
from pathlib import Path

import numpy as np
from PIL import Image

from bench.datasets import Item
from bench.defects import DEFECT_KINDS, draw_defect

HARD_VERSION = 1  # bump when a generator changes so stale caches are rebuilt
ELPV_SEED = "elpv-2018"
ELPV_TRAIN_NORMALS = 200
ELPV_TRAIN_ANOMALIES = 8
ELPV_TEST_PER_CLASS = 150
TEXTURE_CLASSES = ("scratches", "inclusion", "rolled-in_scale")
TEXTURE_WINDOW = 96
TEXTURE_SIZE = 224
TEXTURE_MARGIN = 4
TEXTURE_TRAIN_NORMALS = 200
TEXTURE_TRAIN_PER_KIND = 6
MODULE_GRID = 3
MODULE_TRAIN_NORMALS = 60
MODULE_TRAIN_ANOMALIES = 8
MODULE_TEST_PER_CLASS = 40
MODULE_DEFECT_FRACTION = (0.01, 0.03)


def elpv_root(peer_python: Path) -> Path:
    """The data folder of the ``elpv-dataset`` wheel in the bench venv."""
    code = "import elpv_dataset, pathlib; print(pathlib.Path(elpv_dataset.__file__).parent / 'data')"
    try:
        out = subprocess.run([str(peer_python), "-c", code], check=True, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError) as error:
        raise SystemExit(
            f"elpv-dataset is not importable in {peer_python}: run bench/setup_peer.sh"
        ) from error
    return Path(out.stdout.strip())


def elpv_cells(root: Path) -> list[tuple[Path, float, str]]:
    """(image path, defect probability, cell type) for every cell in ``labels.csv``."""
    cells = []
    for line in (root / "labels.csv").read_text().splitlines():
        if line.strip():
            path, probability, kind = line.split()
            cells.append((root / path, float(probability), kind))
    return cells


def _shuffled(paths: list[Path], label: str) -> list[Path]:
    ordered = sorted(paths)
    random.Random(f"{ELPV_SEED}-{label}").shuffle(ordered)
    return ordered


def elpv_split(root: Path, cell_type: str, with_anomalies: bool = True) -> tuple[list[Item], list[Item]]:
    cells = [cell for cell in elpv_cells(root) if cell[2] == cell_type]
    normals = _shuffled([p for p, prob, _ in cells if prob == 0.0], f"{cell_type}-normal")
    defects = _shuffled([p for p, prob, _ in cells if prob == 1.0], f"{cell_type}-defect")
    partial = sorted(p for p, prob, _ in cells if 0.0 < prob < 1.0)
    train_anomalies = ELPV_TRAIN_ANOMALIES if with_anomalies else 0
    train = [Item(str(p), False) for p in normals[:ELPV_TRAIN_NORMALS]]
    train += [Item(str(p), True) for p in defects[:train_anomalies]]
    test_normals = normals[ELPV_TRAIN_NORMALS : ELPV_TRAIN_NORMALS + ELPV_TEST_PER_CLASS]
    # The test anomalies are the same in both variants: the first ELPV_TRAIN_ANOMALIES are skipped.
    test_defects = defects[ELPV_TRAIN_ANOMALIES : ELPV_TRAIN_ANOMALIES + ELPV_TEST_PER_CLASS]
    test = [Item(str(p), False) for p in test_normals] + [Item(str(p), True) for p in test_defects]
    test += [Item(str(p), True, group="partial") for p in partial[:ELPV_TEST_PER_CLASS]]
    return train, test


def _boxes(annotation: Path) -> list[tuple[int, int, int, int]]:
    boxes = []
    for obj in ET.parse(annotation).findall("object"):
        box = obj.find("bndbox")
        assert box is not None
        boxes.append(tuple(int(float(box.findtext(k) or 0)) for k in ("xmin", "ymin", "xmax", "ymax")))
    return boxes  # type: ignore[return-value]


def free_windows(
    image_size: int, boxes: list[tuple[int, int, int, int]], window: int
) -> list[tuple[int, int]]:
    """Top-left corners (x, y) of non-overlapping ``window`` squares with no box within the margin."""
    occupied = np.zeros((image_size, image_size), dtype=bool)
    for x0, y0, x1, y1 in boxes:
        m = TEXTURE_MARGIN
        occupied[max(0, y0 - m) : y1 + m + 1, max(0, x0 - m) : x1 + m + 1] = True
    corners = []
    for y in range(0, image_size - window + 1, 8):
        for x in range(0, image_size - window + 1, 8):
            if not occupied[y : y + window, x : x + window].any():
                corners.append((x, y))
                occupied[y : y + window, x : x + window] = True  # the next window must not overlap
    return corners


def texture_backgrounds(neu_root: Path) -> list[np.ndarray]:
    """Every box-free window of the texture classes, grey, upscaled to TEXTURE_SIZE (sorted order)."""
    crops = []
    for cls in TEXTURE_CLASSES:
        for path in sorted((neu_root / "images" / cls).glob("*.jpg")):
            boxes = _boxes(neu_root / "annotations" / f"{path.stem}.xml")
            with Image.open(path) as opened:
                grey = opened.convert("L")
                for x, y in free_windows(grey.width, boxes, TEXTURE_WINDOW):
                    crop = grey.crop((x, y, x + TEXTURE_WINDOW, y + TEXTURE_WINDOW))
                    size = (TEXTURE_SIZE, TEXTURE_SIZE)
                    crops.append(np.asarray(crop.resize(size, Image.Resampling.BICUBIC), dtype=np.float32))
    return crops


def _save(folder: Path, name: str, image: np.ndarray, mask: np.ndarray | None) -> tuple[str, str | None]:
    image_path = folder / f"{name}.png"
    Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).save(image_path)
    if mask is None:
        return str(image_path), None
    mask_path = folder / f"{name}-mask.png"
    Image.fromarray(mask.astype(np.uint8) * 255).save(mask_path)
    return str(image_path), str(mask_path)


def _cached(folder: Path) -> tuple[list[Item], list[Item]] | None:
    index = folder / "split.json"
    if not index.is_file():
        return None
    data = json.loads(index.read_text())
    return [Item(**e) for e in data["train"]], [Item(**e) for e in data["test"]]


def _store(folder: Path, train: list[Item], test: list[Item]) -> tuple[list[Item], list[Item]]:
    payload = {"train": [asdict(i) for i in train], "test": [asdict(i) for i in test]}
    (folder / "split.json").write_text(json.dumps(payload))
    return train, test


def textured_split(cache_dir: Path, neu_root: Path) -> tuple[list[Item], list[Item]]:
    """Generated thin, small and border defects on real steel textures, with exact masks."""
    folder = cache_dir / f"textured-v{HARD_VERSION}"
    if (cached := _cached(folder)) is not None:
        return cached
    folder.mkdir(parents=True, exist_ok=True)
    backgrounds = texture_backgrounds(neu_root)
    order = list(range(len(backgrounds)))
    random.Random(f"textured-{HARD_VERSION}").shuffle(order)
    train: list[Item] = []
    test: list[Item] = []
    test_normals = (len(order) - TEXTURE_TRAIN_NORMALS) // 2
    for position, index in enumerate(order):
        image = backgrounds[index].copy()
        name = f"{position:04d}"
        if position < TEXTURE_TRAIN_NORMALS:
            train.append(Item(_save(folder, f"normal-{name}", image, None)[0], False))
            continue
        if position < TEXTURE_TRAIN_NORMALS + test_normals:
            test.append(Item(_save(folder, f"normal-{name}", image, None)[0], False))
            continue
        rng = np.random.default_rng([HARD_VERSION, position])
        kind = DEFECT_KINDS[position % len(DEFECT_KINDS)]
        mask = np.zeros(image.shape, dtype=bool)
        draw_defect(kind, rng, image, mask)
        path, mask_path = _save(folder, f"anomaly-{kind}-{name}", image, mask)
        item = Item(path, True, mask_path, group=kind)
        per_kind_train = sum(1 for i in train if i.group == kind)
        (train if per_kind_train < TEXTURE_TRAIN_PER_KIND else test).append(item)
    return _store(folder, train, test)


def module_split(cache_dir: Path, elpv: Path) -> tuple[list[Item], list[Item]]:
    """3x3 ELPV mono cells (900x900) with one drawn defect of 1-3 % of the side."""
    folder = cache_dir / f"modules-v{HARD_VERSION}"
    if (cached := _cached(folder)) is not None:
        return cached
    folder.mkdir(parents=True, exist_ok=True)
    cells = _shuffled([p for p, prob, kind in elpv_cells(elpv) if prob == 0.0 and kind == "mono"], "modules")
    cell_images = [np.asarray(Image.open(p).convert("L"), dtype=np.float32) for p in cells]
    count = MODULE_TRAIN_NORMALS + MODULE_TRAIN_ANOMALIES + 2 * MODULE_TEST_PER_CLASS
    train: list[Item] = []
    test: list[Item] = []
    per_module = MODULE_GRID * MODULE_GRID
    for index in range(count):
        rng = np.random.default_rng([HARD_VERSION, 7, index])
        in_train = index < MODULE_TRAIN_NORMALS or (
            MODULE_TRAIN_NORMALS + MODULE_TEST_PER_CLASS
            <= index
            < MODULE_TRAIN_NORMALS + MODULE_TEST_PER_CLASS + MODULE_TRAIN_ANOMALIES
        )
        # Train and test modules are made of disjoint halves of the cells.
        half = len(cell_images) // 2
        picks = rng.choice(half, size=per_module, replace=False) + (0 if in_train else half)
        rows = [np.hstack([cell_images[p] for p in picks[r::MODULE_GRID]]) for r in range(MODULE_GRID)]
        image = np.vstack(rows).copy()
        anomaly = index >= MODULE_TRAIN_NORMALS + MODULE_TEST_PER_CLASS
        mask = np.zeros(image.shape, dtype=bool) if anomaly else None
        kind = None
        if mask is not None:
            kind = ("spot", "crack")[index % 2]
            draw_defect(kind, rng, image, mask, size=float(rng.uniform(*MODULE_DEFECT_FRACTION)))
        name = f"{'anomaly' if anomaly else 'normal'}-{index:04d}"
        path, mask_path = _save(folder, name, image, mask)
        item = Item(path, anomaly, mask_path, group=kind)
        (train if in_train else test).append(item)
    return _store(folder, train, test)


def without_masks(items: list[Item]) -> list[Item]:
    """The same items as a classification set (no training masks)."""
    return [Item(i.path, i.anomaly, None, i.group) for i in items]
