"""Project version status sets (spec B.4), the messages openlookout gives with them, job kinds."""

from __future__ import annotations

from openlookout.service.custom_labels.statuses import ProjectVersionStatus

TRAIN_JOB_KIND = "cl_train_version"
COPY_JOB_KIND = "cl_copy_version"

# StartProjectVersion accepts a trained, copied or stopped model, and retries one that failed to start.
STARTABLE = frozenset(
    {
        ProjectVersionStatus.TRAINING_COMPLETED,
        ProjectVersionStatus.COPYING_COMPLETED,
        ProjectVersionStatus.STOPPED,
        ProjectVersionStatus.FAILED,
    }
)
# DeleteProjectVersion refuses these: a job or the host still uses the model.
BUSY = frozenset(
    {
        ProjectVersionStatus.TRAINING_IN_PROGRESS,
        ProjectVersionStatus.COPYING_IN_PROGRESS,
        ProjectVersionStatus.STARTING,
        ProjectVersionStatus.RUNNING,
        ProjectVersionStatus.STOPPING,
    }
)
# A job is still producing the model: nothing can be copied from it yet.
IN_PROGRESS = frozenset({ProjectVersionStatus.TRAINING_IN_PROGRESS, ProjectVersionStatus.COPYING_IN_PROGRESS})

# Keyed by str: HostingStatuses (shared with Lookout for Vision) takes the plain mapping.
MESSAGES: dict[str, str] = {
    ProjectVersionStatus.TRAINING_IN_PROGRESS: "The model is being trained.",
    ProjectVersionStatus.TRAINING_COMPLETED: "The model is ready to run.",
    ProjectVersionStatus.COPYING_IN_PROGRESS: "The model is being copied.",
    ProjectVersionStatus.COPYING_COMPLETED: "The model copy is complete and ready to run.",
    ProjectVersionStatus.STARTING: "The model is starting.",
    ProjectVersionStatus.RUNNING: "The model is running.",
    ProjectVersionStatus.STOPPING: "The model is stopping.",
    ProjectVersionStatus.STOPPED: "The model is stopped.",
}
