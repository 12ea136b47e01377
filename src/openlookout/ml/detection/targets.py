"""FCOS-style training targets on the stride-8 grid.

A grid location is a positive for a box when its centre lies inside the box; a location
inside several boxes learns the smallest (the large one has other locations to learn from).
A box too small to contain any location centre gets the location nearest its centre, so
no box goes unlearned. Positives regress their distances to the box's four sides; the
centerness target ``sqrt(min(l,r)/max(l,r) * min(t,b)/max(t,b))`` is 1 at the box centre
and falls towards its edges.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class GridTargets:
    classes: torch.Tensor  # (h*w,) long: label index, -1 = background
    sides: torch.Tensor  # (h*w, 4) float: left, top, right, bottom distances in pixels
    centerness: torch.Tensor  # (h*w,) float


def location_centres(grid: tuple[int, int], stride: int) -> torch.Tensor:
    """(h*w, 2) x, y pixel coordinates of the grid cells' centres, row-major."""
    rows, cols = grid
    ys = (torch.arange(rows, dtype=torch.float32) + 0.5) * stride
    xs = (torch.arange(cols, dtype=torch.float32) + 0.5) * stride
    yy, xx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1)


def assign_targets(
    corners: torch.Tensor, labels: torch.Tensor, centres: torch.Tensor, stride: int
) -> GridTargets:
    """Targets of one image: ``corners`` (G, 4) in pixels, ``labels`` (G,) label indices."""
    count = len(centres)
    if len(corners) == 0:
        return GridTargets(
            torch.full((count,), -1, dtype=torch.long), torch.zeros(count, 4), torch.zeros(count)
        )
    x, y = centres[:, 0:1], centres[:, 1:2]
    sides = torch.stack(
        [x - corners[None, :, 0], y - corners[None, :, 1], corners[None, :, 2] - x, corners[None, :, 3] - y],
        dim=2,
    )  # (count, G, 4)
    inside = sides.min(dim=2).values > 0
    box_centres = (corners[:, :2] + corners[:, 2:]) / 2
    nearest = torch.cdist(box_centres, centres).argmin(dim=1)  # (G,)
    inside[nearest, torch.arange(len(corners))] = True
    areas = ((corners[:, 2] - corners[:, 0]) * (corners[:, 3] - corners[:, 1])).expand(count, -1)
    areas = torch.where(inside, areas, torch.full_like(areas, float("inf")))
    smallest_area, owner = areas.min(dim=1)
    positive = torch.isfinite(smallest_area)
    chosen = sides[torch.arange(count), owner].clamp(min=stride / 4)  # the forced nearest may lie outside
    classes = torch.where(positive, labels[owner], torch.full_like(owner, -1))
    left_right = chosen[:, 0::2]
    top_bottom = chosen[:, 1::2]
    centerness = torch.sqrt(
        (left_right.min(dim=1).values / left_right.max(dim=1).values)
        * (top_bottom.min(dim=1).values / top_bottom.max(dim=1).values)
    )
    return GridTargets(classes, chosen * positive[:, None], centerness * positive)
