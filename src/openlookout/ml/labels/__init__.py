"""Image-level label models (Rekognition Custom Labels classification) on the shared backbone.

A frozen EfficientNet-Lite0 gives each image one pooled vector; a linear head (softmax for one
label per image, one logistic output per label for several) is fitted on those vectors; each
label's assumed threshold is the score that maximises its F1 on the test set (spec B.5).

Training and loading live in ``openlookout.ml.labels.model`` (imports torch); this package
exports only the records, so the server can use them without loading the backbone.
"""

from openlookout.ml.labels.types import LabelExample, LabelPrediction, LabelTrainResult, read_thresholds

__all__ = ["LabelExample", "LabelPrediction", "LabelTrainResult", "read_thresholds"]
