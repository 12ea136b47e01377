"""Hosting Custom Labels models: StartProjectVersion, StopProjectVersion, DetectCustomLabels.

Same design as the Lookout for Vision hosting (service/hosting.py): the call moves the
status (STARTING / STOPPING) and a background thread downloads the model and starts its
inference units on the ``ModelHost``, then RUNNING (or FAILED with the reason) / STOPPED.
The database keeps the desired state, so ``restore`` after a restart hosts RUNNING and
STARTING versions again and settles STOPPING ones as STOPPED.
"""

from __future__ import annotations

import logging
import shutil
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from openlookout.blobs.base import BlobStore
from openlookout.config import Settings
from openlookout.errors import ConflictError, InvalidInputError
from openlookout.hosting.base import HostingError, ModelHost
from openlookout.hosting.local import HostingPolicy, LocalModelHost
from openlookout.ml.custom_labels_models import read_custom_labels_thresholds
from openlookout.ml.detection.types import DetectionPrediction
from openlookout.service.custom_labels import detect_image
from openlookout.service.custom_labels.artifact_crypto import download_version_artifacts
from openlookout.service.custom_labels.detection_response import select_detections
from openlookout.service.custom_labels.errors import NotReadyError
from openlookout.service.custom_labels.lookup import get_version
from openlookout.service.custom_labels.version_status import (
    FAILED,
    MESSAGES,
    RUNNING,
    STARTABLE,
    STARTING,
    STOPPED,
    STOPPING,
)
from openlookout.store.custom_labels_tables import CLProjectVersion
from openlookout.store.db import write_session
from openlookout.store.tables import utcnow

log = logging.getLogger(__name__)

# Loads image-label and object-detection models alike (by the model file in the folder).
LABEL_LOADER = "openlookout.ml.custom_labels_models:load_custom_labels_model"
PREDICT_TIMEOUT_S = 120.0


def label_model_host() -> LocalModelHost:
    """The embedded host, with units that load Custom Labels models of either kind."""
    return LocalModelHost(HostingPolicy(loader=LABEL_LOADER))


def host_key(version_id: int) -> str:
    return f"cl-{version_id}"


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


def _check_units(min_units: int, max_units: int | None) -> int:
    if min_units < 1:
        raise InvalidInputError("MinInferenceUnits must be at least 1.", field="MinInferenceUnits")
    if max_units is None:
        return min_units
    if max_units < min_units:
        raise InvalidInputError(
            f"MaxInferenceUnits ({max_units}) must not be less than MinInferenceUnits ({min_units}).",
            field="MaxInferenceUnits",
        )
    return max_units


