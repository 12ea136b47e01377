"""Box conversions, IoU, NMS and the target assignment on hand-made boxes."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from openlookout.ml.detection.boxes import (
    aligned_giou,
    corners_to_ratio_box,
    flip_corners,
    ratio_boxes_to_corners,
)
from openlookout.ml.detection.matching import pairwise_iou
from openlookout.ml.detection.nms import batched_nms
from openlookout.ml.detection.targets import assign_targets, location_centres
from openlookout.ml.detection.types import Box


def test_ratio_boxes_round_trip_and_clip() -> None:
    corners = ratio_boxes_to_corners([Box(0.25, 0.5, 0.5, 0.25), Box(0.9, 0.9, 0.5, 0.5)], (100, 200))
    np.testing.assert_allclose(corners, [[50, 50, 150, 75], [180, 90, 200, 100]])
    back = corners_to_ratio_box(corners[0], (100, 200))
    assert (back.left, back.top, back.width, back.height) == pytest.approx((0.25, 0.5, 0.5, 0.25))


def test_flip_mirrors_boxes() -> None:
    flipped = flip_corners(torch.tensor([[10.0, 20.0, 30.0, 60.0]]), (100, 200), True, True)
    assert flipped.tolist() == [[170.0, 40.0, 190.0, 80.0]]


def test_iou_and_giou_by_hand() -> None:
    a = np.array([[0, 0, 2, 2]], dtype=float)
    b = np.array([[1, 0, 3, 2], [4, 4, 5, 5]], dtype=float)
    np.testing.assert_allclose(pairwise_iou(a, b), [[1 / 3, 0.0]])
    # Disjoint 1x1 boxes whose hull is 3x1: GIoU = 0 - (3 - 2) / 3.
    giou = aligned_giou(torch.tensor([[0.0, 0, 1, 1]]), torch.tensor([[2.0, 0, 3, 1]]))
    assert giou.item() == pytest.approx(-1 / 3)


def test_nms_suppresses_overlaps_within_a_class_only() -> None:
    boxes = torch.tensor(
        [[0, 0, 10, 10], [1, 0, 11, 10], [0, 0, 10, 10], [50, 50, 60, 60]], dtype=torch.float32
    )
    scores = torch.tensor([0.9, 0.95, 0.5, 0.3])
    classes = torch.tensor([0, 0, 1, 0])
    keep = batched_nms(boxes, scores, classes, 0.5)
    assert keep.tolist() == [1, 2, 3]


def test_targets_prefer_the_smaller_box_and_never_drop_a_tiny_one() -> None:
    centres = location_centres((4, 4), 8)  # cell centres at 4, 12, 20, 28 px
    corners = torch.tensor([[0.0, 0.0, 32.0, 32.0], [8.0, 8.0, 16.0, 16.0], [25.0, 1.0, 27.0, 3.0]])
    targets = assign_targets(corners, torch.tensor([0, 1, 2]), centres, 8)
    grid = targets.classes.reshape(4, 4)
    assert grid[1, 1] == 1  # inside both the big and the small box: the small one wins
    assert grid[0, 3] == 2  # the 2x2 px box holds no cell centre: its nearest cell learns it
    assert (grid == 0).sum() == 14
    big_centre = 2 * 4 + 2  # cell (2, 2) at (20, 20): 20/12 px from the big box's sides
    assert targets.boxes[big_centre].tolist() == [0.0, 0.0, 32.0, 32.0]
    assert targets.centerness[big_centre].item() == pytest.approx(12 / 20)


def test_package_import_does_not_load_torch() -> None:
    code = (
        "import sys; import openlookout.ml.detection as d; assert 'torch' not in sys.modules; "
        "assert callable(d.load_detection_model) and 'torch' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
