"""Project version statuses (spec B.4) and the messages openlookout gives with them."""

from __future__ import annotations

TRAINING_IN_PROGRESS = "TRAINING_IN_PROGRESS"
TRAINING_COMPLETED = "TRAINING_COMPLETED"
TRAINING_FAILED = "TRAINING_FAILED"
STARTING = "STARTING"
RUNNING = "RUNNING"
FAILED = "FAILED"
STOPPING = "STOPPING"
STOPPED = "STOPPED"
DELETING = "DELETING"
COPYING_IN_PROGRESS = "COPYING_IN_PROGRESS"
COPYING_COMPLETED = "COPYING_COMPLETED"
COPYING_FAILED = "COPYING_FAILED"

TRAIN_JOB_KIND = "cl_train_version"
COPY_JOB_KIND = "cl_copy_version"

# StartProjectVersion accepts a trained, copied or stopped model, and retries one that failed to start.
STARTABLE = frozenset({TRAINING_COMPLETED, COPYING_COMPLETED, STOPPED, FAILED})
# DeleteProjectVersion refuses these: a job or the host still uses the model.
BUSY = frozenset({TRAINING_IN_PROGRESS, COPYING_IN_PROGRESS, STARTING, RUNNING, STOPPING})
# A job is still producing the model: nothing can be copied from it yet.
IN_PROGRESS = frozenset({TRAINING_IN_PROGRESS, COPYING_IN_PROGRESS})

MESSAGES = {
    TRAINING_IN_PROGRESS: "The model is being trained.",
    TRAINING_COMPLETED: "The model is ready to run.",
    COPYING_IN_PROGRESS: "The model is being copied.",
    COPYING_COMPLETED: "The model copy is complete and ready to run.",
    STARTING: "The model is starting.",
    RUNNING: "The model is running.",
    STOPPING: "The model is stopping.",
    STOPPED: "The model is stopped.",
}
