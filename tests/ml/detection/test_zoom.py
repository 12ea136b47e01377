"""The random zoom of cached maps and boxes (training augmentation), on tiny hand-made tensors."""

from __future__ import annotations

import torch

from openlookout.ml.detection.targets import location_centres
from openlookout.ml.detection.training import zoomed_targets
from openlookout.ml.detection.zoom import MIN_VISIBLE, Window, random_window, zoom_boxes, zoom_maps

SIZE = (64, 64)  # a 64-px working image: stride-8 grid 8x8, stride-16 grid 4x4


def test_the_window_cuts_both_maps_at_the_same_place_and_restores_their_size() -> None:
    fine = torch.arange(64, dtype=torch.float32).reshape(1, 1, 8, 8)
    coarse = torch.arange(16, dtype=torch.float32).reshape(1, 1, 4, 4)
    window = Window(top=2, left=2, height=2, width=2)  # the bottom-right quarter
    zoomed_fine, zoomed_coarse = zoom_maps(fine, coarse, window)
    assert zoomed_fine.shape == fine.shape and zoomed_coarse.shape == coarse.shape
    # The stride-8 window is twice the stride-16 one: rows and columns 4-7.
    assert float(zoomed_fine.min()) == float(fine[..., 4:, 4:].min())
    assert float(zoomed_fine.max()) == float(fine[..., 4:, 4:].max())
    assert float(zoomed_coarse.min()) == 10.0 and float(zoomed_coarse.max()) == 15.0


def test_boxes_move_and_scale_with_the_window() -> None:
    window = Window(top=2, left=2, height=2, width=2)  # pixels 32-64: zoomed 2x
    corners = torch.tensor([[40.0, 36.0, 42.0, 60.0]])  # a 2-px scratch inside it
    moved, labels = zoom_boxes(corners, torch.tensor([3]), window, SIZE)
    assert moved.tolist() == [[16.0, 8.0, 20.0, 56.0]] and labels.tolist() == [3]


def test_boxes_cut_by_the_window_keep_their_visible_part_or_are_dropped() -> None:
    window = Window(top=0, left=0, height=2, width=2)  # pixels 0-32
    corners = torch.tensor(
        [
            [24.0, 0.0, 40.0, 16.0],  # half inside: kept, clipped at the window's edge
            [30.0, 0.0, 50.0, 10.0],  # a tenth inside: dropped
            [40.0, 40.0, 50.0, 50.0],  # outside: dropped
        ]
    )
    assert MIN_VISIBLE < 0.5
    moved, labels = zoom_boxes(corners, torch.tensor([0, 1, 2]), window, SIZE)
    assert moved.tolist() == [[48.0, 0.0, 64.0, 32.0]] and labels.tolist() == [0]


def test_random_windows_stay_inside_the_grid_within_the_size_range() -> None:
    generator = torch.Generator().manual_seed(0)
    sides = set()
    for _ in range(200):
        w = random_window((18, 18), 0.6, generator)
        assert 11 <= w.height <= 18 and w.height == w.width
        assert 0 <= w.top <= 18 - w.height and 0 <= w.left <= 18 - w.width
        sides.add(w.height)
    assert len(sides) > 4  # the zoom varies


def test_zoomed_targets_follow_the_mirrored_then_zoomed_box() -> None:
    centres = location_centres((8, 8), 8)
    corners = [torch.tensor([[0.0, 0.0, 16.0, 16.0]])]  # top-left corner box
    labels = [torch.tensor([1])]
    window = Window(top=0, left=2, height=2, width=2)  # top-right quarter, zoomed 2x
    classes, boxes, _ = zoomed_targets(corners, labels, centres, SIZE, (True, False), window, 1.0)
    # Mirrored left-right the box lies at x 48-64, y 0-16; zoomed, at x 32-64, y 0-32.
    grid = classes.reshape(8, 8)
    assert bool((grid[:4, 4:] == 1).all()) and int((grid >= 0).sum()) == 16
    assert boxes[0, classes[0] >= 0][0].tolist() == [32.0, 0.0, 64.0, 32.0]
    unzoomed, _, _ = zoomed_targets(corners, labels, centres, SIZE, (False, False), window, 1.0)
    assert int((unzoomed >= 0).sum()) == 0  # the unmirrored box is outside the window
