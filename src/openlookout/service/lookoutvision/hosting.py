"""Model hosting (StartModel, StopModel, DetectAnomalies; spec A.4, A.7, A.8).

Hosting lives in the server process: StartModel marks the model STARTING_HOSTING, downloads
its artefacts and starts its inference units on a background thread, then HOSTED (or
HOSTING_FAILED with the reason). StopModel: HOSTED → STOPPING_HOSTING → TRAINED. The
database keeps the desired state, so a restarted server starts HOSTED and STARTING_HOSTING
models again and settles STOPPING_HOSTING ones as TRAINED (docs/hosting.md). The lifecycle
itself is shared with Custom Labels: ``hosting_lifecycle.py``. One ``ModelHosting`` per service
keeps what the hosted models need in this process; the operations reach it through the
call's view (``LookoutVisionCall.hosting``).

Edge packaging lives in service/lookoutvision/packaging.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from openlookout.blobs.base import BlobStore
from openlookout.config import Settings
from openlookout.errors import ConflictError, InvalidInputError
from openlookout.hosting.base import ModelHost, ModelInfo
from openlookout.ml.api import ImagePrediction
from openlookout.service.common.hosting_lifecycle import HostingLifecycle, HostingStatuses, inference_units
from openlookout.service.lookoutvision.call import LookoutVisionCall
from openlookout.service.lookoutvision.idempotency import TokenScope, run_once, scope_for
from openlookout.service.lookoutvision.models import get_model, model_state_conflict
from openlookout.service.lookoutvision.projects import get_project
from openlookout.service.lookoutvision.request_images import check_content_type, read_request_image
from openlookout.service.lookoutvision.results import AnomalyLabel, detect_anomaly_result, read_labels
from openlookout.service.lookoutvision.statuses import ModelStatus
from openlookout.store.lookoutvision_tables import Model

STARTABLE = frozenset({ModelStatus.TRAINED, ModelStatus.HOSTING_FAILED})
STATUSES = HostingStatuses(
    starting=ModelStatus.STARTING_HOSTING,
    running=ModelStatus.HOSTED,
    failed=ModelStatus.HOSTING_FAILED,
    stopping=ModelStatus.STOPPING_HOSTING,
    stopped=ModelStatus.TRAINED,
    messages={
        ModelStatus.STARTING_HOSTING: "The model is starting.",
        ModelStatus.HOSTED: "The model is running.",
        ModelStatus.STOPPING_HOSTING: "The model is stopping.",
        # As after training: stopping undoes starting.
        ModelStatus.TRAINED: "Training completed successfully.",
    },
)


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


class ModelHosting(HostingLifecycle[ImagePrediction]):
    """Lookout for Vision models on a ``ModelHost`` (lifecycle: ``hosting_lifecycle.py``)."""

    row_type = Model
    statuses = STATUSES
    key_prefix = ""
    no_artifacts_message = "The model has no trained artefacts to host."

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        blobs: BlobStore,
        host: ModelHost[ImagePrediction],
    ) -> None:
        super().__init__(settings, sessions, blobs, host)
        self._labels: dict[int, list[AnomalyLabel]] = {}
        self._image_sizes: dict[int, tuple[int, int]] = {}

    # -- what a hosted model keeps -------------------------------------------------------------

    def image_size(self, row_id: int) -> tuple[int, int] | None:
        """The input size of a hosted model; None while it is not (yet) loaded in this process."""
        return self._image_sizes.get(row_id)

    def labels(self, row_id: int) -> list[AnomalyLabel]:
        return self._labels.get(row_id, [])

    def _loaded(self, row_id: int, folder: Path, info: ModelInfo) -> None:
        self._labels[row_id] = read_labels(folder)
        self._image_sizes[row_id] = info.image_size

    def _forget(self, row_id: int) -> None:
        self._image_sizes.pop(row_id, None)
        self._labels.pop(row_id, None)


# -- operations ------------------------------------------------------------------------------------


def start_model(
    call: LookoutVisionCall,
    project_name: str,
    model_version: str,
    min_inference_units: int,
    max_inference_units: int | None = None,
    client_token: str | None = None,
) -> dict[str, Any]:
    inference_units(min_inference_units, max_inference_units)  # refuse bad units before anything
    params = {
        "ProjectName": project_name,
        "ModelVersion": model_version,
        "MinInferenceUnits": min_inference_units,
        "MaxInferenceUnits": max_inference_units,
    }
    scope = scope_for("StartModel", client_token, params, "MODEL", model_version)

    def begin_start(model: Model) -> Callable[[], None]:
        if model.status not in STARTABLE:
            needs = " or ".join(sorted(STARTABLE))
            raise model_state_conflict(model, project_name, f"StartModel needs it in {needs}")
        return call.hosting.begin_start(model, min_inference_units, max_inference_units)

    return _transition(call, scope, project_name, model_version, begin_start, ModelStatus.STARTING_HOSTING)


def stop_model(
    call: LookoutVisionCall, project_name: str, model_version: str, client_token: str | None = None
) -> dict[str, Any]:
    params = {"ProjectName": project_name, "ModelVersion": model_version}
    scope = scope_for("StopModel", client_token, params, "MODEL", model_version)

    def begin_stop(model: Model) -> Callable[[], None]:
        if model.status != ModelStatus.HOSTED:
            raise _not_hosted(model, project_name)
        return call.hosting.begin_stop(model)

    return _transition(call, scope, project_name, model_version, begin_stop, ModelStatus.STOPPING_HOSTING)


def _transition(
    call: LookoutVisionCall,
    scope: TokenScope | None,
    project_name: str,
    model_version: str,
    begin: Callable[[Model], Callable[[], None]],
    status: str,
) -> dict[str, Any]:
    """StartModel and StopModel: ``begin`` checks the model and marks it in the idempotent
    transaction; the launch it returns runs after the commit, and not when a retry is replayed."""
    launch: list[Callable[[], None]] = []

    def mark(session: Session) -> dict[str, Any]:
        launch.append(begin(get_model(session, get_project(session, project_name), model_version)))
        return {"Status": status}

    outcome = run_once(call.sessions, scope, mark)
    if not outcome.replayed:
        launch[0]()
    return outcome.response


def detect_anomalies(
    call: LookoutVisionCall, project_name: str, model_version: str, body: bytes, content_type: str
) -> dict[str, Any]:
    hosting = call.hosting
    model = _resolve_model(call.sessions, project_name, model_version)
    check_content_type(content_type)  # needs no model: answer it before "not hosted"
    image_size = hosting.image_size(model.id)
    if model.status != ModelStatus.HOSTED or image_size is None:
        raise _not_hosted(model, project_name)
    # Checked from the header here; the inference unit decodes the pixels.
    image = read_request_image(body, content_type, image_size)
    prediction = hosting.predict(
        model.id,
        image,
        lambda: _not_hosted(model, project_name),
        lambda message: InvalidInputError(message, field="Body"),
    )
    return {"DetectAnomalyResult": detect_anomaly_result(prediction, hosting.labels(model.id))}
