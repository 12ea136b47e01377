"""The memory bank of normal patch features and its nearest-neighbour search (faiss).

Candidate rule: every patch of every normal training image is a candidate while they
number at most ``MAX_CANDIDATES`` (200,000, i.e. about 200 images at 224x288);
beyond that each image contributes the same number of randomly chosen patches (seeded),
so selection time and memory stay bounded on large datasets.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future

import faiss
import numpy as np
import torch

from openlookout.ml.coreset import coreset_size, greedy_coreset

MAX_CANDIDATES = 200_000


def patches_per_image(num_images: int, patches_in_image: int) -> int:
    if num_images <= 0:
        return 0
    return min(patches_in_image, math.ceil(MAX_CANDIDATES / num_images))


def sample_patches(features: np.ndarray, limit: int, rng: np.random.Generator) -> np.ndarray:
    """Flatten one image's (rows, cols, D) features and keep at most ``limit`` patches."""
    flat = features.reshape(-1, features.shape[-1])
    if limit >= len(flat):
        return flat
    return flat[np.sort(rng.choice(len(flat), size=limit, replace=False))]


def select_bank(candidates: np.ndarray, device: torch.device, seed: int = 0) -> np.ndarray:
    """Coreset of the candidate patches: the bank's rows, float32 (size, D)."""
    indices = greedy_coreset(candidates, coreset_size(len(candidates)), device, seed=seed)
    return np.ascontiguousarray(candidates[indices], dtype=np.float32)


class MemoryBank:
    """Exact L2 nearest-neighbour search over the bank's rows."""

    def __init__(self, rows: np.ndarray) -> None:
        if rows.ndim != 2 or len(rows) == 0:
            raise ValueError("a memory bank needs at least one row")
        self.rows = np.ascontiguousarray(rows, dtype=np.float32)
        self._index = faiss.IndexFlatL2(self.rows.shape[1])
        self._index.add(self.rows)

    def nearest_distances(self, queries: np.ndarray) -> np.ndarray:
        """Euclidean distance from each query row to its nearest bank row, float32 (M,)."""
        flat = np.ascontiguousarray(queries.reshape(-1, self.rows.shape[1]), dtype=np.float32)
        squared, _ = self._index.search(flat, 1)
        return np.sqrt(np.maximum(squared[:, 0], 0.0))


class BankSelector:
    """Coreset selections on an executor's threads (the numpy pool loop is single-threaded),
    so that the caller can search banks that are ready while others are being selected."""

    def __init__(self, executor: Executor, device: torch.device) -> None:
        self._executor = executor
        self._device = device

    def submit(self, candidates: np.ndarray, seed: int) -> Future[np.ndarray]:
        """The bank rows of ``candidates``, selected in the background."""
        return self._executor.submit(select_bank, candidates, self._device, seed)

    def select_each(self, jobs: Iterable[tuple[Callable[[], np.ndarray], int]]) -> Iterator[MemoryBank]:
        """One bank per (candidates, seed) job, in order; candidates are gathered on the worker."""
        return (
            MemoryBank(rows)
            for rows in self._executor.map(
                lambda job: select_bank(job[0](), self._device, seed=job[1]), list(jobs)
            )
        )
