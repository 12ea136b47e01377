"""NEU-DET for the Custom Labels benchmark: items, the fixed split, manifests, COCO truth.

Standard library only, so the ``.venv`` driver and the ``.venv-bench`` peers share it.
Each image ``<class>_<n>.jpg`` holds one defect class (its folder) and Pascal VOC boxes in
``annotations/<class>_<n>.xml``, paired by basename (174 XML ``<filename>`` tags are wrong).
Split: an image is TEST iff ``n % 5 == 0``; 360 test / 1440 train, 60 / 240 per class.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

TEST_EVERY = 5
CREATION_DATE = "2026-01-01T00:00:00"
JOB_NAME = "openlookout-bench"
CLASSIFICATION_ATTRIBUTE = "defect"
DETECTION_ATTRIBUTE = "bounding-box"


@dataclass(frozen=True)
class VocBox:
    """A box in pixels as the VOC file gives it (``xmax``/``ymax`` are the far corner)."""

    label: str
    xmin: float
    ymin: float
    xmax: float
    ymax: float

    @property
    def width(self) -> float:
        return self.xmax - self.xmin

    @property
    def height(self) -> float:
        return self.ymax - self.ymin


@dataclass(frozen=True)
class NeuImage:
    name: str  # "<class>_<n>", also the S3 key stem
    label: str  # the folder: the image's classification label
    path: Path
    width: int
    height: int
    boxes: tuple[VocBox, ...]

    @property
    def number(self) -> int:
        return int(self.name.rsplit("_", 1)[1])

    @property
    def is_test(self) -> bool:
        return self.number % TEST_EVERY == 0


def parse_voc(xml_text: str) -> tuple[int, int, tuple[VocBox, ...]]:
    """(width, height, boxes) of one Pascal VOC annotation document."""
    root = ElementTree.fromstring(xml_text)
    size = root.find("size")
    if size is None:
        raise ValueError("VOC annotation without <size>")
    width, height = int(size.findtext("width", "0")), int(size.findtext("height", "0"))
    boxes = []
    for obj in root.iter("object"):
        box = obj.find("bndbox")
        if box is None:
            raise ValueError("VOC object without <bndbox>")
        corners = [float(box.findtext(tag, "nan")) for tag in ("xmin", "ymin", "xmax", "ymax")]
        boxes.append(VocBox(obj.findtext("name", "").strip(), *corners))
    return width, height, tuple(boxes)


def neu_items(root: Path) -> list[NeuImage]:
    """Every image of the dataset with its boxes, sorted by class then number."""
    items = []
    for image_path in sorted((root / "images").glob("*/*.jpg")):
        xml_path = root / "annotations" / f"{image_path.stem}.xml"
        width, height, boxes = parse_voc(xml_path.read_text())
        items.append(NeuImage(image_path.stem, image_path.parent.name, image_path, width, height, boxes))
    return sorted(items, key=lambda item: (item.label, item.number))


def split_items(items: Iterable[NeuImage]) -> tuple[list[NeuImage], list[NeuImage]]:
    """(train, test) by the fixed rule: test iff the image number is a multiple of 5."""
    items = list(items)
    return [i for i in items if not i.is_test], [i for i in items if i.is_test]


def class_names(items: Iterable[NeuImage]) -> list[str]:
    return sorted({item.label for item in items} | {box.label for item in items for box in item.boxes})


def s3_key(item: NeuImage, prefix: str = "images/") -> str:
    return f"{prefix}{item.label}/{item.path.name}"


def classification_line(item: NeuImage, source_ref: str, labels: Sequence[str]) -> dict:
    """A Ground Truth image-classification line (spec B.4) with the folder label."""
    return {
        "source-ref": source_ref,
        CLASSIFICATION_ATTRIBUTE: labels.index(item.label),
        f"{CLASSIFICATION_ATTRIBUTE}-metadata": {
            "class-name": item.label,
            "confidence": 1.0,
            "type": "groundtruth/image-classification",
            "human-annotated": "yes",
            "creation-date": CREATION_DATE,
            "job-name": JOB_NAME,
        },
    }


def detection_line(item: NeuImage, source_ref: str, labels: Sequence[str]) -> dict:
    """A Ground Truth object-detection line (spec B.4): the VOC boxes in pixels."""
    annotations = [
        {
            "class_id": labels.index(box.label),
            "left": box.xmin,
            "top": box.ymin,
            "width": box.width,
            "height": box.height,
        }
        for box in item.boxes
    ]
    return {
        "source-ref": source_ref,
        DETECTION_ATTRIBUTE: {
            "image_size": [{"width": item.width, "height": item.height, "depth": 3}],
            "annotations": annotations,
        },
        f"{DETECTION_ATTRIBUTE}-metadata": {
            "objects": [{"confidence": 1.0} for _ in annotations],
            "class-map": {str(k): label for k, label in enumerate(labels)},
            "type": "groundtruth/object-detection",
            "human-annotated": "yes",
            "creation-date": CREATION_DATE,
            "job-name": JOB_NAME,
        },
    }


def manifest_text(lines: Iterable[dict]) -> str:
    return "".join(json.dumps(line) + "\n" for line in lines)


def coco_ground_truth(items: Sequence[NeuImage], labels: Sequence[str]) -> dict:
    """The test boxes as a COCO detection document; image ids are positions in ``items``.

    Category ids are 1-based positions in ``labels``.
    """
    images, annotations = [], []
    for image_id, item in enumerate(items):
        images.append(
            {"id": image_id, "file_name": item.path.name, "width": item.width, "height": item.height}
        )
        for box in item.boxes:
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": image_id,
                    "category_id": labels.index(box.label) + 1,
                    "bbox": [box.xmin, box.ymin, box.width, box.height],
                    "area": box.width * box.height,
                    "iscrowd": 0,
                }
            )
    categories = [{"id": k + 1, "name": label} for k, label in enumerate(labels)]
    return {"images": images, "annotations": annotations, "categories": categories}


def item_record(item: NeuImage) -> dict:
    """What a peer worker needs of one image (JSON)."""
    return {
        "name": item.name,
        "label": item.label,
        "path": str(item.path),
        "width": item.width,
        "height": item.height,
        "boxes": [[b.label, b.xmin, b.ymin, b.xmax, b.ymax] for b in item.boxes],
    }
