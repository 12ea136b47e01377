"""Job ``cl_import_dataset``: fill a dataset from a manifest (CreateDataset) or apply changes
(UpdateDatasetEntries), with the validation of spec B.4.

Every line is checked (manifest rules, then the image each valid line points at) before
anything is written; the entries and the final status are committed in one transaction,
so a failure or a crash and re-run never leaves a half-written dataset.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from openlookout.access import S3LocationDenied, caller_blobs
from openlookout.blobs.base import BlobError, BlobStore
from openlookout.jobs.base import JobContext, JobFailed
from openlookout.manifests.custom_labels import (
    MAX_MANIFEST_BYTES,
    ManifestCheck,
    TerminalManifestError,
    ValidatedLine,
    check_content_rules,
    check_manifest_lines,
)
from openlookout.manifests.images import declared_size, sniff_format
from openlookout.manifests.stream import iter_lines
from openlookout.service.custom_labels import entries
from openlookout.service.custom_labels.datasets import IMPORT_JOB_KIND, SUCCESS
from openlookout.service.custom_labels.statuses import DatasetStatus
from openlookout.store.base import utcnow
from openlookout.store.common_tables import Job
from openlookout.store.custom_labels_tables import CLDataset
from openlookout.store.db import write_session

FETCH_WORKERS = 8
# Spec B.4 image limits for training and test images.
MAX_IMAGE_BYTES = 15 * 1024 * 1024
MIN_IMAGE_SIDE = 64
MAX_IMAGE_SIDE = 4096
MAX_ASPECT_RATIO = 20
CLIENT_ERROR = "CLIENT_ERROR"
SERVICE_ERROR = "SERVICE_ERROR"
# The job's percent (jobs/progress.py): reading the lines, checking each image, saving.
READ_END, CHECK_END = 5.0, 95.0


def image_problem(blobs: BlobStore, source_ref: str) -> str | None:
    """Why the image cannot be used, or None when it is a PNG/JPEG within the limits."""
    bucket, key = source_ref[len("s3://") :].split("/", 1)
    try:
        size = blobs.head(bucket, key).size
        if size > MAX_IMAGE_BYTES:
            return f"The image {source_ref} is {size} bytes; the limit is 15 MB."
        data = blobs.get(bucket, key)
    except S3LocationDenied as denied:
        raise TerminalManifestError(
            "ERROR_INVALID_PERMISSIONS_IMAGES_S3_BUCKET", f"The image {source_ref} cannot be read: {denied}"
        ) from None
    except BlobError:
        return f"The image {source_ref} does not exist or cannot be read."
    # From the header alone, however large a size it claims (nothing is decoded here).
    fmt = sniff_format(data)
    if fmt is None:
        return f"The image {source_ref} is not a PNG or JPEG file."
    dimensions = declared_size(data, fmt)
    if dimensions is None:
        return f"The image {source_ref} could not be read; the file is corrupt."
    width, height = dimensions
    if not (MIN_IMAGE_SIDE <= width <= MAX_IMAGE_SIDE and MIN_IMAGE_SIDE <= height <= MAX_IMAGE_SIDE):
        return f"The image {source_ref} is {width}x{height}; each side must be 64 to 4096 pixels."
    if max(width, height) > MAX_ASPECT_RATIO * min(width, height):
        return f"The image {source_ref} is {width}x{height}; the aspect ratio may be at most 20:1."
    return None


def check_images(
    blobs: BlobStore, lines: list[ValidatedLine], on_checked: Callable[[int, int], None] | None = None
) -> None:
    """Attach ERROR_INVALID_IMAGE to every valid line whose image is missing or unusable.

    ``on_checked(done, total)`` follows the checks in line order (progress only).
    """
    candidates = [line for line in lines if line.is_valid and line.source_ref]
    problems: list[str | None] = []
    with ThreadPoolExecutor(max_workers=FETCH_WORKERS) as pool:
        found = pool.map(lambda line: image_problem(blobs, line.source_ref or ""), candidates)
        for done, problem in enumerate(found, start=1):
            problems.append(problem)
            if on_checked is not None:
                on_checked(done, len(candidates))
    for line, problem in zip(candidates, problems, strict=True):
        if problem is not None:
            line.add_line_error("ERROR_INVALID_IMAGE", problem)


@contextmanager
def _readable_manifest(blobs: BlobStore, bucket: str, key: str) -> Iterator[None]:
    """Refuse a manifest over 1 GB from its HEAD; an unreadable one fails the job with its code."""
    uri = f"s3://{bucket}/{key}"
    try:
        if blobs.head(bucket, key).size > MAX_MANIFEST_BYTES:
            raise JobFailed(f"ERROR_MANIFEST_SIZE_TOO_LARGE: The manifest {uri} is larger than 1 GB.")
        yield
    except BlobError as exc:
        raise JobFailed(
            f"ERROR_MANIFEST_INACCESSIBLE_OR_UNSUPPORTED_FORMAT: The manifest {uri} cannot be read ({exc})."
        ) from None


def read_manifest(blobs: BlobStore, bucket: str, key: str) -> bytes:
    with _readable_manifest(blobs, bucket, key):
        return blobs.get(bucket, key)


def read_manifest_check(blobs: BlobStore, bucket: str, key: str) -> ManifestCheck:
    """The validated lines, read chunk by chunk: memory is bounded by the line limit."""
    with _readable_manifest(blobs, bucket, key):
        return check_manifest_lines(iter_lines(blobs.iter_chunks(bucket, key)))


class ImportCustomLabelsDatasetHandler:
    kind = IMPORT_JOB_KIND

    def run(self, ctx: JobContext, job: Job) -> None:
        payload = json.loads(job.payload)
        dataset_id, mode = int(payload["dataset_id"]), payload["mode"]
        with ctx.sessions() as session:
            dataset = session.get(CLDataset, dataset_id)
            if dataset is None:
                raise JobFailed("The dataset no longer exists.")
            if not dataset.status.endswith("_IN_PROGRESS"):
                return  # a re-run after the final commit: nothing left to do
        # A CreateDataset manifest and every image are read with the caller's S3 permissions;
        # UpdateDatasetEntries' changes are the service's own blob in the internal bucket.
        as_caller = caller_blobs(ctx.blobs, ctx.settings.internal_bucket, payload)
        reader = ctx.blobs if mode == "update" else as_caller
        progress = ctx.progress
        try:
            progress.report("reading the manifest", 0)
            check = read_manifest_check(reader, payload["bucket"], payload["key"])
            check_images(
                as_caller,
                check.lines,
                lambda done, total: progress.count("checking images", done, total, READ_END, CHECK_END),
            )
            prior: tuple[int, int, set[str]] = (0, 0, set())
            if mode == "update":
                replaced = {line.source_ref for line in check.lines if line.source_ref}
                with ctx.sessions() as session:
                    prior = entries.remaining_counts(session, dataset_id, replaced)
            check_content_rules(check, *prior)
        except TerminalManifestError as exc:
            raise JobFailed(str(exc)) from None
        progress.report("saving entries", CHECK_END)
        with write_session(ctx.sessions) as session:
            dataset = session.get(CLDataset, dataset_id)
            if dataset is None:
                raise JobFailed("The dataset no longer exists.")
            now = utcnow()
            entries.store_lines(session, dataset.id, check.stored_lines(), now)
            invalid = len(check.invalid_indices)
            done = "created" if mode == "create" else "updated"
            dataset.status = (
                DatasetStatus.CREATE_COMPLETE if mode == "create" else DatasetStatus.UPDATE_COMPLETE
            )
            dataset.status_message = f"The dataset was {done} successfully." + (
                f" {invalid} of {len(check.lines)} lines have errors; see ListDatasetEntries."
                if invalid
                else ""
            )
            dataset.status_message_code, dataset.updated_at = SUCCESS, now
        if mode == "update":
            ctx.blobs.delete(payload["bucket"], payload["key"])

    def fail(self, ctx: JobContext, job: Job, message: str) -> None:
        payload = json.loads(job.payload)
        with write_session(ctx.sessions) as session:
            dataset = session.get(CLDataset, int(payload["dataset_id"]))
            if dataset is None:
                return
            dataset.status = (
                DatasetStatus.CREATE_FAILED if payload["mode"] == "create" else DatasetStatus.UPDATE_FAILED
            )
            dataset.status_message = message
            # Our own failure messages start with the Rekognition error code; anything else
            # (a crashed worker, an unexpected exception) is the service's fault.
            dataset.status_message_code = CLIENT_ERROR if message.startswith("ERROR_") else SERVICE_ERROR
            dataset.updated_at = utcnow()
