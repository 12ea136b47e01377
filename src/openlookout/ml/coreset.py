"""Greedy k-center coreset: a small subset of patch features that covers the rest.

Bank-size rule: keep ``CORESET_RATIO`` (10 %) of the candidate patches, at least
``MIN_BANK_SIZE`` (or all of them when fewer) and at most ``MAX_BANK_SIZE`` (10,000).
The cap bounds inference cost (one exact nearest-neighbour search per patch against
the bank) and model size (10,000 x 152 float32 = 6 MB); selection costs
O(candidates x bank size), which ``MAX_CANDIDATES`` in ``memory_bank.py`` bounds too.
"""

from __future__ import annotations

import math

import numpy as np
import torch

CORESET_RATIO = 0.10
MIN_BANK_SIZE = 1000
MAX_BANK_SIZE = 10_000
# Distances are compared in a random Gaussian projection of this many dims: it keeps
# pairwise distances within a few percent (Johnson-Lindenstrauss) and makes each
# greedy step about 2.5x cheaper than in the full 152 dims.
PROJECTION_DIM = 64


def coreset_size(num_candidates: int) -> int:
    wanted = max(MIN_BANK_SIZE, math.ceil(CORESET_RATIO * num_candidates))
    return min(num_candidates, wanted, MAX_BANK_SIZE)


def greedy_coreset(features: np.ndarray, size: int, device: torch.device, seed: int = 0) -> np.ndarray:
    """Indices of ``size`` rows chosen by farthest-point (k-center) selection.

    Starts from a seeded random row, then repeatedly adds the row farthest from every
    row chosen so far. The result's covering radius is at most twice the optimum.
    """
    num, dim = features.shape
    if size >= num:
        return np.arange(num)
    if size <= 0:
        return np.empty(0, dtype=np.int64)
    generator = torch.Generator().manual_seed(seed)
    x = torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32))
    if dim > PROJECTION_DIM:
        projection = torch.randn(dim, PROJECTION_DIM, generator=generator) / math.sqrt(PROJECTION_DIM)
        x = x @ projection
    x = x.to(device)
    sq_norms = (x * x).sum(dim=1)
    chosen = torch.empty(size, dtype=torch.long, device=device)
    first = int(torch.randint(num, (1,), generator=generator))
    chosen[0] = first
    # Squared distance of every row to its nearest chosen row, via |a|^2 - 2ab + |b|^2.
    # Chosen rows are set to -inf so that duplicate rows can never be picked twice.
    min_dist = sq_norms - 2.0 * torch.mv(x, x[first]) + sq_norms[first]
    min_dist[first] = -math.inf
    for i in range(1, size):
        nxt = torch.argmax(min_dist)
        chosen[i] = nxt
        dist = sq_norms - 2.0 * torch.mv(x, x[nxt]) + sq_norms[nxt]
        torch.minimum(min_dist, dist, out=min_dist)
        min_dist[nxt] = -math.inf
    return chosen.cpu().numpy()
