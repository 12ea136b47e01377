"""One prediction from one patch-distance map: the image decision, heatmap and class mask.

Shared by the PyTorch model (``ml/anomaly_model.py``) and the onnxruntime model
(``export/onnx_model.py``) so both paths answer alike.
"""

from __future__ import annotations

import numpy as np

from openlookout.ml.api import ImagePrediction
from openlookout.ml.artifacts import ModelArtifacts
from openlookout.ml.pixel_refine import grey
from openlookout.ml.scoring import calibrated_heatmap, image_score
from openlookout.ml.segmentation import anomaly_probability, class_mask, probability_heatmap


def prediction_from_map(
    artifacts: ModelArtifacts,
    features: np.ndarray,
    amap: np.ndarray,
    ref: str,
    size: tuple[int, int],
    image: np.ndarray | None = None,
) -> ImagePrediction:
    """``amap`` is the smoothed patch-distance grid; ``size`` the input image's (H, W).

    ``image`` is the (h, w, 3) image at the working size: a segmentation model's pixel
    refiner reads it (without it the cells' P(anomaly) is upsampled as it is).
    """
    amap = artifacts.scoring_map(amap)
    score = image_score(amap, artifacts.border_cells)
    calibration = artifacts.calibration
    is_anomalous = calibration.is_anomalous(score)
    head = artifacts.segmentation
    mask = None
    if head is None:
        # Classification: distance heatmap, 0.5 at the image threshold (the image score is its max).
        heatmap = calibrated_heatmap(amap, calibration.threshold, calibration.scale, size)
    else:
        probabilities = head.classifier.probabilities(features, amap)
        pmap = anomaly_probability(probabilities)
        if head.refiner is not None and image is not None:
            pmap = head.refiner.refine(grey(image), pmap)
        heatmap = probability_heatmap(pmap, head.pixel_threshold, size)
        mask = class_mask(heatmap, is_anomalous, probabilities, size)
    return ImagePrediction(
        ref=ref,
        is_anomalous=is_anomalous,
        confidence=calibration.confidence(score),
        score=score,
        anomaly_map=heatmap,
        class_mask=mask,
    )
