"""Model hosting (StartModel, StopModel, DetectAnomalies; spec A.4, A.7, A.8).

Hosting lives in the server process: StartModel marks the model STARTING_HOSTING, downloads
its artefacts and starts its inference units on a background thread, then HOSTED (or
HOSTING_FAILED with the reason). StopModel: HOSTED → STOPPING_HOSTING → TRAINED. The
database keeps the desired state, so a restarted server starts HOSTED and STARTING_HOSTING
models again and settles STOPPING_HOSTING ones as TRAINED (docs/hosting.md).

Edge packaging lives in service/packaging.py.
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
from openlookout.blobs.transfer import download_prefix
from openlookout.config import Settings
from openlookout.errors import ConflictError, InvalidInputError
from openlookout.hosting.base import HostingError, ModelHost
from openlookout.hosting.images import check_content_type, decode_request_image
from openlookout.hosting.results import AnomalyLabel, detect_anomaly_result, read_labels
from openlookout.service.idempotency import run_once, scope_for
from openlookout.service.models import get_model
from openlookout.service.projects import get_project
from openlookout.store.db import write_session
from openlookout.store.tables import Model, utcnow

log = logging.getLogger(__name__)

TRAINED = "TRAINED"
STARTING = "STARTING_HOSTING"
HOSTED = "HOSTED"
HOSTING_FAILED = "HOSTING_FAILED"
STOPPING = "STOPPING_HOSTING"
STARTABLE = frozenset({TRAINED, HOSTING_FAILED})
MESSAGES = {
    STARTING: "The model is starting.",
    HOSTED: "The model is running.",
    STOPPING: "The model is stopping.",
    TRAINED: "Training completed successfully.",  # as after training: stopping undoes starting
}
PREDICT_TIMEOUT_S = 120.0


def _resolve_model(sessions: sessionmaker[Session], project_name: str, model_version: str) -> Model:
    with sessions() as session:
        return get_model(session, get_project(session, project_name), model_version)


def _not_hosted(model: Model, project_name: str) -> ConflictError:
    return ConflictError(
        f"Model version {model.version} of project {project_name} is not hosted (status {model.status}). "
        "Start the model first.",
        resource_type="MODEL",
        resource_id=str(model.version),
    )


def _check_units(min_units: int, max_units: int | None) -> int:
    if min_units < 1:
        raise InvalidInputError("MinInferenceUnits must be at least 1.", field="MinInferenceUnits")
    if max_units is None:
        return min_units  # no MaxInferenceUnits: no autoscaling (spec A.8)
    if max_units < min_units:
        raise InvalidInputError(
            f"MaxInferenceUnits ({max_units}) must not be less than MinInferenceUnits ({min_units}).",
            field="MaxInferenceUnits",
        )
    return max_units


class ModelHosting:
    """Lifecycle of hosted models, backed by a ``ModelHost``."""

    def __init__(
        self, settings: Settings, sessions: sessionmaker[Session], blobs: BlobStore, host: ModelHost
    ) -> None:
        self.settings, self.sessions, self.blobs, self.host = settings, sessions, blobs, host
        self._labels: dict[str, list[AnomalyLabel]] = {}
        self._image_sizes: dict[str, tuple[int, int]] = {}

    # -- operations ------------------------------------------------------------------------

    def start_model(
        self,
        project_name: str,
        model_version: str,
        min_inference_units: int,
        max_inference_units: int | None = None,
        client_token: str | None = None,
    ) -> dict[str, Any]:
        max_units = _check_units(min_inference_units, max_inference_units)
        params = {
            "ProjectName": project_name,
            "ModelVersion": model_version,
            "MinInferenceUnits": min_inference_units,
            "MaxInferenceUnits": max_inference_units,
        }
        scope = scope_for("StartModel", client_token, params, "MODEL", model_version)
        started: list[int] = []

        def mark_starting(session: Session) -> dict[str, Any]:
            model = get_model(session, get_project(session, project_name), model_version)
            if model.status not in STARTABLE:
                raise ConflictError(
                    f"Model version {model.version} of project {project_name} is {model.status}; "
                    f"StartModel needs it in {' or '.join(sorted(STARTABLE))}.",
                    resource_type="MODEL",
                    resource_id=str(model.version),
                )
            model.status, model.status_message, model.updated_at = STARTING, MESSAGES[STARTING], utcnow()
            model.min_inference_units, model.max_inference_units = min_inference_units, max_inference_units
            started.append(model.id)
            return {"Status": STARTING}

        outcome = run_once(self.sessions, scope, mark_starting)
        if not outcome.replayed:
            self._in_background(self._bring_up, started[0], min_inference_units, max_units)
        return outcome.response

    def stop_model(
        self, project_name: str, model_version: str, client_token: str | None = None
    ) -> dict[str, Any]:
        params = {"ProjectName": project_name, "ModelVersion": model_version}
        scope = scope_for("StopModel", client_token, params, "MODEL", model_version)
        stopping: list[int] = []

        def mark_stopping(session: Session) -> dict[str, Any]:
            model = get_model(session, get_project(session, project_name), model_version)
            if model.status != HOSTED:
                raise _not_hosted(model, project_name)
            model.status, model.status_message, model.updated_at = STOPPING, MESSAGES[STOPPING], utcnow()
            stopping.append(model.id)
            return {"Status": STOPPING}

        outcome = run_once(self.sessions, scope, mark_stopping)
        if not outcome.replayed:
            self._in_background(self._take_down, stopping[0])
        return outcome.response

    def detect_anomalies(
        self, project_name: str, model_version: str, body: bytes, content_type: str
    ) -> dict[str, Any]:
        model = _resolve_model(self.sessions, project_name, model_version)
        check_content_type(content_type)  # needs no model: answer it before "not hosted"
        key = str(model.id)
        if model.status != HOSTED or key not in self._image_sizes:
            raise _not_hosted(model, project_name)
        image = decode_request_image(body, content_type, self._image_sizes[key])
        try:
            prediction = self.host.predict(key, image, timeout_s=PREDICT_TIMEOUT_S)
        except HostingError as exc:
            if self.host.status(key) is None:
                raise _not_hosted(model, project_name) from None
            raise RuntimeError(str(exc)) from exc
        return {"DetectAnomalyResult": detect_anomaly_result(prediction, self._labels.get(key, []))}

    # -- server start-up and shutdown --------------------------------------------------------

    def restore(self) -> None:
        """After a restart: host again what was hosted or starting; finish interrupted stops."""
        to_start: list[tuple[int, int, int]] = []
        with write_session(self.sessions) as session:
            for model in session.scalars(select(Model).where(Model.status.in_([HOSTED, STARTING, STOPPING]))):
                if model.status == STOPPING:
                    model.status, model.status_message = TRAINED, MESSAGES[TRAINED]
                else:
                    model.status, model.status_message = STARTING, MESSAGES[STARTING]
                    low = model.min_inference_units or 1
                    to_start.append((model.id, low, max(low, model.max_inference_units or low)))
                model.updated_at = utcnow()
        for model_id, low, high in to_start:
            self._in_background(self._bring_up, model_id, low, high)

    def shutdown(self) -> None:
        """Stop the units but keep the statuses: the next start-up hosts the same models."""
        self.host.shutdown()

    # -- background work ---------------------------------------------------------------------

    def _in_background(self, target: Any, *args: Any) -> None:
        threading.Thread(target=target, args=args, name=f"hosting-{target.__name__}", daemon=True).start()

    def _artifact_dir(self, key: str) -> Path:
        return self.settings.data_dir / "hosting" / key

    def _download(self, key: str, prefix: str) -> Path:
        return download_prefix(self.blobs, self.settings.internal_bucket, prefix, self._artifact_dir(key))

    def _set_status(self, model_id: int, expected: str, status: str, message: str) -> bool:
        with write_session(self.sessions) as session:
            model = session.get(Model, model_id)
            if model is None or model.status != expected:
                return False
            model.status, model.status_message, model.updated_at = status, message, utcnow()
            return True

    def _bring_up(self, model_id: int, min_units: int, max_units: int) -> None:
        key = str(model_id)
        try:
            with self.sessions() as session:
                model = session.get(Model, model_id)
                prefix = model.artifact_prefix if model is not None else None
            if not prefix:
                raise HostingError("The model has no trained artefacts to host.")
            folder = self._download(key, prefix)
            self._labels[key] = read_labels(folder)
            info = self.host.start(key, folder, min_units, max_units)
            self._image_sizes[key] = info.image_size
        except Exception as exc:
            log.exception("hosting model %s failed", model_id)
            self._release(key)
            message = str(exc) if isinstance(exc, HostingError) else f"The model could not be hosted: {exc}"
            self._set_status(model_id, STARTING, HOSTING_FAILED, message)
            return
        if not self._set_status(model_id, STARTING, HOSTED, MESSAGES[HOSTED]):
            self._release(key)  # the model was deleted or changed meanwhile

    def _take_down(self, model_id: int) -> None:
        self._release(str(model_id))
        self._set_status(model_id, STOPPING, TRAINED, MESSAGES[TRAINED])

    def _release(self, key: str) -> None:
        self._image_sizes.pop(key, None)
        self._labels.pop(key, None)
        self.host.stop(key)
        shutil.rmtree(self._artifact_dir(key), ignore_errors=True)
