"""The Lookout for Vision service facade: one method per API operation.

The api layer calls ``LookoutVisionService.<operation_in_snake_case>(**members)``
and serialises the returned dict (docs/architecture.md). This class only wires
the shared dependencies into the per-concern modules.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker

from openlookout.access import Caller, CallerBlobStore
from openlookout.blobs.base import BlobStore
from openlookout.config import Settings
from openlookout.hosting.base import ModelHost
from openlookout.jobs.runner import JobSubmitter
from openlookout.ml.api import ImagePrediction
from openlookout.service.common.kms_keys import KeyResolver
from openlookout.service.common.request_context import IN_PROCESS, RequestContext
from openlookout.service.lookoutvision import datasets, hosting, models, packaging, projects
from openlookout.service.lookoutvision import tags as tag_service

if TYPE_CHECKING:
    from openlookout.composition import ServiceDeps

Response = dict[str, Any]


class LookoutVisionService:
    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        blobs: BlobStore,
        keyring: KeyResolver,
        runner: JobSubmitter,
        host: ModelHost[ImagePrediction],
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.blobs = blobs
        self.keyring = keyring
        self.runner = runner
        self.hosting = hosting.ModelHosting(settings, sessions, blobs, host)

    @classmethod
    def from_deps(cls, deps: ServiceDeps) -> LookoutVisionService:
        """The service on the backends the composition root built."""
        host = deps.hosts.lookoutvision
        return cls(deps.settings, deps.sessions, deps.blobs, deps.keyring, deps.runner, host)

    def as_caller(self, caller: Caller) -> CallerBlobStore:
        """The blob store with ``caller``'s S3 permissions, for the S3 locations a request names."""
        return CallerBlobStore(self.blobs, caller, self.settings.internal_bucket)

    # -- projects ---------------------------------------------------------------------------

    def create_project(self, project_name: str, client_token: str | None = None) -> Response:
        return projects.create_project(self.sessions, self.settings, project_name, client_token)

    def describe_project(self, project_name: str) -> Response:
        return projects.describe_project(self.sessions, project_name)

    def list_projects(self, next_token: str | None = None, max_results: int | None = None) -> Response:
        return projects.list_projects(self.sessions, next_token, max_results)

    def delete_project(self, project_name: str, client_token: str | None = None) -> Response:
        return projects.delete_project(self.sessions, project_name, client_token)

    # -- datasets ---------------------------------------------------------------------------

    def create_dataset(
        self,
        project_name: str,
        dataset_type: str,
        dataset_source: dict[str, Any] | None = None,
        client_token: str | None = None,
        context: RequestContext = IN_PROCESS,
    ) -> Response:
        return datasets.create_dataset(
            self.sessions,
            self.runner,
            self.as_caller(context.caller),
            project_name,
            dataset_type,
            dataset_source,
            client_token,
        )

    def describe_dataset(self, project_name: str, dataset_type: str) -> Response:
        return datasets.describe_dataset(self.sessions, project_name, dataset_type)

    def delete_dataset(
        self, project_name: str, dataset_type: str, client_token: str | None = None
    ) -> Response:
        return datasets.delete_dataset(self.sessions, project_name, dataset_type, client_token)

    def list_dataset_entries(
        self,
        project_name: str,
        dataset_type: str,
        labeled: bool | None = None,
        anomaly_class: str | None = None,
        before_creation_date: datetime | None = None,
        after_creation_date: datetime | None = None,
        next_token: str | None = None,
        max_results: int | None = None,
        source_ref_contains: str | None = None,
    ) -> Response:
        return datasets.list_dataset_entries(
            self.sessions,
            project_name,
            dataset_type,
            labeled=labeled,
            anomaly_class=anomaly_class,
            before_creation_date=before_creation_date,
            after_creation_date=after_creation_date,
            next_token=next_token,
            max_results=max_results,
            source_ref_contains=source_ref_contains,
        )

    def update_dataset_entries(
        self,
        project_name: str,
        dataset_type: str,
        changes: bytes,
        client_token: str | None = None,
        context: RequestContext = IN_PROCESS,
    ) -> Response:
        return datasets.update_dataset_entries(
            self.sessions,
            self.settings,
            self.blobs,
            self.runner,
            context.caller,
            project_name,
            dataset_type,
            changes,
            client_token,
        )

    # -- models -----------------------------------------------------------------------------

    def create_model(
        self,
        project_name: str,
        output_config: dict[str, Any],
        description: str | None = None,
        client_token: str | None = None,
        kms_key_id: str | None = None,
        tags: list[dict[str, str]] | None = None,
        context: RequestContext = IN_PROCESS,
    ) -> Response:
        return models.create_model(
            self.sessions,
            self.settings,
            self.as_caller(context.caller),
            self.keyring,
            self.runner,
            project_name,
            output_config,
            description=description,
            client_token=client_token,
            kms_key_id=kms_key_id,
            tags=tags,
        )

    def describe_model(self, project_name: str, model_version: str) -> Response:
        return models.describe_model(self.sessions, project_name, model_version)

    def list_models(
        self, project_name: str, next_token: str | None = None, max_results: int | None = None
    ) -> Response:
        return models.list_models(self.sessions, project_name, next_token, max_results)

    def delete_model(
        self, project_name: str, model_version: str, client_token: str | None = None
    ) -> Response:
        return models.delete_model(
            self.sessions, self.settings, self.blobs, project_name, model_version, client_token
        )

    # -- tags -------------------------------------------------------------------------------

    def tag_resource(self, resource_arn: str, tags: list[dict[str, str]]) -> Response:
        return tag_service.tag_resource(self.sessions, self.settings, resource_arn, tags)

    def untag_resource(self, resource_arn: str, tag_keys: list[str]) -> Response:
        return tag_service.untag_resource(self.sessions, self.settings, resource_arn, tag_keys)

    def list_tags_for_resource(self, resource_arn: str) -> Response:
        return tag_service.list_tags_for_resource(self.sessions, self.settings, resource_arn)

    # -- hosting and packaging --------------------------------------------------------------

    def start_model(
        self,
        project_name: str,
        model_version: str,
        min_inference_units: int,
        max_inference_units: int | None = None,
        client_token: str | None = None,
    ) -> Response:
        return self.hosting.start_model(
            project_name, model_version, min_inference_units, max_inference_units, client_token
        )

    def stop_model(self, project_name: str, model_version: str, client_token: str | None = None) -> Response:
        return self.hosting.stop_model(project_name, model_version, client_token)

    def detect_anomalies(
        self, project_name: str, model_version: str, body: bytes, content_type: str
    ) -> Response:
        return self.hosting.detect_anomalies(project_name, model_version, body, content_type)

    def start_model_packaging_job(
        self,
        project_name: str,
        model_version: str,
        configuration: dict[str, Any],
        job_name: str | None = None,
        description: str | None = None,
        client_token: str | None = None,
        context: RequestContext = IN_PROCESS,
    ) -> Response:
        return packaging.start_model_packaging_job(
            self.sessions,
            self.settings,
            self.as_caller(context.caller),
            self.runner,
            project_name,
            model_version,
            configuration,
            job_name,
            description,
            client_token,
        )

    def describe_model_packaging_job(self, project_name: str, job_name: str) -> Response:
        return packaging.describe_model_packaging_job(self.sessions, self.settings, project_name, job_name)

    def list_model_packaging_jobs(
        self, project_name: str, next_token: str | None = None, max_results: int | None = None
    ) -> Response:
        return packaging.list_model_packaging_jobs(self.sessions, project_name, next_token, max_results)
