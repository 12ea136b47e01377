"""The Custom Labels service facade: the Rekognition operations of spec B.3, listed once each.

The JSON 1.1 handler calls ``CustomLabelsService.<operation_in_snake_case>(**members)`` with
snake_case top-level members (docs/architecture.md) and serialises the returned dict. Each
operation is a rule of the per-concern modules whose first parameter is the per-call view
(``call.py``); ``OperationFacade`` binds the rules of ``operations`` to it, so an input
member is declared in the shape and the rule only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from openlookout.blobs.base import BlobStore
from openlookout.config import Settings
from openlookout.hosting.base import ModelHost
from openlookout.jobs.runner import JobSubmitter
from openlookout.kms.keyring import Keyring
from openlookout.service.common.backends import BackedFacade
from openlookout.service.common.request_context import RequestContext
from openlookout.service.custom_labels import (
    copy_version,
    datasets,
    hosting,
    policies,
    projects,
    tags,
    versions,
)
from openlookout.service.custom_labels.call import CustomLabelsCall
from openlookout.service.custom_labels.hosting import CustomLabelsHosting, CustomLabelsPrediction

if TYPE_CHECKING:
    from openlookout.composition import ServiceDeps


class CustomLabelsService(BackedFacade[CustomLabelsCall]):
    operations = {
        # projects
        "create_project": projects.create_project,
        "describe_projects": projects.describe_projects,
        "delete_project": projects.delete_project,
        # datasets
        "create_dataset": datasets.create_dataset,
        "describe_dataset": datasets.describe_dataset,
        "delete_dataset": datasets.delete_dataset,
        "list_dataset_entries": datasets.list_dataset_entries,
        "list_dataset_labels": datasets.list_dataset_labels,
        "update_dataset_entries": datasets.update_dataset_entries,
        "distribute_dataset_entries": datasets.distribute_dataset_entries,
        # project versions
        "create_project_version": versions.create_project_version,
        "describe_project_versions": versions.describe_project_versions,
        "delete_project_version": versions.delete_project_version,
        "copy_project_version": copy_version.copy_project_version,
        # hosting
        "start_project_version": hosting.start_project_version,
        "stop_project_version": hosting.stop_project_version,
        "detect_custom_labels": hosting.detect_custom_labels,
        # project policies
        "put_project_policy": policies.put_project_policy,
        "list_project_policies": policies.list_project_policies,
        "delete_project_policy": policies.delete_project_policy,
        # tags
        "tag_resource": tags.tag_resource,
        "untag_resource": tags.untag_resource,
        "list_tags_for_resource": tags.list_tags_for_resource,
    }

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        blobs: BlobStore,
        runner: JobSubmitter,
        host: ModelHost[CustomLabelsPrediction],
        keyring: Keyring,
    ) -> None:
        super().__init__(settings, sessions, blobs, runner)
        # The same keyring file as Lookout for Vision's (KmsKeyId, spec B.9).
        self.keyring = keyring
        self.hosting = CustomLabelsHosting(settings, sessions, blobs, host, keyring)

    @classmethod
    def from_deps(cls, deps: ServiceDeps) -> CustomLabelsService:
        """The service on the backends the composition root built."""
        hosts, keyring = deps.hosts, deps.keyring
        return cls(deps.settings, deps.sessions, deps.blobs, deps.runner, hosts.custom_labels, keyring)

    def call(self, context: RequestContext) -> CustomLabelsCall:
        return CustomLabelsCall(**self.backends(context), keyring=self.keyring, hosting=self.hosting)
