"""The two kinds of Custom Labels model a training run makes, behind one shape.

Image-level labels train the classifier (``ml.labels``); a training set with bounding boxes
(use case OBJECT_LOCALIZATION) trains the detector (``ml.detection``). Either way the job gets
a ``TrainedModel``: the model folder is written, and ``write_evaluation`` writes that kind's
evaluation files (spec B.5). The ml functions raise ``TrainingDataError`` on unusable data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from openlookout.blobs.base import BlobStore
from openlookout.manifests.custom_labels import OBJECT_LOCALIZATION
from openlookout.ml.labels.model import train_label_model
from openlookout.service.custom_labels import evaluation, evaluation_detection, training_data
from openlookout.service.custom_labels.evaluation import EvaluationKeys
from openlookout.service.custom_labels.training_data import TrainingSplit

# (blobs, keys, version ARN, evaluation end) -> None
EvaluationWriter = Callable[[BlobStore, EvaluationKeys, str, datetime], None]
# (stage, percent 0-100 of the training) -> None: the job's progress record.
StageProgress = Callable[[str, float], None]


@dataclass(frozen=True)
class TrainedModel:
    f1: float  # EvaluationResult.F1Score: macro F1 over labels, or per-box F1 for detectors
    num_train: int
    train_seconds: float
    write_evaluation: EvaluationWriter


def train_image_labels(
    blobs: BlobStore, split: TrainingSplit, model_dir: Path, stage_progress: StageProgress | None = None
) -> TrainedModel:
    result = train_label_model(
        training_data.examples(blobs, split.train),
        training_data.examples(blobs, split.test),
        model_dir,
        stage_progress=stage_progress,
    )

    def write(out: BlobStore, keys: EvaluationKeys, version_arn: str, end: datetime) -> None:
        evaluation.write_evaluation_files(out, keys, result, split.train, split.test, version_arn, end)

    return TrainedModel(result.evaluation.f1, result.num_train, result.train_seconds, write)


def train_detector(
    blobs: BlobStore, split: TrainingSplit, model_dir: Path, stage_progress: StageProgress | None = None
) -> TrainedModel:
    # Imported here: the detection network is only needed by runs that train one.
    from openlookout.ml.detection.model import train_detection_model

    result = train_detection_model(
        training_data.detection_examples(blobs, split.train),
        training_data.detection_examples(blobs, split.test),
        model_dir,
        stage_progress=stage_progress,
    )

    refs = {prediction.ref for prediction in result.predictions}
    tested = [line for line in split.test if line.source_ref in refs]
    truth = {line.source_ref or "": training_data.ratio_boxes(line) for line in tested}
    # Predicted boxes are written in pixels of each test image (an image read fails training here).
    sizes = {line.source_ref or "": training_data.image_size(blobs, line) for line in tested}

    def write(out: BlobStore, keys: EvaluationKeys, version_arn: str, end: datetime) -> None:
        evaluation_detection.write_evaluation_files(
            out, keys, result, split.train, split.test, truth, sizes, version_arn, end
        )

    return TrainedModel(result.evaluation.f1, result.num_train, result.train_seconds, write)


def trainer_for(
    use_case: str,
) -> Callable[[BlobStore, TrainingSplit, Path, StageProgress | None], TrainedModel]:
    """The detector for OBJECT_LOCALIZATION training sets, the classifier otherwise."""
    return train_detector if use_case == OBJECT_LOCALIZATION else train_image_labels
