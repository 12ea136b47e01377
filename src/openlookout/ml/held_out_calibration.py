"""The calibrator: held-out maps -> per-position normalisation, image scores, threshold."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from openlookout.ml.calibration import Calibration, calibrate
from openlookout.ml.evaluate import roc_auc
from openlookout.ml.held_out import HeldOutMaps
from openlookout.ml.map_normalization import MapNormalizer, NormalMapStatistics
from openlookout.ml.scoring import image_score


@dataclass
class HeldOut:
    """k-fold results on the training images: every image scored by a bank built without it."""

    normal_scores: list[float]  # in calibration-normal index order
    anomaly_scores: list[float]
    maps: dict[int, np.ndarray]  # image index -> normalised held-out anomaly map
    folds: dict[int, int]  # image index -> its fold
    num_folds: int
    normalizer: MapNormalizer  # per-position statistics of every held-out normal map

    @property
    def auroc(self) -> float | None:
        """AUROC of the held-out anomalies against the held-out normals (None: no anomalies)."""
        if not self.anomaly_scores:
            return None
        labels = [False] * len(self.normal_scores) + [True] * len(self.anomaly_scores)
        return roc_auc(labels, [*self.normal_scores, *self.anomaly_scores])


class HeldOutCalibrator:
    """Normalises held-out maps per grid position and calibrates the image threshold on them."""

    def normalise(self, raw: HeldOutMaps) -> HeldOut:
        """Each image is normalised with the other folds' statistics (cross-fitted); the
        model keeps those of every fold."""
        statistics = NormalMapStatistics(raw.grid)
        for index in raw.normals:
            statistics.add(raw.folds[index], raw.maps[index])
        normalizers = {fold: statistics.normalizer(exclude_fold=fold) for fold in range(raw.num_folds)}
        maps = {index: normalizers[raw.folds[index]](amap) for index, amap in raw.maps.items()}
        return HeldOut(
            normal_scores=[image_score(maps[i]) for i in raw.normals],
            anomaly_scores=[image_score(maps[i]) for i in raw.anomalies],
            maps=maps,
            folds=raw.folds,
            num_folds=raw.num_folds,
            normalizer=statistics.normalizer(),
        )

    @staticmethod
    def calibrate(held: HeldOut) -> Calibration:
        return calibrate(held.normal_scores, held.anomaly_scores)
