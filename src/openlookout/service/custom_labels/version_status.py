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

TRAIN_JOB_KIND = "cl_train_version"

# StartProjectVersion accepts a trained or stopped model, and retries one that failed to start.
STARTABLE = frozenset({TRAINING_COMPLETED, STOPPED, FAILED})
# DeleteProjectVersion refuses these: the job or the host still uses the model.
BUSY = frozenset({TRAINING_IN_PROGRESS, STARTING, RUNNING, STOPPING})

MESSAGES = {
    TRAINING_IN_PROGRESS: "The model is being trained.",
    TRAINING_COMPLETED: "The model is ready to run.",
    STARTING: "The model is starting.",
    RUNNING: "The model is running.",
    STOPPING: "The model is stopping.",
    STOPPED: "The model is stopped.",
}
