"""The Custom Labels service facade: one method per Rekognition operation of spec B.3.

The JSON 1.1 handler calls ``CustomLabelsService.<operation_in_snake_case>(**members)`` with
snake_case top-level members (docs/architecture.md) and serialises the returned dict.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker

from openlookout.access import Caller, CallerBlobStore
from openlookout.blobs.base import BlobStore
from openlookout.config import Settings
from openlookout.hosting.base import ModelHost
from openlookout.jobs.runner import JobSubmitter
from openlookout.kms.keyring import Keyring
from openlookout.service.common.request_context import IN_PROCESS, RequestContext
from openlookout.service.custom_labels import copy_version, datasets, policies, projects, tags, versions
from openlookout.service.custom_labels.hosting import CustomLabelsHosting, CustomLabelsPrediction

if TYPE_CHECKING:
    from openlookout.composition import ServiceDeps

Response = dict[str, Any]


class CustomLabelsService:
    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        blobs: BlobStore,
        runner: JobSubmitter,
        host: ModelHost[CustomLabelsPrediction],
        keyring: Keyring,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.blobs = blobs
        self.runner = runner
        # The same keyring file as Lookout for Vision's (KmsKeyId, spec B.9).
        self.keyring = keyring
        self.hosting = CustomLabelsHosting(settings, sessions, blobs, host, keyring)

    @classmethod
    def from_deps(cls, deps: ServiceDeps) -> CustomLabelsService:
        """The service on the backends the composition root built."""
        hosts, keyring = deps.hosts, deps.keyring
        return cls(deps.settings, deps.sessions, deps.blobs, deps.runner, hosts.custom_labels, keyring)

    def as_caller(self, caller: Caller) -> CallerBlobStore:
        """The blob store with ``caller``'s S3 permissions, for the S3 locations a request names."""
        return CallerBlobStore(self.blobs, caller, self.settings.internal_bucket)

    # -- projects ---------------------------------------------------------------------------

    def create_project(
        self,
        project_name: str,
        feature: str | None = None,
        auto_update: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> Response:
        return projects.create_project(self.sessions, self.settings, project_name, feature, auto_update, tags)

    def describe_projects(
        self,
        next_token: str | None = None,
        max_results: int | None = None,
        project_names: list[str] | None = None,
        features: list[str] | None = None,
    ) -> Response:
        return projects.describe_projects(self.sessions, next_token, max_results, project_names, features)

    def delete_project(self, project_arn: str) -> Response:
        return projects.delete_project(self.sessions, project_arn)

    # -- datasets ---------------------------------------------------------------------------

    def create_dataset(
        self,
        project_arn: str,
        dataset_type: str,
        dataset_source: dict[str, Any] | None = None,
        tags: dict[str, str] | None = None,
        context: RequestContext = IN_PROCESS,
    ) -> Response:
        return datasets.create_dataset(
            self.sessions,
            self.as_caller(context.caller),
            self.runner,
            project_arn,
            dataset_type,
            dataset_source,
            tags,
        )

    def describe_dataset(self, dataset_arn: str) -> Response:
        return datasets.describe_dataset(self.sessions, dataset_arn)

    def delete_dataset(self, dataset_arn: str) -> Response:
        return datasets.delete_dataset(self.sessions, dataset_arn)

    def list_dataset_entries(
        self,
        dataset_arn: str,
        contains_labels: list[str] | None = None,
        labeled: bool | None = None,
        source_ref_contains: str | None = None,
        has_errors: bool | None = None,
        next_token: str | None = None,
        max_results: int | None = None,
    ) -> Response:
        return datasets.list_dataset_entries(
            self.sessions,
            dataset_arn,
            contains_labels,
            labeled,
            source_ref_contains,
            has_errors,
            next_token,
            max_results,
        )

    def list_dataset_labels(
        self, dataset_arn: str, next_token: str | None = None, max_results: int | None = None
    ) -> Response:
        return datasets.list_dataset_labels(self.sessions, dataset_arn, next_token, max_results)

    def update_dataset_entries(
        self, dataset_arn: str, changes: dict[str, Any], context: RequestContext = IN_PROCESS
    ) -> Response:
        return datasets.update_dataset_entries(
            self.sessions, self.settings, self.blobs, self.runner, dataset_arn, changes, context.caller
        )

    def distribute_dataset_entries(self, datasets: list[dict[str, str]]) -> Response:
        return _datasets.distribute_dataset_entries(self.sessions, datasets)

    # -- project versions -------------------------------------------------------------------

    def create_project_version(
        self,
        project_arn: str,
        version_name: str,
        output_config: dict[str, Any],
        training_data: dict[str, Any] | None = None,
        testing_data: dict[str, Any] | None = None,
        tags: dict[str, str] | None = None,
        kms_key_id: str | None = None,
        version_description: str | None = None,
        feature_config: dict[str, Any] | None = None,
        context: RequestContext = IN_PROCESS,
    ) -> Response:
        return versions.create_project_version(
            self.sessions,
            self.as_caller(context.caller),
            self.keyring,
            self.runner,
            project_arn,
            version_name,
            output_config,
            training_data,
            testing_data,
            tags,
            kms_key_id,
            version_description,
            feature_config,
        )

    def describe_project_versions(
        self,
        project_arn: str,
        version_names: list[str] | None = None,
        next_token: str | None = None,
        max_results: int | None = None,
    ) -> Response:
        return versions.describe_project_versions(
            self.sessions, project_arn, version_names, next_token, max_results
        )

    def delete_project_version(self, project_version_arn: str) -> Response:
        return versions.delete_project_version(
            self.sessions, self.blobs, self.settings.internal_bucket, project_version_arn
        )

    def start_project_version(
        self, project_version_arn: str, min_inference_units: int, max_inference_units: int | None = None
    ) -> Response:
        return self.hosting.start_project_version(
            project_version_arn, min_inference_units, max_inference_units
        )

    def stop_project_version(self, project_version_arn: str) -> Response:
        return self.hosting.stop_project_version(project_version_arn)

    def detect_custom_labels(
        self,
        project_version_arn: str,
        image: dict[str, Any],
        max_results: int | None = None,
        min_confidence: float | None = None,
        context: RequestContext = IN_PROCESS,
    ) -> Response:
        return self.hosting.detect_custom_labels(
            project_version_arn, image, max_results, min_confidence, self.as_caller(context.caller)
        )

    def copy_project_version(
        self,
        source_project_arn: str,
        source_project_version_arn: str,
        destination_project_arn: str,
        version_name: str,
        output_config: dict[str, Any],
        tags: dict[str, str] | None = None,
        kms_key_id: str | None = None,
        context: RequestContext = IN_PROCESS,
    ) -> Response:
        # A caller of another account copies across accounts (needs a source project policy).
        return copy_version.copy_project_version(
            self.sessions,
            self.as_caller(context.caller),
            self.runner,
            self.keyring,
            self.settings.account_id,
            source_project_arn,
            source_project_version_arn,
            destination_project_arn,
            version_name,
            output_config,
            tags,
            kms_key_id,
            context.account,
        )

    # -- project policies -------------------------------------------------------------------

    def put_project_policy(
        self,
        project_arn: str,
        policy_name: str,
        policy_document: str,
        policy_revision_id: str | None = None,
    ) -> Response:
        return policies.put_project_policy(
            self.sessions, project_arn, policy_name, policy_document, policy_revision_id
        )

    def list_project_policies(
        self, project_arn: str, next_token: str | None = None, max_results: int | None = None
    ) -> Response:
        return policies.list_project_policies(self.sessions, project_arn, next_token, max_results)

    def delete_project_policy(
        self, project_arn: str, policy_name: str, policy_revision_id: str | None = None
    ) -> Response:
        return policies.delete_project_policy(self.sessions, project_arn, policy_name, policy_revision_id)

    # -- tags -------------------------------------------------------------------------------

    def tag_resource(self, resource_arn: str, tags: dict[str, str]) -> Response:
        return _tags.tag_resource(self.sessions, resource_arn, tags)

    def untag_resource(self, resource_arn: str, tag_keys: list[str]) -> Response:
        return _tags.untag_resource(self.sessions, resource_arn, tag_keys)

    def list_tags_for_resource(self, resource_arn: str) -> Response:
        return _tags.list_tags_for_resource(self.sessions, resource_arn)


# Parameters named like the modules (``datasets``, ``tags``) shadow them inside methods.
_datasets = datasets
_tags = tags
