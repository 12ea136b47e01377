"""The Lookout for Vision service facade: one table entry per API operation.

The api layer calls ``LookoutVisionService.<operation_in_snake_case>(**members, context=...)``
and serialises the returned dict (docs/architecture.md). Each operation is a rule of the
per-concern modules taking the per-call view (``call.LookoutVisionCall``) and then the
operation's members; ``OperationFacade`` binds the rules (service/common/operations.py), so
the members are written only in the shape and the rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from openlookout.blobs.base import BlobStore
from openlookout.config import Settings
from openlookout.hosting.base import ModelHost
from openlookout.jobs.runner import JobSubmitter
from openlookout.ml.api import ImagePrediction
from openlookout.service.common.backends import BackedFacade
from openlookout.service.common.kms_keys import KeyResolver
from openlookout.service.common.request_context import RequestContext
from openlookout.service.lookoutvision import datasets, hosting, models, packaging, projects, tags
from openlookout.service.lookoutvision.call import LookoutVisionCall

if TYPE_CHECKING:
    from openlookout.composition import ServiceDeps


class LookoutVisionService(BackedFacade[LookoutVisionCall]):
    operations = {
        "create_project": projects.create_project,
        "describe_project": projects.describe_project,
        "list_projects": projects.list_projects,
        "delete_project": projects.delete_project,
        "create_dataset": datasets.create_dataset,
        "describe_dataset": datasets.describe_dataset,
        "delete_dataset": datasets.delete_dataset,
        "list_dataset_entries": datasets.list_dataset_entries,
        "update_dataset_entries": datasets.update_dataset_entries,
        "create_model": models.create_model,
        "describe_model": models.describe_model,
        "list_models": models.list_models,
        "delete_model": models.delete_model,
        "tag_resource": tags.tag_resource,
        "untag_resource": tags.untag_resource,
        "list_tags_for_resource": tags.list_tags_for_resource,
        "start_model": hosting.start_model,
        "stop_model": hosting.stop_model,
        "detect_anomalies": hosting.detect_anomalies,
        "start_model_packaging_job": packaging.start_model_packaging_job,
        "describe_model_packaging_job": packaging.describe_model_packaging_job,
        "list_model_packaging_jobs": packaging.list_model_packaging_jobs,
    }

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        blobs: BlobStore,
        keyring: KeyResolver,
        runner: JobSubmitter,
        host: ModelHost[ImagePrediction],
    ) -> None:
        super().__init__(settings, sessions, blobs, runner)
        self.keyring = keyring
        # Stateful (the models hosted in this process): one per service, shared by every call.
        self.hosting = hosting.ModelHosting(settings, sessions, blobs, host)

    @classmethod
    def from_deps(cls, deps: ServiceDeps) -> LookoutVisionService:
        """The service on the backends the composition root built."""
        host = deps.hosts.lookoutvision
        return cls(deps.settings, deps.sessions, deps.blobs, deps.keyring, deps.runner, host)

    def call(self, context: RequestContext) -> LookoutVisionCall:
        return LookoutVisionCall(**self.backends(context), keyring=self.keyring, hosting=self.hosting)
