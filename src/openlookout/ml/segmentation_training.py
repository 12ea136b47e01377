"""Fits the optional segmentation head of an anomaly model on the held-out folds.

Cross-fitted patch classifiers (one per fold, trained without it) give held-out pixel
maps; the pixel refiner and the pixel threshold are calibrated on those; the final
classifier sees every mask.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np

from openlookout.ml.api import TrainingDataError
from openlookout.ml.artifacts import SegmentationHead
from openlookout.ml.calibration import Calibration
from openlookout.ml.held_out_calibration import HeldOut
from openlookout.ml.pixel_refine import RefinerSample, fit_pixel_refiner
from openlookout.ml.scoring import image_score
from openlookout.ml.segmentation import (
    HeldOutImage,
    PatchClassifier,
    PatchSample,
    anomaly_probability,
    fit_patch_classifier,
    pixel_threshold,
)
from openlookout.ml.training_features import TrainingFeatures

# Pixel threshold when no held-out image has an anomalous pixel to calibrate on.
DEFAULT_PIXEL_THRESHOLD = 0.5


class SegmentationHeadFitter:
    """``fit`` -> the ``SegmentationHead`` (patch classifier, refiner, pixel threshold)."""

    def __init__(self, num_classes: int, seed: int) -> None:
        self.num_classes = num_classes
        self._seed = seed

    def fit(
        self, kept: TrainingFeatures, held: HeldOut, calibration: Calibration, size: tuple[int, int]
    ) -> SegmentationHead:
        if not any(np.count_nonzero(mask) for mask in kept.masks.values()):
            raise TrainingDataError(
                "No training mask shows an anomaly class; a segmentation model needs some."
            )
        seed = self._seed
        samples = {i: PatchSample(kept.full[i], held.maps[i], mask) for i, mask in sorted(kept.masks.items())}
        folds: list[tuple[list[int], list[PatchSample], int]] = []
        for fold in range(held.num_folds):
            inside = [i for i in samples if held.folds[i] == fold]
            outside = [samples[i] for i in samples if held.folds[i] != fold]
            if inside and any(s.has_defect for s in outside):  # else nothing to score or to learn from
                folds.append((inside, outside, seed + fold))
        fits = [(outside, fold_seed) for _, outside, fold_seed in folds] + [(list(samples.values()), seed)]
        classifiers = self._fit_classifiers(fits)
        held_out: list[HeldOutImage] = []
        refiner_samples: list[RefinerSample] = []
        for (inside, _, _), classifier in zip(folds, classifiers, strict=False):
            for i in inside:
                pmap = anomaly_probability(classifier.probabilities(samples[i].features, samples[i].amap))
                decision = calibration.is_anomalous(image_score(held.maps[i]))
                held_out.append(HeldOutImage(pmap=pmap, is_anomalous=decision, mask=samples[i].mask))
                refiner_samples.append(RefinerSample(kept.luma[i], pmap, samples[i].mask))
        refiner = fit_pixel_refiner(refiner_samples, seed=seed) if refiner_samples else None
        if refiner is not None:  # the pixel threshold is then a cut of the refined map
            held_out = [
                replace(image, pmap=refiner.refine(sample.luma, sample.cell_probability))
                for image, sample in zip(held_out, refiner_samples, strict=True)
            ]
        threshold = pixel_threshold(held_out, size)
        return SegmentationHead(
            pixel_threshold=DEFAULT_PIXEL_THRESHOLD if threshold is None else threshold,
            classifier=classifiers[-1],
            refiner=refiner,
        )

    def _fit_classifiers(self, fits: list[tuple[list[PatchSample], int]]) -> list[PatchClassifier]:
        """One classifier per (samples, seed), in order.

        The first is fitted from zero; the others start from it (the fit is convex, so a
        nearby start only saves iterations) and run in parallel threads: the fit is numpy
        matrix products and ufuncs, which release the GIL, while BLAS itself is single-threaded.
        """
        num_classes = self.num_classes
        first = fit_patch_classifier(fits[0][0], num_classes, seed=fits[0][1])
        if len(fits) == 1:
            return [first]
        workers = max(1, min(len(fits) - 1, os.cpu_count() or 1))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="patch-classifier") as pool:
            rest = pool.map(
                lambda fit: fit_patch_classifier(fit[0], num_classes, seed=fit[1], start=first), fits[1:]
            )
            return [first, *rest]
