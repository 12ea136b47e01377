import numpy as np
import torch

from openlookout.ml.coreset import MAX_BANK_SIZE, MIN_BANK_SIZE, coreset_size, greedy_coreset
from openlookout.ml.memory_bank import MemoryBank, patches_per_image, sample_patches

CPU = torch.device("cpu")


def _covering_radius(points: np.ndarray, chosen: np.ndarray) -> float:
    return float(MemoryBank(points[chosen]).nearest_distances(points).max())


def test_coreset_size_rule() -> None:
    assert coreset_size(500) == 500  # fewer than the minimum: keep everything
    assert coreset_size(5_000) == MIN_BANK_SIZE
    assert coreset_size(25_200) == 2_520
    assert coreset_size(10_000_000) == MAX_BANK_SIZE


def test_indices_are_unique_even_with_duplicate_rows() -> None:
    points = np.repeat(np.eye(3, dtype=np.float32), 10, axis=0)  # 3 distinct rows, 10 copies each
    chosen = greedy_coreset(points, 7, CPU)
    assert len(chosen) == 7
    assert len(set(chosen.tolist())) == 7
    assert {tuple(points[i]) for i in chosen} == {tuple(r) for r in np.eye(3)}


def test_coreset_hits_every_separated_cluster() -> None:
    rng = np.random.default_rng(1)
    centres = rng.normal(scale=100.0, size=(6, 300))
    points = np.concatenate([c + rng.normal(size=(200, 300)) for c in centres]).astype(np.float32)
    chosen = greedy_coreset(points, 6, CPU)
    assert sorted((chosen // 200).tolist()) == [0, 1, 2, 3, 4, 5]


def test_coreset_covers_better_than_random_subset() -> None:
    rng = np.random.default_rng(2)
    points = np.concatenate([rng.normal(size=(2000, 16)), rng.normal(loc=6.0, size=(20, 16))]).astype(
        np.float32
    )
    chosen = greedy_coreset(points, 50, CPU)
    random_subset = rng.choice(len(points), 50, replace=False)
    assert _covering_radius(points, chosen) < _covering_radius(points, random_subset)


def test_coreset_is_deterministic_and_size_capped_at_input() -> None:
    points = np.random.default_rng(3).normal(size=(300, 8)).astype(np.float32)
    assert np.array_equal(greedy_coreset(points, 20, CPU, seed=5), greedy_coreset(points, 20, CPU, seed=5))
    assert np.array_equal(greedy_coreset(points, 400, CPU), np.arange(300))


def test_memory_bank_distances_are_euclidean() -> None:
    bank = MemoryBank(np.array([[0.0, 0.0], [10.0, 0.0]], dtype=np.float32))
    distances = bank.nearest_distances(np.array([[3.0, 4.0], [10.0, 1.0]], dtype=np.float32))
    np.testing.assert_allclose(distances, [5.0, 1.0], rtol=1e-6)


def test_candidate_sampling_limits_patches_per_image() -> None:
    assert patches_per_image(10, 1008) == 1008
    assert patches_per_image(1000, 1008) == 200
    features = np.arange(6 * 4 * 2, dtype=np.float32).reshape(6, 4, 2)
    sampled = sample_patches(features, 5, np.random.default_rng(0))
    assert sampled.shape == (5, 2)
    assert len({tuple(r) for r in sampled}) == 5


def _textbook_greedy(points: np.ndarray, size: int, first: int) -> list[int]:
    """One full pass per chosen centre, in float64: the reference the batched rounds must match."""
    chosen = [first]
    min_dist = ((points - points[first]) ** 2).sum(axis=1)
    min_dist[first] = -np.inf
    while len(chosen) < size:
        nxt = int(np.argmax(min_dist))
        chosen.append(nxt)
        min_dist = np.minimum(min_dist, ((points - points[nxt]) ** 2).sum(axis=1))
        min_dist[nxt] = -np.inf
    return chosen


def test_batched_rounds_pick_the_textbook_greedy_sequence() -> None:
    # Low-dimensional points (no projection) with well-separated distances, so float32 and
    # float64 agree on every argmax; several rounds are needed for 600 of 5,000 points.
    rng = np.random.default_rng(4)
    points = rng.uniform(size=(5000, 8)).astype(np.float32) * np.arange(1, 9, dtype=np.float32)
    chosen = greedy_coreset(points, 600, CPU, seed=7)
    expected = _textbook_greedy(points.astype(np.float64), 600, int(chosen[0]))
    assert chosen.tolist() == expected
