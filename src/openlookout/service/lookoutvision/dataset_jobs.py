"""Job handlers that fill a dataset: CreateDataset import and UpdateDatasetEntries.

Both read JSON lines, check every line, image and mask, and only then write
all entries and the final status in one transaction, so a failure (or a crash
and a re-run) never leaves a half-imported dataset.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from openlookout.access import caller_blobs
from openlookout.blobs.base import BlobError, BlobStore, NoSuchBucket, NoSuchKey
from openlookout.errors import InvalidInputError
from openlookout.jobs.base import JobContext, JobFailed
from openlookout.manifests import (
    ImageError,
    ManifestError,
    ManifestLine,
    check_image,
    check_image_size,
    decode_mask,
    normalised_json,
    split_s3_uri,
)
from openlookout.manifests.limits import MAX_MANIFEST_BYTES, max_images
from openlookout.manifests.lines import parse_manifest_lines
from openlookout.manifests.stream import iter_lines
from openlookout.manifests.validate import (
    check_image_count,
    check_project_label_count,
    check_same_dimensions,
    check_single_bucket,
    check_unique_sources,
)
from openlookout.service.lookoutvision.statuses import DatasetStatus
from openlookout.store.base import utcnow
from openlookout.store.common_tables import Job
from openlookout.store.db import write_session
from openlookout.store.lookoutvision_tables import Dataset, DatasetEntry

# Fetching is I/O bound (local disk or S3); a few threads hide the latency
# without flooding a small machine with decodes.
FETCH_WORKERS = 8

# The job's percent (jobs/progress.py): reading the lines, checking each image, saving.
READ_END, CHECK_END = 5.0, 95.0
CHECKING_STAGE = "checking images"

CREATE_COMPLETE_MESSAGE = "The dataset was created successfully."
UPDATE_COMPLETE_MESSAGE = "The dataset was updated successfully."


@dataclass(frozen=True)
class CheckedLine:
    line: ManifestLine
    width: int
    height: int
    classes_present: list[str]

    def entry_values(self, now: datetime) -> dict[str, Any]:
        """Column values of the ``DatasetEntry`` this line becomes."""
        return {
            "source_ref": self.line.source_ref,
            "line": normalised_json(self.line),
            "label": self.line.label,
            "mask_ref": self.line.mask_ref,
            "anomaly_classes": json.dumps(self.classes_present),
            "width": self.width,
            "height": self.height,
            "created_at": now,
        }


class ImportDatasetHandler:
    """Payload ``{dataset_id, bucket, key, version_id?}`` (the GroundTruthManifest S3Object)."""

    kind = "import_dataset"

    def run(self, ctx: JobContext, job: Job) -> None:
        payload = json.loads(job.payload)
        dataset_id = int(payload["dataset_id"])
        bucket, key = payload["bucket"], payload["key"]
        # The manifest and every image and mask it names are read with the caller's S3 permissions.
        as_caller = caller_blobs(ctx.blobs, ctx.settings.internal_bucket, payload)
        progress = ctx.progress
        with _user_errors_as_job_failures():
            dataset_type, project_id = _dataset_identity(ctx, dataset_id)
            progress.report("reading the manifest", 0)
            lines = read_manifest(as_caller, bucket, key, dataset_type)
            check_unique_sources(lines)
            check_single_bucket(lines)
            check_image_count(len(lines), dataset_type, _is_segmentation(lines))
            checked = fetch_and_check(as_caller, lines, _count_checked(ctx))
            check_same_dimensions(_sizes(checked))
            with ctx.sessions() as session:
                other_classes = _project_classes(session, project_id, exclude_dataset_id=dataset_id)
            check_project_label_count(other_classes | _classes(checked))
        progress.report("saving entries", CHECK_END)
        now = utcnow()
        with write_session(ctx.sessions) as session:
            dataset = _writable_dataset(session, dataset_id)
            # A re-run after a crash starts from scratch: drop whatever a previous run left.
            session.execute(delete(DatasetEntry).where(DatasetEntry.dataset_id == dataset_id))
            session.add_all(DatasetEntry(dataset_id=dataset_id, **c.entry_values(now)) for c in checked)
            _set_status(dataset, DatasetStatus.CREATE_COMPLETE, CREATE_COMPLETE_MESSAGE, now)

    def fail(self, ctx: JobContext, job: Job, message: str) -> None:
        dataset_id = int(json.loads(job.payload)["dataset_id"])
        with write_session(ctx.sessions) as session:
            dataset = session.get(Dataset, dataset_id)
            if dataset is None:
                return
            session.execute(delete(DatasetEntry).where(DatasetEntry.dataset_id == dataset_id))
            _set_status(dataset, DatasetStatus.CREATE_FAILED, message, utcnow())


class UpdateDatasetHandler:
    """Payload ``{dataset_id, changes_key, changes_bucket?}``; the Changes blob is in the internal bucket.

    ``changes_blob_key`` (the name in docs/architecture.md) is accepted for ``changes_key``.
    """

    kind = "update_dataset"

    def run(self, ctx: JobContext, job: Job) -> None:
        payload = json.loads(job.payload)
        dataset_id = int(payload["dataset_id"])
        bucket = payload.get("changes_bucket") or ctx.settings.internal_bucket
        key = payload.get("changes_key") or payload["changes_blob_key"]
        with _user_errors_as_job_failures():
            dataset_type, project_id = _dataset_identity(ctx, dataset_id)
            ctx.progress.report("reading the changes", 0)
            lines = _read_changes(ctx.blobs, bucket, key, dataset_type)
            check_unique_sources(lines)
            with ctx.sessions() as session:
                existing = _entries_by_source(session, dataset_id)
                other_classes = _project_classes(session, project_id, exclude_dataset_id=dataset_id)
            check_single_bucket(lines, _existing_bucket(existing.values()))
            new_refs = {line.source_ref for line in lines}
            kept = [entry for ref, entry in existing.items() if ref not in new_refs]
            segmentation = _is_segmentation(lines) or any(e.mask_ref for e in kept)
            check_image_count(len(kept) + len(lines), dataset_type, segmentation)
            as_caller = caller_blobs(ctx.blobs, ctx.settings.internal_bucket, payload)
            checked = fetch_and_check(as_caller, lines, _count_checked(ctx))
            kept_sizes = [(e.source_ref, e.width, e.height) for e in kept]
            check_same_dimensions([*kept_sizes, *_sizes(checked)])
            kept_classes = {name for e in kept for name in json.loads(e.anomaly_classes)}
            check_project_label_count(other_classes | kept_classes | _classes(checked))
        ctx.progress.report("saving entries", CHECK_END)
        now = utcnow()
        with write_session(ctx.sessions) as session:
            dataset = _writable_dataset(session, dataset_id)
            current = _entries_by_source(session, dataset_id)
            for item in checked:
                values = item.entry_values(now)
                entry = current.get(item.line.source_ref)
                if entry is None:
                    session.add(DatasetEntry(dataset_id=dataset_id, **values))
                else:
                    # Replace the whole line: annotations absent from the new line go away.
                    for column, value in values.items():
                        setattr(entry, column, value)
            _set_status(dataset, DatasetStatus.UPDATE_COMPLETE, UPDATE_COMPLETE_MESSAGE, now)

    def fail(self, ctx: JobContext, job: Job, message: str) -> None:
        dataset_id = int(json.loads(job.payload)["dataset_id"])
        with write_session(ctx.sessions) as session:
            dataset = session.get(Dataset, dataset_id)
            if dataset is not None:
                _set_status(dataset, DatasetStatus.UPDATE_FAILED_ROLLBACK_COMPLETE, message, utcnow())


def _parse_stream(blobs: BlobStore, bucket: str, key: str, dataset_type: str) -> list[ManifestLine]:
    """The lines, read chunk by chunk; reading stops at the first line past the image limit.

    The larger (classification) limit bounds the stream; ``check_image_count`` then applies
    the exact limit once the kind of dataset is known.
    """
    limit = max_images(dataset_type, segmentation=False)
    too_many = f"a {dataset_type} dataset may have at most {limit} images."
    return parse_manifest_lines(iter_lines(blobs.iter_chunks(bucket, key)), limit, too_many)


def read_manifest(blobs: BlobStore, bucket: str, key: str, dataset_type: str) -> list[ManifestLine]:
    uri = f"s3://{bucket}/{key}"
    try:
        info = blobs.head(bucket, key)
        if info.size > MAX_MANIFEST_BYTES:
            raise JobFailed(f"The manifest file {uri} is {info.size} bytes; the limit is 1 GB.")
        return _parse_stream(blobs, bucket, key, dataset_type)
    except NoSuchBucket:
        raise JobFailed(
            f"The manifest file {uri} cannot be read: the bucket '{bucket}' does not exist."
        ) from None
    except NoSuchKey:
        raise JobFailed(f"The manifest file {uri} does not exist.") from None
    except BlobError as exc:
        raise JobFailed(f"The manifest file {uri} cannot be read: {exc}") from None


def _count_checked(ctx: JobContext) -> Callable[[int, int], None]:
    def count(done: int, total: int) -> None:
        ctx.progress.count(CHECKING_STAGE, done, total, READ_END, CHECK_END)

    return count


def fetch_and_check(
    blobs: BlobStore,
    lines: Sequence[ManifestLine],
    on_checked: Callable[[int, int], None] | None = None,
) -> list[CheckedLine]:
    """Fetch and check every image and mask; raises the error of the first bad line found.

    ``on_checked(done, total)`` follows the checks in line order (progress only).
    """
    stop = threading.Event()

    def check(line: ManifestLine) -> CheckedLine | None:
        if stop.is_set():
            return None  # another line already failed; the job fails anyway
        try:
            return _check_line(blobs, line)
        except Exception:
            stop.set()
            raise

    with ThreadPoolExecutor(max_workers=FETCH_WORKERS) as pool:
        futures = [pool.submit(check, line) for line in lines]
        for done, future in enumerate(futures, start=1):
            future.exception()  # waits; failures are collected below
            if on_checked is not None:
                on_checked(done, len(futures))
    results: list[CheckedLine] = []
    failure: BaseException | None = None
    for future in futures:  # in line order, so the lowest failed line number is reported
        error = future.exception()
        if error is not None:
            failure = failure or error
        elif (result := future.result()) is not None:
            results.append(result)
    if failure is not None:
        raise failure
    return results


def read_image_object(blobs: BlobStore, uri: str, what: str = "image") -> bytes:
    """Bytes of an image or mask, refusing oversized objects from their HEAD before downloading."""
    bucket, key = split_s3_uri(uri)
    try:
        check_image_size(blobs.head(bucket, key).size, uri)
        return blobs.get(bucket, key)
    except NoSuchBucket:
        raise ImageError(
            uri, f"The {what} {uri} cannot be read: the bucket '{bucket}' does not exist."
        ) from None
    except NoSuchKey:
        raise ImageError(uri, f"The {what} {uri} does not exist.") from None
    except BlobError as exc:
        raise ImageError(uri, f"The {what} {uri} cannot be read: {exc}") from None


def _check_line(blobs: BlobStore, line: ManifestLine) -> CheckedLine:
    try:
        info = check_image(read_image_object(blobs, line.source_ref), line.source_ref)
        classes: list[str] = []
        if line.mask_ref is not None:
            mask_data = read_image_object(blobs, line.mask_ref, "mask")
            mask = decode_mask(mask_data, line.mask_ref, (info.width, info.height), line.color_map)
            classes = mask.classes_present
    except ImageError as exc:
        raise ManifestError(line.line_no, exc.message) from None
    return CheckedLine(line=line, width=info.width, height=info.height, classes_present=classes)


def _read_changes(blobs: BlobStore, bucket: str, key: str, dataset_type: str) -> list[ManifestLine]:
    try:
        return _parse_stream(blobs, bucket, key, dataset_type)
    except BlobError:
        # The service stored this blob itself; losing it is an internal fault, not the user's.
        raise JobFailed("The changes for this update could not be found; send the update again.") from None


@contextmanager
def _user_errors_as_job_failures() -> Iterator[None]:
    try:
        yield
    except InvalidInputError as exc:
        raise JobFailed(exc.message) from None


def _dataset_identity(ctx: JobContext, dataset_id: int) -> tuple[str, int]:
    with ctx.sessions() as session:
        dataset = session.get(Dataset, dataset_id)
        if dataset is None:
            raise JobFailed("The dataset no longer exists.")
        return dataset.dataset_type, dataset.project_id


def _writable_dataset(session: Session, dataset_id: int) -> Dataset:
    dataset = session.get(Dataset, dataset_id)
    if dataset is None:
        raise JobFailed("The dataset no longer exists.")
    if dataset.status.startswith("DELETE"):
        raise JobFailed("The dataset is being deleted.")
    return dataset


def _set_status(dataset: Dataset, status: str, message: str, now: datetime) -> None:
    dataset.status = status
    dataset.status_message = message
    dataset.updated_at = now


def _entries_by_source(session: Session, dataset_id: int) -> dict[str, DatasetEntry]:
    rows = session.scalars(
        select(DatasetEntry).where(DatasetEntry.dataset_id == dataset_id).order_by(DatasetEntry.id)
    ).all()
    return {row.source_ref: row for row in rows}


def _existing_bucket(entries: Iterable[DatasetEntry]) -> str | None:
    for entry in entries:
        return split_s3_uri(entry.source_ref)[0]
    return None


def _project_classes(session: Session, project_id: int, exclude_dataset_id: int) -> set[str]:
    """Anomaly labels painted in the masks of the project's other datasets."""
    rows = session.scalars(
        select(DatasetEntry.anomaly_classes)
        .join(Dataset, Dataset.id == DatasetEntry.dataset_id)
        .where(Dataset.project_id == project_id, Dataset.id != exclude_dataset_id)
        .where(DatasetEntry.anomaly_classes != "[]")
    ).all()
    return {name for row in rows for name in json.loads(row)}


def _is_segmentation(lines: Sequence[ManifestLine]) -> bool:
    return any(line.anomaly_class_names for line in lines)


def _sizes(checked: Sequence[CheckedLine]) -> list[tuple[str, int, int]]:
    return [(f"{c.line.source_ref} (line {c.line.line_no})", c.width, c.height) for c in checked]


def _classes(checked: Sequence[CheckedLine]) -> set[str]:
    return {name for c in checked for name in c.classes_present}
