"""One Lookout for Vision project and its models as the console shows them, read through the API.

The project page: DescribeProject (which datasets exist), DescribeDataset of each (status and
entry counts), ListModels (version, status, creation time and Performance of every model).
The model page: DescribeModel. Nothing here reads the database directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from openlookout.console.calls import LOOKOUT_FOR_VISION, ConsoleError, ServiceCalls
from openlookout.service.lookoutvision.datasets import IN_PROGRESS_STATES
from openlookout.service.lookoutvision.hosting import STARTABLE
from openlookout.service.lookoutvision.statuses import ModelStatus

LV = LOOKOUT_FOR_VISION
# Pages of ListModels read for one project (each up to the API's page size).
MAX_MODEL_PAGES = 10
# Statuses that change by themselves: the page polls while one is shown. The datasets' are
# the service's own in-progress set; a model's, those its jobs and hosting move on from.
DATASET_BUSY = IN_PROGRESS_STATES
MODEL_BUSY = frozenset(
    {
        ModelStatus.TRAINING,
        ModelStatus.STARTING_HOSTING,
        ModelStatus.STOPPING_HOSTING,
        ModelStatus.SYSTEM_UPDATING,
        ModelStatus.DELETING,
    }
)
# Which hosting button is enabled: the statuses StartModel and StopModel accept.
STOPPABLE = frozenset({ModelStatus.HOSTED})


@dataclass(frozen=True)
class Performance:
    f1: float | None
    precision: float | None
    recall: float | None

    @classmethod
    def of(cls, model: dict[str, Any]) -> Performance | None:
        values = model.get("Performance")
        if not values:
            return None
        return cls(values.get("F1Score"), values.get("Precision"), values.get("Recall"))


@dataclass(frozen=True)
class DatasetRow:
    dataset_type: str
    status: str
    message: str
    total: int
    labeled: int
    normal: int
    anomaly: int

    @property
    def busy(self) -> bool:
        return self.status in DATASET_BUSY


@dataclass(frozen=True)
class ModelRow:
    version: str
    status: str
    message: str
    created: datetime | None
    performance: Performance | None

    @property
    def busy(self) -> bool:
        return self.status in MODEL_BUSY


@dataclass
class ProjectView:
    """What the project page shows; ``error`` when the project itself could not be read."""

    name: str
    datasets: list[DatasetRow] = field(default_factory=list)
    dataset_errors: list[ConsoleError] = field(default_factory=list)
    models: list[ModelRow] = field(default_factory=list)
    models_error: ConsoleError | None = None
    models_truncated: bool = False
    error: ConsoleError | None = None
    may_train: bool = False
    may_delete_model: bool = False
    # Where the last model wrote its evaluation: the train form's default location.
    last_output: tuple[str, str] | None = None

    @property
    def busy(self) -> bool:
        """Whether anything shown is still changing (the page polls until nothing is)."""
        return any(d.busy for d in self.datasets) or any(m.busy for m in self.models)


@dataclass
class ModelView:
    project: str
    version: str
    model: dict[str, Any] = field(default_factory=dict)
    error: ConsoleError | None = None
    may_start: bool = False
    may_stop: bool = False
    may_delete: bool = False

    @property
    def status(self) -> str:
        return str(self.model.get("Status", "—"))

    @property
    def busy(self) -> bool:
        return self.status in MODEL_BUSY

    @property
    def performance(self) -> Performance | None:
        return Performance.of(self.model)

    @property
    def output(self) -> str | None:
        location = (self.model.get("OutputConfig") or {}).get("S3Location") or {}
        if not location.get("Bucket"):
            return None
        return f"s3://{location['Bucket']}/{location.get('Prefix') or ''}"

    @property
    def startable(self) -> bool:
        return self.status in STARTABLE

    @property
    def stoppable(self) -> bool:
        return self.status in STOPPABLE


def _dataset_row(description: dict[str, Any]) -> DatasetRow:
    stats = description.get("ImageStats") or {}
    return DatasetRow(
        description.get("DatasetType", "?"),
        description.get("Status", "—"),
        description.get("StatusMessage") or "",
        stats.get("Total", 0),
        stats.get("Labeled", 0),
        stats.get("Normal", 0),
        stats.get("Anomaly", 0),
    )


def _model_row(metadata: dict[str, Any]) -> ModelRow:
    return ModelRow(
        str(metadata.get("ModelVersion", "?")),
        metadata.get("Status", "—"),
        metadata.get("StatusMessage") or "",
        metadata.get("CreationTimestamp"),
        Performance.of(metadata),
    )


async def _models(calls: ServiceCalls, name: str) -> tuple[list[dict[str, Any]], bool]:
    models: list[dict[str, Any]] = []
    params: dict[str, Any] = {"ProjectName": name}
    for _ in range(MAX_MODEL_PAGES):
        page = await calls.call(LV, "ListModels", **params)
        models.extend(page.get("Models", []))
        if not page.get("NextToken"):
            return models, False
        params["NextToken"] = page["NextToken"]
    return models, True


async def _last_output(calls: ServiceCalls, name: str, version: str) -> tuple[str, str] | None:
    if not calls.may(LV, "DescribeModel"):
        return None
    try:
        described = await calls.call(LV, "DescribeModel", ProjectName=name, ModelVersion=version)
    except ConsoleError:  # deleted meanwhile: no default then
        return None
    location = (described["ModelDescription"].get("OutputConfig") or {}).get("S3Location") or {}
    return (location["Bucket"], location.get("Prefix") or "") if location.get("Bucket") else None


async def project_view(calls: ServiceCalls, name: str) -> ProjectView:
    view = ProjectView(
        name, may_train=calls.may(LV, "CreateModel"), may_delete_model=calls.may(LV, "DeleteModel")
    )
    try:
        described = await calls.call(LV, "DescribeProject", ProjectName=name)
    except ConsoleError as error:
        view.error = error
        return view
    for dataset in described["ProjectDescription"].get("Datasets", []):
        try:
            found = await calls.call(
                LV, "DescribeDataset", ProjectName=name, DatasetType=dataset["DatasetType"]
            )
            view.datasets.append(_dataset_row(found["DatasetDescription"]))
        except ConsoleError as error:  # refused, or deleted meanwhile: said in its place
            view.dataset_errors.append(error)
    try:
        models, view.models_truncated = await _models(calls, name)
        view.models = [_model_row(m) for m in models]
    except ConsoleError as error:
        view.models_error = error
    if view.models:  # newest first
        view.last_output = await _last_output(calls, name, view.models[0].version)
    return view


async def model_view(calls: ServiceCalls, project: str, version: str) -> ModelView:
    view = ModelView(
        project,
        version,
        may_start=calls.may(LV, "StartModel"),
        may_stop=calls.may(LV, "StopModel"),
        may_delete=calls.may(LV, "DeleteModel"),
    )
    try:
        described = await calls.call(LV, "DescribeModel", ProjectName=project, ModelVersion=version)
        view.model = described["ModelDescription"]
    except ConsoleError as error:
        view.error = error
    return view