class CustomLabelsHosting:
    def __init__(
        self, settings: Settings, sessions: sessionmaker[Session], blobs: BlobStore, host: ModelHost
    ) -> None:
        self.settings, self.sessions, self.blobs, self.host = settings, sessions, blobs, host
        self._thresholds: dict[int, dict[str, float]] = {}

    # -- operations ------------------------------------------------------------------------

    def start_project_version(
        self, project_version_arn: str, min_inference_units: int, max_inference_units: int | None = None
    ) -> dict[str, Any]:
        max_units = _check_units(min_inference_units, max_inference_units)
        with write_session(self.sessions) as session:
            version = get_version(session, project_version_arn)
            if version.status not in STARTABLE:
                raise ConflictError(
                    f"The project version is {version.status}; StartProjectVersion needs it in "
                    f"{', '.join(sorted(STARTABLE))}.",
                    resource_type="MODEL",
                    resource_id=project_version_arn,
                )
            version.status, version.status_message, version.updated_at = (
                STARTING,
                MESSAGES[STARTING],
                utcnow(),
            )
            version.min_inference_units, version.max_inference_units = (
                min_inference_units,
                max_inference_units,
            )
            version_id = version.id
        self._in_background(self._bring_up, version_id, min_inference_units, max_units)
        return {"Status": STARTING}

    def stop_project_version(self, project_version_arn: str) -> dict[str, Any]:
        with write_session(self.sessions) as session:
            version = get_version(session, project_version_arn)
            if version.status != RUNNING:
                raise ConflictError(
                    f"The project version is {version.status}; only a RUNNING version can be stopped.",
                    resource_type="MODEL",
                    resource_id=project_version_arn,
                )
            version.status, version.status_message, version.updated_at = (
                STOPPING,
                MESSAGES[STOPPING],
                utcnow(),
            )
            version_id = version.id
        self._in_background(self._take_down, version_id)
        return {"Status": STOPPING}

    def detect_custom_labels(
        self,
        project_version_arn: str,
        image: dict[str, Any],
        max_results: int | None = None,
        min_confidence: float | None = None,
    ) -> dict[str, Any]:
        with self.sessions() as session:
            version = get_version(session, project_version_arn)
            status, version_id = version.status, version.id
        thresholds = self._thresholds.get(version_id)
        if status != RUNNING or thresholds is None:
            raise NotReadyError(
                f"The project version is {status}; start it and wait for RUNNING before calling "
                "DetectCustomLabels.",
                resource_type="MODEL",
                resource_id=project_version_arn,
            )
        rgb = detect_image.decode(detect_image.image_bytes(self.blobs, image))
        try:
            prediction = self.host.predict(host_key(version_id), rgb, timeout_s=PREDICT_TIMEOUT_S)
        except HostingError as exc:
            if self.host.status(host_key(version_id)) is None:
                raise NotReadyError(
                    "The project version stopped while the request waited.",
                    resource_type="MODEL",
                    resource_id=project_version_arn,
                ) from None
            raise RuntimeError(str(exc)) from exc
        if isinstance(prediction, DetectionPrediction):
            found = select_detections(prediction.detections, thresholds, min_confidence, max_results)
        else:
            scores: dict[str, float] = prediction.scores  # type: ignore[attr-defined]
            found = select_labels(scores, thresholds, min_confidence, max_results)
        return {"CustomLabels": found}

    def release(self, version_id: int) -> None:
        """Stop the version's units (if any) and drop its local copy."""
        self._thresholds.pop(version_id, None)
        self.host.stop(host_key(version_id))
        shutil.rmtree(self._artifact_dir(version_id), ignore_errors=True)

    # -- server start-up and shutdown --------------------------------------------------------

    def restore(self) -> None:
        to_start: list[tuple[int, int, int]] = []
        with write_session(self.sessions) as session:
            rows = session.scalars(
                select(CLProjectVersion).where(CLProjectVersion.status.in_([RUNNING, STARTING, STOPPING]))
            )
            for version in rows:
                if version.status == STOPPING:
                    version.status, version.status_message = STOPPED, MESSAGES[STOPPED]
                else:
                    version.status, version.status_message = STARTING, MESSAGES[STARTING]
                    low = version.min_inference_units or 1
                    to_start.append((version.id, low, max(low, version.max_inference_units or low)))
                version.updated_at = utcnow()
        for version_id, low, high in to_start:
            self._in_background(self._bring_up, version_id, low, high)

    def shutdown(self) -> None:
        """Stop the units but keep the statuses: the next start-up hosts the same versions."""
        self.host.shutdown()

    # -- background work ---------------------------------------------------------------------

    def _in_background(self, target: Any, *args: Any) -> None:
        threading.Thread(target=target, args=args, name=f"cl-hosting-{target.__name__}", daemon=True).start()

    def _artifact_dir(self, version_id: int) -> Path:
        return self.settings.data_dir / "hosting" / host_key(version_id)

    def _download(self, version_id: int, prefix: str) -> Path:
        return download_version_artifacts(
            self.settings, self.sessions, self.blobs, version_id, prefix, self._artifact_dir(version_id)
        )

    def _set_status(self, version_id: int, expected: str, status: str, message: str) -> bool:
        with write_session(self.sessions) as session:
            version = session.get(CLProjectVersion, version_id)
            if version is None or version.status != expected:
                return False
            version.status, version.status_message, version.updated_at = status, message, utcnow()
            return True

    def _bring_up(self, version_id: int, min_units: int, max_units: int) -> None:
        try:
            with self.sessions() as session:
                version = session.get(CLProjectVersion, version_id)
                prefix = version.artifact_prefix if version is not None else None
            if not prefix:
                raise HostingError("The project version has no trained model to host.")
            folder = self._download(version_id, prefix)
            thresholds = read_custom_labels_thresholds(folder)
            self.host.start(host_key(version_id), folder, min_units, max_units)
            self._thresholds[version_id] = thresholds
        except Exception as exc:
            log.exception("hosting custom labels version %s failed", version_id)
            self.release(version_id)
            message = str(exc) if isinstance(exc, HostingError) else f"The model could not be hosted: {exc}"
            self._set_status(version_id, STARTING, FAILED, message)
            return
        if not self._set_status(version_id, STARTING, RUNNING, MESSAGES[RUNNING]):
            self.release(version_id)  # deleted or changed meanwhile

    def _take_down(self, version_id: int) -> None:
        self.release(version_id)
        self._set_status(version_id, STOPPING, STOPPED, MESSAGES[STOPPED])
