"""Per-position normalisation of anomaly maps (ml/map_normalization.py)."""

from __future__ import annotations

import numpy as np
import pytest

from openlookout.ml.map_normalization import PRIOR_WEIGHT, MapNormalizer, NormalMapStatistics

GRID = (12, 16)


def _normal_map(rng: np.random.Generator) -> np.ndarray:
    """Distances that run high and noisy in the outer ring, as padding makes them."""
    amap = rng.normal(1.0, 0.1, GRID)
    amap[[0, -1], :] += rng.normal(3.0, 0.5, (2, GRID[1]))
    amap[:, [0, -1]] += rng.normal(3.0, 0.5, (GRID[0], 2))
    return amap.astype(np.float32)


def test_edge_noise_no_longer_decides_and_a_border_defect_still_stands_out() -> None:
    rng = np.random.default_rng(0)
    statistics = NormalMapStatistics(GRID)
    for i in range(100):
        statistics.add(i % 5, _normal_map(rng))
    normalise = statistics.normalizer()
    raw = _normal_map(rng)
    row, col = np.unravel_index(raw.argmax(), GRID)
    assert row in (0, GRID[0] - 1) or col in (0, GRID[1] - 1)  # raw: the edge decides
    z = normalise(raw)
    assert abs(float(z[0].mean()) - float(z[5].mean())) < 1.0  # the ring is no hotter than the centre
    defect = raw.copy()
    defect[0, 7] += 5.0  # a defect touching the edge, a few spreads above the ring's noise
    assert np.unravel_index(normalise(defect).argmax(), GRID) == (0, 7)


def test_cross_fitted_statistics_leave_the_fold_out() -> None:
    rng = np.random.default_rng(1)
    statistics = NormalMapStatistics(GRID)
    maps = {fold: [rng.normal(fold, 1.0, GRID) for _ in range(4)] for fold in range(3)}
    for fold, fold_maps in maps.items():
        for amap in fold_maps:
            statistics.add(fold, amap)
    others = np.stack(maps[1] + maps[2])
    n = len(others)
    mean = others.mean(axis=0)
    global_mean = mean.mean()
    expected_mean = (n * mean + PRIOR_WEIGHT * global_mean) / (n + PRIOR_WEIGHT)
    np.testing.assert_allclose(statistics.normalizer(exclude_fold=0).mean, expected_mean, rtol=1e-5)
    assert not np.allclose(statistics.normalizer().mean, expected_mean)  # all folds differ


def test_few_normals_are_shrunk_towards_the_map_wide_statistics() -> None:
    statistics = NormalMapStatistics(GRID)
    statistics.add(0, np.zeros(GRID, np.float32))
    one_hot = np.zeros(GRID, np.float32)
    one_hot[3, 3] = 9.0
    statistics.add(1, one_hot)
    normaliser = statistics.normalizer()
    assert np.all(normaliser.std > 0)
    # Two maps: the odd position's own mean, 4.5, counts for 2 images against PRIOR_WEIGHT
    # pseudo-images of the map-wide mean (4.5 / 192 positions).
    map_wide = 4.5 / (GRID[0] * GRID[1])
    expected = (2 * 4.5 + PRIOR_WEIGHT * map_wide) / (2 + PRIOR_WEIGHT)
    assert normaliser.mean[3, 3] == pytest.approx(expected, rel=1e-5)


def test_a_map_of_another_grid_is_refused() -> None:
    normaliser = MapNormalizer(mean=np.zeros(GRID, np.float32), std=np.ones(GRID, np.float32))
    with pytest.raises(ValueError, match="grid"):
        normaliser(np.zeros((3, 3), np.float32))
