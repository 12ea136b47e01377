"""``AnomalyDetector``: the PatchCore-style training pipeline as an object made of parts.

Parts, each with a small interface:
- feature extractor: ``PatchFeatureExtractor`` (``features.py``) behind a
  ``TrainingFeatureExtractor`` (``training_features.py``) that keeps bank candidates and
  calibration features of one pass over the training images;
- memory bank: coreset selection on worker threads (``BankSelector``, ``memory_bank.py``)
  and k-fold held-out scoring (``HeldOutScorer``, ``held_out.py``);
- calibrator: per-position map normalisation and the image threshold
  (``HeldOutCalibrator``, ``held_out_calibration.py``);
- segmentation head, when the training images have class masks
  (``SegmentationHeadFitter``, ``segmentation_training.py``).

``fit`` returns the ``AnomalyModel`` (``anomaly_model.py``), which predicts and saves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from openlookout.ml.anomaly_model import AnomalyModel
from openlookout.ml.api import LabeledImage, TrainingDataError
from openlookout.ml.artifacts import ModelArtifacts
from openlookout.ml.backbone import select_device, shared_backbone
from openlookout.ml.calibration import NUM_FOLDS
from openlookout.ml.coreset import CORESET_RATIO, MAX_BANK_SIZE, MIN_BANK_SIZE
from openlookout.ml.features import PatchFeatureExtractor, grid_size, random_projection
from openlookout.ml.held_out import HeldOutScorer
from openlookout.ml.held_out_calibration import HeldOut, HeldOutCalibrator
from openlookout.ml.imaging import detail_size, working_size
from openlookout.ml.memory_bank import MAX_CANDIDATES, BankSelector
from openlookout.ml.scoring import BORDER_CELLS, SMOOTH_SIGMA
from openlookout.ml.segmentation import MAX_BACKGROUND_PATCHES, WEIGHT_DECAY
from openlookout.ml.segmentation_training import SegmentationHeadFitter
from openlookout.ml.training_features import TrainingFeatureExtractor, TrainingFeatures, first_image

SEED = 0
# Large images are also tried at their own resolution only when the working size clearly
# fails its held-out anomalies (the try costs the pixel ratio in time: 7x on the cookies,
# whose held-out AUROC is 0.94 at 224x288 and no better at 576x768), and that resolution
# is kept only when it wins by a margin larger than the noise of a few held-out anomalies.
DETAIL_TRY_BELOW_AUROC = 0.9
DETAIL_MIN_AUROC_GAIN = 0.02
# Coreset selections that run at once: two keep both cores of a small machine busy.
SELECTION_THREADS = 2

Progress = Callable[[str], None]
# (stage, percent 0-100 of the fit): for a job's progress record; never changes the model.
StageProgress = Callable[[str, float], None]
# Where each stage of ``fit`` starts, in percent of the fit (features and folds move within).
FEATURES_START, HELD_OUT_START, CALIBRATION_START, HEAD_START, BANK_START = 0, 45, 75, 80, 90


def size_name(size: tuple[int, int]) -> str:
    return f"{size[1]}x{size[0]}"


@dataclass
class _Candidate:
    """Training features, held-out scores and the final bank (being selected) at one working size."""

    size: tuple[int, int]
    kept: TrainingFeatures
    held: HeldOut
    final_bank: Future[np.ndarray]


class AnomalyDetector:
    """Fits an ``AnomalyModel`` on labelled training images (normals, optionally anomalies and masks)."""

    def __init__(
        self,
        device: str | None = None,
        progress: Progress | None = None,
        stage_progress: StageProgress | None = None,
    ) -> None:
        self.device = str(select_device(device))
        self.calibrator = HeldOutCalibrator()
        self._report = progress or (lambda _: None)
        self._stage: StageProgress = stage_progress or (lambda _stage, _percent: None)
        # What the last ``fit`` measured: held-out AUROC (None: no anomalies) per working size tried.
        self.held_out_auroc_by_working_size: dict[str, float | None] = {}

    def fit(self, train: Sequence[LabeledImage], class_names: Sequence[str] = ()) -> AnomalyModel:
        """Train on ``train``; the threshold is calibrated on held-out training images only."""
        num_normals = sum(1 for item in train if not item.is_anomaly)
        if num_normals < 2:
            raise TrainingDataError("Training needs at least 2 normal images.")
        segmentation = bool(class_names) and any(item.is_anomaly and item.load_mask for item in train)
        first = first_image(train)
        projection = random_projection(SEED)
        extractor = PatchFeatureExtractor(shared_backbone(self.device), projection)
        features = TrainingFeatureExtractor(extractor, train, first, segmentation, SEED)
        head_fitter = SegmentationHeadFitter(len(class_names), SEED) if segmentation else None
        # Coreset selection runs in threads alongside the rest: each candidate's final bank
        # first, then its folds' banks.
        with ThreadPoolExecutor(max_workers=SELECTION_THREADS, thread_name_prefix="coreset") as executor:
            selector = BankSelector(executor, select_device(self.device))
            scorer = HeldOutScorer(selector, SEED)

            def candidate(size: tuple[int, int]) -> _Candidate:
                return self._candidate(train, features, selector, scorer, size)

            chosen = self._choose_working_size(first, candidate)
            size, held = chosen.size, chosen.held
            self._stage("calibration", CALIBRATION_START)
            calibration = self.calibrator.calibrate(held)
            head = None
            if head_fitter is not None:
                self._report("training the patch classifier")
                self._stage("patch classifier", HEAD_START)
                head = head_fitter.fit(chosen.kept, held, calibration, size)
            self._report("building the memory bank")
            self._stage("memory bank", BANK_START)
            bank = chosen.final_bank.result()
        del chosen
        artifacts = ModelArtifacts(
            image_size=(int(first.shape[0]), int(first.shape[1])),
            working_size=size,
            bank=bank,
            projection=projection,
            calibration=calibration,
            normalizer=held.normalizer,
            border_cells=BORDER_CELLS,
            model_type="segmentation" if head is not None else "classification",
            class_names=list(class_names) if head is not None else [],
            parameters=_parameters(len(train), num_normals),
            segmentation=head,
        )
        return AnomalyModel(artifacts, device=self.device)

    def _choose_working_size(
        self, first: np.ndarray, candidate: Callable[[tuple[int, int]], _Candidate]
    ) -> _Candidate:
        chosen = candidate(working_size(*first.shape[:2]))
        baseline = chosen.held.auroc
        self.held_out_auroc_by_working_size = {size_name(chosen.size): baseline}
        detail = detail_size(*first.shape[:2])
        if detail is not None and baseline is not None and baseline < DETAIL_TRY_BELOW_AUROC:
            # Large images whose held-out anomalies are not all separated at the working
            # resolution: try their own resolution and keep it if it is clearly better.
            larger = candidate(detail)
            self.held_out_auroc_by_working_size[size_name(larger.size)] = larger.held.auroc
            self._report(f"held-out AUROC by working size: {self.held_out_auroc_by_working_size}")
            clearly_better = (larger.held.auroc or 0.0) >= baseline + DETAIL_MIN_AUROC_GAIN
            loser, chosen = (chosen, larger) if clearly_better else (larger, chosen)
            loser.final_bank.cancel()
            del larger, loser  # their features are large; only the chosen ones are needed now
        return chosen

    def _candidate(
        self,
        train: Sequence[LabeledImage],
        features: TrainingFeatureExtractor,
        selector: BankSelector,
        scorer: HeldOutScorer,
        size: tuple[int, int],
    ) -> _Candidate:
        self._report(f"extracting features of {len(train)} training images at {size_name(size)}")
        kept = features.at(size, self._spread("features", FEATURES_START, HELD_OUT_START))
        final_bank = selector.submit(kept.bank_candidates(), SEED)
        num_folds = min(NUM_FOLDS, sum(1 for item in train if not item.is_anomaly))
        self._report(f"scoring held-out training images ({num_folds} folds)")
        on_fold = self._spread("held-out scoring", HELD_OUT_START, CALIBRATION_START)
        held = self.calibrator.normalise(scorer.score(train, kept, grid_size(size), on_fold))
        return _Candidate(size=size, kept=kept, held=held, final_bank=final_bank)

    def _spread(self, stage: str, start: float, end: float) -> Callable[[int, int], None]:
        """``(done, total)`` of ``stage`` placed between ``start`` and ``end`` percent."""
        self._stage(stage, start)

        def report(done: int, total: int) -> None:
            self._stage(stage, start + (end - start) * done / max(total, 1))

        return report


def _parameters(num_train: int, num_normals: int) -> dict[str, object]:
    return {
        "seed": SEED,
        "num_train_images": num_train,
        "num_normal_images": num_normals,
        "coreset_ratio": CORESET_RATIO,
        "min_bank_size": MIN_BANK_SIZE,
        "max_bank_size": MAX_BANK_SIZE,
        "max_candidates": MAX_CANDIDATES,
        "smooth_sigma": SMOOTH_SIGMA,
        "border_cells": BORDER_CELLS,
        "num_folds": NUM_FOLDS,
        "patch_classifier_weight_decay": WEIGHT_DECAY,
        "max_background_patches": MAX_BACKGROUND_PATCHES,
    }
