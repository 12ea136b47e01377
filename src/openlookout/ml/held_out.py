"""k-fold held-out anomaly maps of the training images (what calibration learns from).

Normals are split into folds and each fold is scored by a bank built without it; the
training anomalies are spread over the same folds and scored by those banks, so both
classes see banks of the same size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from openlookout.ml.api import LabeledImage
from openlookout.ml.calibration import NUM_FOLDS, fold_ids
from openlookout.ml.memory_bank import BankSelector
from openlookout.ml.scoring import anomaly_map
from openlookout.ml.training_features import TrainingFeatures


@dataclass
class HeldOutMaps:
    """Raw (not yet normalised) held-out anomaly maps of the calibration images."""

    normals: list[int]  # calibration-normal image indices, sorted
    anomalies: list[int]  # calibration-anomaly image indices, sorted
    maps: dict[int, np.ndarray]  # image index -> raw held-out anomaly map
    folds: dict[int, int]  # image index -> its fold
    num_folds: int
    grid: tuple[int, int]  # the patch grid of every map


class HeldOutScorer:
    """Scores each fold's calibration images with a memory bank selected without that fold."""

    def __init__(self, selector: BankSelector, seed: int) -> None:
        self._selector = selector
        self._seed = seed

    def score(
        self,
        train: Sequence[LabeledImage],
        kept: TrainingFeatures,
        grid: tuple[int, int],
        on_fold: Callable[[int, int], None] | None = None,
    ) -> HeldOutMaps:
        """Held-out maps; ``on_fold(done, total)`` follows the folds (progress only)."""
        normals = sorted(i for i in kept.full if not train[i].is_anomaly)
        anomalies = sorted(i for i in kept.full if train[i].is_anomaly)
        num_folds = min(NUM_FOLDS, len(normals))
        normal_folds = dict(zip(normals, fold_ids(len(normals), num_folds, self._seed), strict=True))
        anomaly_folds = dict(zip(anomalies, fold_ids(len(anomalies), num_folds, self._seed + 1), strict=True))

        def candidates_without(fold: int) -> np.ndarray:
            return kept.bank_candidates(exclude=lambda i: normal_folds.get(i) == fold)

        jobs = [(lambda fold=fold: candidates_without(fold), self._seed + fold) for fold in range(num_folds)]
        maps: dict[int, np.ndarray] = {}
        for fold, bank in enumerate(self._selector.select_each(jobs)):
            scored = [i for i in normals if normal_folds[i] == fold] + [
                i for i in anomalies if anomaly_folds[i] == fold
            ]
            # One search for the whole fold: a large matrix product beats many small ones.
            distances = (
                bank.nearest_distances(np.stack([kept.full[i] for i in scored]))
                if scored
                else np.zeros(0, dtype=np.float32)
            )
            per_image = len(distances) // max(len(scored), 1)
            for position, index in enumerate(scored):
                maps[index] = anomaly_map(distances[position * per_image : (position + 1) * per_image], grid)
            if on_fold is not None:
                on_fold(fold + 1, num_folds)
        return HeldOutMaps(
            normals=normals,
            anomalies=anomalies,
            maps=maps,
            folds=normal_folds | anomaly_folds,
            num_folds=num_folds,
            grid=grid,
        )
