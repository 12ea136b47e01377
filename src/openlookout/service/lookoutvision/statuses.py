"""The Lookout for Vision status values: each enum holds what the API's shape of that name lists.

StrEnum members are the wire strings themselves (equal, hashed, formatted and JSON-encoded
as their value), so the database and the responses carry exactly the strings of before.
"""

from __future__ import annotations

from enum import StrEnum


class DatasetStatus(StrEnum):
    CREATE_IN_PROGRESS = "CREATE_IN_PROGRESS"
    CREATE_COMPLETE = "CREATE_COMPLETE"
    CREATE_FAILED = "CREATE_FAILED"
    UPDATE_IN_PROGRESS = "UPDATE_IN_PROGRESS"
    UPDATE_COMPLETE = "UPDATE_COMPLETE"
    UPDATE_FAILED_ROLLBACK_IN_PROGRESS = "UPDATE_FAILED_ROLLBACK_IN_PROGRESS"
    UPDATE_FAILED_ROLLBACK_COMPLETE = "UPDATE_FAILED_ROLLBACK_COMPLETE"
    DELETE_IN_PROGRESS = "DELETE_IN_PROGRESS"
    DELETE_COMPLETE = "DELETE_COMPLETE"
    DELETE_FAILED = "DELETE_FAILED"


class ModelStatus(StrEnum):
    TRAINING = "TRAINING"
    TRAINED = "TRAINED"
    TRAINING_FAILED = "TRAINING_FAILED"
    STARTING_HOSTING = "STARTING_HOSTING"
    HOSTED = "HOSTED"
    HOSTING_FAILED = "HOSTING_FAILED"
    STOPPING_HOSTING = "STOPPING_HOSTING"
    SYSTEM_UPDATING = "SYSTEM_UPDATING"
    DELETING = "DELETING"


class PackagingJobStatus(StrEnum):
    CREATED = "CREATED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
