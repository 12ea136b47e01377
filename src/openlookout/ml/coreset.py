"""Greedy k-center coreset: a small subset of patch features that covers the rest.

Bank-size rule: keep ``CORESET_RATIO`` (10 %) of the candidate patches, at least
``MIN_BANK_SIZE`` (or all of them when fewer) and at most ``MAX_BANK_SIZE`` (10,000).
The cap bounds inference cost (one exact nearest-neighbour search per patch against
the bank) and model size (10,000 x 256 float32 = 10 MB); selection costs
O(candidates x bank size), which ``MAX_CANDIDATES`` in ``memory_bank.py`` bounds too.

Selection is the classic farthest-point greedy, computed in batches with the same result:
the textbook loop makes one pass over every candidate per chosen centre (a matrix-vector
product, memory-bound), which dominated training. Here each round takes the ``pool``
candidates farthest from the current centres and runs the greedy inside that pool. Distances
only shrink as centres are added, so while the best pool candidate is at least as far as
the farthest candidate left outside the pool, it is exactly the point the textbook loop
would pick next. When that stops being true the round ends, and all of the round's new
centres update every candidate at once with one matrix product (compute-bound, BLAS).
"""

from __future__ import annotations

import math

import numpy as np
import torch

CORESET_RATIO = 0.10
MIN_BANK_SIZE = 1000
MAX_BANK_SIZE = 10_000
# Distances are compared in a random Gaussian projection of this many dims: it keeps
# pairwise distances within a few percent (Johnson-Lindenstrauss) and makes every
# distance computation 4x cheaper than in the full feature dims.
PROJECTION_DIM = 64
# Candidates examined per round; larger pools accept more centres per round but cost
# pool x dims per accepted centre. Measured: 80,000 candidates -> 8,000 centres takes
# about 22 rounds.
MAX_POOL = 1024
MIN_POOL = 64


def coreset_size(num_candidates: int) -> int:
    wanted = max(MIN_BANK_SIZE, math.ceil(CORESET_RATIO * num_candidates))
    return min(num_candidates, wanted, MAX_BANK_SIZE)


def _projected(features: np.ndarray, device: torch.device, generator: torch.Generator) -> torch.Tensor:
    x = torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32))
    if x.shape[1] > PROJECTION_DIM:
        projection = torch.randn(x.shape[1], PROJECTION_DIM, generator=generator) / math.sqrt(PROJECTION_DIM)
        x = x @ projection
    return x.to(device)


def _greedy_in_pool(pool_x: np.ndarray, pool_dist: np.ndarray, bound: float, wanted: int) -> list[int]:
    """Pool positions the exact greedy picks, in order, while they beat ``bound``.

    NumPy rather than torch: the arrays are small (pool x 64) and the loop is
    per-pick, so per-call overhead is what costs here.
    """
    pool_sq = np.einsum("ij,ij->i", pool_x, pool_x)
    picked: list[int] = []
    while len(picked) < wanted:
        best = int(np.argmax(pool_dist))
        best_dist = float(pool_dist[best])
        if best_dist == -math.inf or best_dist < bound:
            break
        picked.append(best)
        dist = pool_sq - 2.0 * (pool_x @ pool_x[best]) + pool_sq[best]
        np.minimum(pool_dist, dist, out=pool_dist)
        pool_dist[best] = -math.inf
    return picked


def greedy_coreset(features: np.ndarray, size: int, device: torch.device, seed: int = 0) -> np.ndarray:
    """Indices of ``size`` rows chosen by farthest-point (k-center) selection.

    Starts from a seeded random row, then repeatedly adds the row farthest from every
    row chosen so far. The result's covering radius is at most twice the optimum.
    """
    num = len(features)
    if size >= num:
        return np.arange(num)
    if size <= 0:
        return np.empty(0, dtype=np.int64)
    generator = torch.Generator().manual_seed(seed)
    x = _projected(features, device, generator)
    sq_norms = (x * x).sum(dim=1)
    first = int(torch.randint(num, (1,), generator=generator))
    # Squared distance of every row to its nearest chosen row, via |a|^2 - 2ab + |b|^2.
    # Chosen rows are set to -inf so that duplicate rows can never be picked twice.
    min_dist = sq_norms - 2.0 * torch.mv(x, x[first]) + sq_norms[first]
    min_dist[first] = -math.inf
    chosen = [first]
    while len(chosen) < size:
        wanted = size - len(chosen)
        pool = min(num - len(chosen), max(MIN_POOL, min(MAX_POOL, 2 * wanted)))
        values, indices = torch.topk(min_dist, min(pool + 1, num))
        bound = float(values[pool]) if len(values) > pool else -math.inf
        pool_rows = indices[:pool]
        picked = _greedy_in_pool(
            x[pool_rows].cpu().numpy(), values[:pool].cpu().numpy().copy(), bound, wanted
        )
        new = pool_rows[torch.as_tensor(picked, device=pool_rows.device)]
        centres = x[new]
        # min over the new centres of |c|^2 - 2xc, then + |x|^2: one fused matrix product.
        nearest = torch.addmm((centres * centres).sum(dim=1)[None, :], x, centres.T, alpha=-2.0)
        torch.minimum(min_dist, nearest.amin(dim=1) + sq_norms, out=min_dist)
        min_dist[new] = -math.inf
        chosen.extend(new.tolist())
    return np.asarray(chosen, dtype=np.int64)
