"""Hosting Custom Labels models: StartProjectVersion, StopProjectVersion, DetectCustomLabels.

The lifecycle is the one Lookout for Vision models use (``service/common/hosting_lifecycle.py``): the
call moves the status (STARTING / STOPPING) and a background thread downloads the model and
starts its inference units on the ``ModelHost``, then RUNNING (or FAILED with the reason) /
STOPPED. The database keeps the desired state, so ``restore`` after a restart hosts RUNNING
and STARTING versions again and settles STOPPING ones as STOPPED.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from openlookout.blobs.base import BlobStore
from openlookout.config import Settings
from openlookout.errors import ConflictError
from openlookout.hosting.base import ModelHost, ModelInfo
from openlookout.kms.keyring import Keyring
from openlookout.ml.custom_labels_models import read_custom_labels_thresholds
from openlookout.ml.detection.types import DetectionPrediction
from openlookout.ml.labels.types import LabelPrediction
from openlookout.service.common.hosting_lifecycle import HostingLifecycle, HostingStatuses, inference_units
from openlookout.service.custom_labels import detect_image
from openlookout.service.custom_labels.artifact_crypto import download_version_artifacts
from openlookout.service.custom_labels.call import CustomLabelsCall
from openlookout.service.custom_labels.detection_response import select_detections
from openlookout.service.custom_labels.errors import NotReadyError
from openlookout.service.custom_labels.image_errors import InvalidImageFormatError
from openlookout.service.custom_labels.lookup import get_version
from openlookout.service.custom_labels.statuses import ProjectVersionStatus
from openlookout.service.custom_labels.version_status import MESSAGES, STARTABLE
from openlookout.store.custom_labels_tables import CLProjectVersion
from openlookout.store.db import write_session

# The loader of the hosting units: image-label and object-detection models alike (by the
# model file in the folder). The composition root builds the host with it.
LABEL_LOADER = "openlookout.ml.custom_labels_models:load_custom_labels_model"
# What that loader's models answer per image.
CustomLabelsPrediction = LabelPrediction | DetectionPrediction


def select_labels(
    scores: dict[str, float],
    thresholds: dict[str, float],
    min_confidence: float | None,
    max_results: int | None,
) -> list[dict[str, Any]]:
    """Spec B.6: without MinConfidence each label must reach its assumed threshold;
    with it, only MinConfidence applies (0 returns every label). Highest confidence first."""
    if min_confidence is None:
        kept = [label for label, score in scores.items() if score >= thresholds[label]]
    else:
        kept = [label for label, score in scores.items() if score * 100.0 >= min_confidence]
    kept.sort(key=lambda label: (-scores[label], label))
    if max_results is not None:
        kept = kept[:max_results]
    return [{"Name": label, "Confidence": scores[label] * 100.0} for label in kept]


STATUSES = HostingStatuses(
    starting=ProjectVersionStatus.STARTING,
    running=ProjectVersionStatus.RUNNING,
    failed=ProjectVersionStatus.FAILED,
    stopping=ProjectVersionStatus.STOPPING,
    stopped=ProjectVersionStatus.STOPPED,
    messages=MESSAGES,
)


class CustomLabelsHosting(HostingLifecycle[CustomLabelsPrediction]):
    """Custom Labels versions on a ``ModelHost`` (lifecycle: ``service/common/hosting_lifecycle.py``)."""

    row_type = CLProjectVersion
    statuses = STATUSES
    key_prefix = "cl-"
    no_artifacts_message = "The project version has no trained model to host."

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        blobs: BlobStore,
        host: ModelHost[CustomLabelsPrediction],
        keyring: Keyring,
    ) -> None:
        super().__init__(settings, sessions, blobs, host)
        self.keyring = keyring
        self._thresholds: dict[int, dict[str, float]] = {}

    # -- what a hosted version keeps -----------------------------------------------------------

    def _download(self, row_id: int, prefix: str) -> Path:
        # Models trained with a KmsKeyId are stored encrypted (artifact_crypto.py).
        return download_version_artifacts(
            self.settings, self.keyring, self.sessions, self.blobs, row_id, prefix, self._artifact_dir(row_id)
        )

    def _loaded(self, row_id: int, folder: Path, info: ModelInfo) -> None:
        self._thresholds[row_id] = read_custom_labels_thresholds(folder)

    def _forget(self, row_id: int) -> None:
        self._thresholds.pop(row_id, None)

    def thresholds(self, row_id: int) -> dict[str, float] | None:
        """The assumed label thresholds of a loaded version (None: not hosted here)."""
        return self._thresholds.get(row_id)


# -- operations (rules of the facade: ``call.hosting`` is the facade's one hosting object) -------


def start_project_version(
    call: CustomLabelsCall,
    project_version_arn: str,
    min_inference_units: int,
    max_inference_units: int | None = None,
) -> dict[str, Any]:
    inference_units(min_inference_units, max_inference_units)  # refuse bad units before anything
    with write_session(call.sessions) as session:
        version = get_version(session, project_version_arn)
        if version.status not in STARTABLE:
            raise ConflictError(
                f"The project version is {version.status}; StartProjectVersion needs it in "
                f"{', '.join(sorted(STARTABLE))}.",
                resource_type="MODEL",
                resource_id=project_version_arn,
            )
        launch = call.hosting.begin_start(version, min_inference_units, max_inference_units)
    launch()
    return {"Status": ProjectVersionStatus.STARTING}


def stop_project_version(call: CustomLabelsCall, project_version_arn: str) -> dict[str, Any]:
    with write_session(call.sessions) as session:
        version = get_version(session, project_version_arn)
        if version.status != ProjectVersionStatus.RUNNING:
            raise ConflictError(
                f"The project version is {version.status}; only a RUNNING version can be stopped.",
                resource_type="MODEL",
                resource_id=project_version_arn,
            )
        launch = call.hosting.begin_stop(version)
    launch()
    return {"Status": ProjectVersionStatus.STOPPING}


def detect_custom_labels(
    call: CustomLabelsCall,
    project_version_arn: str,
    image: dict[str, Any],
    max_results: int | None = None,
    min_confidence: float | None = None,
) -> dict[str, Any]:
    reader = call.s3  # an S3Object image is read with the caller's rights
    detect_image.require_readable(reader, image)
    with call.sessions() as session:
        version = get_version(session, project_version_arn)
        status, version_id = version.status, version.id
    thresholds = call.hosting.thresholds(version_id)
    if status != ProjectVersionStatus.RUNNING or thresholds is None:
        raise NotReadyError(
            f"The project version is {status}; start it and wait for RUNNING before calling "
            "DetectCustomLabels.",
            resource_type="MODEL",
            resource_id=project_version_arn,
        )
    # Every limit is checked from the header before anything is queued; the unit decodes.
    encoded = detect_image.check(detect_image.image_bytes(reader, image))
    prediction = call.hosting.predict(
        version_id,
        encoded,
        lambda: NotReadyError(
            "The project version stopped while the request waited.",
            resource_type="MODEL",
            resource_id=project_version_arn,
        ),
        InvalidImageFormatError,
    )
    if isinstance(prediction, DetectionPrediction):
        found = select_detections(prediction.detections, thresholds, min_confidence, max_results)
    else:
        scores: dict[str, float] = prediction.scores
        found = select_labels(scores, thresholds, min_confidence, max_results)
    return {"CustomLabels": found}
