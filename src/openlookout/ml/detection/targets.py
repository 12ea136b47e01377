"""Training targets on the stride-8 grid: which location learns which box.

A location learns a box when its centre lies inside the box's *assignment region*: the box
itself, grown where it is thinner than ``MIN_REGION_STRIDES`` strides to that size about
its centre. Without the growth, a 2-px-wide scratch between two rows of location centres
has no location inside it at all, and a long thin crack gets one. A location inside
several regions learns the smallest box (the large one has other locations to learn
from); a box whose region still holds no location centre gets the location nearest its
centre, so no box goes unlearned.

Targets are the true corners (the loss compares decoded corners, ``box_coding.py``), and
a centerness ``sqrt(min(l,r)/max(l,r) * min(t,b)/max(t,b))`` measured in the assignment
region: 1 at the box centre, falling towards the region's edges.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

# A region at least this many strides across: a thin box gets a line of locations along
# its length, each predicting it from at most one stride away. ``0`` = no growth (the
# FCOS rule: only locations inside the box itself).
MIN_REGION_STRIDES = 1.0
# Truth boxes are at least this wide and high in working pixels, so a 1-px defect that the
# resize made thinner still has an area to regress to.
MIN_BOX_PX = 1.0


@dataclass
class GridTargets:
    classes: torch.Tensor  # (h*w,) long: label index, -1 = background
    boxes: torch.Tensor  # (h*w, 4) float: the assigned box's corners in pixels (0 for background)
    centerness: torch.Tensor  # (h*w,) float


def location_centres(grid: tuple[int, int], stride: int) -> torch.Tensor:
    """(h*w, 2) x, y pixel coordinates of the grid cells' centres, row-major."""
    rows, cols = grid
    ys = (torch.arange(rows, dtype=torch.float32) + 0.5) * stride
    xs = (torch.arange(cols, dtype=torch.float32) + 0.5) * stride
    yy, xx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1)


def widen(corners: torch.Tensor, minimum: float) -> torch.Tensor:
    """(G, 4) corners grown about their centres to at least ``minimum`` wide and high."""
    centre = (corners[:, :2] + corners[:, 2:]) / 2
    half = ((corners[:, 2:] - corners[:, :2]) / 2).clamp(min=minimum / 2)
    return torch.cat([centre - half, centre + half], dim=1)


def assign_targets(
    corners: torch.Tensor,
    labels: torch.Tensor,
    centres: torch.Tensor,
    stride: int,
    min_region_strides: float = MIN_REGION_STRIDES,
) -> GridTargets:
    """Targets of one image: ``corners`` (G, 4) in pixels, ``labels`` (G,) label indices."""
    count = len(centres)
    if len(corners) == 0:
        return GridTargets(
            torch.full((count,), -1, dtype=torch.long), torch.zeros(count, 4), torch.zeros(count)
        )
    corners = widen(corners, MIN_BOX_PX)
    regions = widen(corners, min_region_strides * stride)
    x, y = centres[:, 0:1], centres[:, 1:2]
    sides = torch.stack(
        [x - regions[None, :, 0], y - regions[None, :, 1], regions[None, :, 2] - x, regions[None, :, 3] - y],
        dim=2,
    )  # (count, G, 4): distances to the region's sides
    inside = sides.min(dim=2).values > 0
    box_centres = (corners[:, :2] + corners[:, 2:]) / 2
    nearest = torch.cdist(box_centres, centres).argmin(dim=1)  # (G,)
    inside[nearest, torch.arange(len(corners))] = True
    areas = ((corners[:, 2] - corners[:, 0]) * (corners[:, 3] - corners[:, 1])).expand(count, -1)
    areas = torch.where(inside, areas, torch.full_like(areas, float("inf")))
    smallest_area, owner = areas.min(dim=1)
    positive = torch.isfinite(smallest_area)
    classes = torch.where(positive, labels[owner], torch.full_like(owner, -1))
    # The forced nearest location may lie outside the region: its centerness is then small.
    chosen = sides[torch.arange(count), owner].clamp(min=stride / 4)
    left_right, top_bottom = chosen[:, 0::2], chosen[:, 1::2]
    centerness = torch.sqrt(
        (left_right.min(dim=1).values / left_right.max(dim=1).values)
        * (top_bottom.min(dim=1).values / top_bottom.max(dim=1).values)
    )
    return GridTargets(classes, corners[owner] * positive[:, None], centerness * positive)
