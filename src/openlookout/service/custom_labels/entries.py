"""Dataset entries and labels: storing validated lines, statistics, listing (spec B.3 Datasets)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import Session

from openlookout.manifests.custom_labels import ValidatedLine
from openlookout.service.common import pagination
from openlookout.store.custom_labels_tables import CLDatasetEntry, CLEntryLabel
from openlookout.store.text_match import contains_text

# Rows per IN (...) list: well under every backend's bound-parameter limit.
_CHUNK = 500


def store_lines(session: Session, dataset_id: int, lines: Iterable[ValidatedLine], now: datetime) -> None:
    """Add each line, or replace the entry with the same source-ref (UpdateDatasetEntries rule)."""
    existing = {
        row.source_ref: row
        for row in session.scalars(select(CLDatasetEntry).where(CLDatasetEntry.dataset_id == dataset_id))
    }
    written: list[tuple[CLDatasetEntry, ValidatedLine]] = []
    replaced_ids: list[int] = []
    for line in lines:
        ref = line.source_ref
        if ref is None:
            continue
        entry = existing.get(ref)
        if entry is None:
            entry = CLDatasetEntry(dataset_id=dataset_id, source_ref=ref, created_at=now)
            session.add(entry)
            existing[ref] = entry
        elif entry.id is not None:
            replaced_ids.append(entry.id)
        entry.line = line.to_json()
        entry.valid = line.is_valid
        entry.labeled = line.labeled
        entry.has_errors = line.has_errors
        written.append((entry, line))
    for start in range(0, len(replaced_ids), _CHUNK):
        chunk = replaced_ids[start : start + _CHUNK]
        session.execute(delete(CLEntryLabel).where(CLEntryLabel.entry_id.in_(chunk)))
    session.flush()  # one batch: new entries get their ids
    session.add_all(
        CLEntryLabel(entry_id=entry.id, dataset_id=dataset_id, label=label, box_count=boxes)
        for entry, line in written
        if line.is_valid
        for label, boxes in line.labels.items()
    )


def copy_entries(session: Session, source_dataset_id: int, target_dataset_id: int, now: datetime) -> None:
    rows = session.scalars(
        select(CLDatasetEntry)
        .where(CLDatasetEntry.dataset_id == source_dataset_id)
        .order_by(CLDatasetEntry.id)
    ).all()
    labels_by_entry: dict[int, list[CLEntryLabel]] = {}
    for label in session.scalars(select(CLEntryLabel).where(CLEntryLabel.dataset_id == source_dataset_id)):
        labels_by_entry.setdefault(label.entry_id, []).append(label)
    copies = [
        CLDatasetEntry(
            dataset_id=target_dataset_id,
            source_ref=row.source_ref,
            line=row.line,
            valid=row.valid,
            labeled=row.labeled,
            has_errors=row.has_errors,
            created_at=now,
        )
        for row in rows
    ]
    session.add_all(copies)
    session.flush()  # one batch: the copies get their ids
    session.add_all(
        CLEntryLabel(
            entry_id=copy.id, dataset_id=target_dataset_id, label=label.label, box_count=label.box_count
        )
        for row, copy in zip(rows, copies, strict=True)
        for label in labels_by_entry.get(row.id, [])
    )


def move_entries(session: Session, entry_ids: list[int], target_dataset_id: int) -> None:
    for chunk_start in range(0, len(entry_ids), _CHUNK):
        chunk = entry_ids[chunk_start : chunk_start + _CHUNK]
        session.query(CLDatasetEntry).filter(CLDatasetEntry.id.in_(chunk)).update(
            {CLDatasetEntry.dataset_id: target_dataset_id}, synchronize_session=False
        )
        session.query(CLEntryLabel).filter(CLEntryLabel.entry_id.in_(chunk)).update(
            {CLEntryLabel.dataset_id: target_dataset_id}, synchronize_session=False
        )


def remaining_counts(session: Session, dataset_id: int, replaced: set[str]) -> tuple[int, int, set[str]]:
    """(entries, invalid entries, image buckets) of the dataset outside the ``replaced`` source-refs."""
    total = invalid = 0
    buckets: set[str] = set()
    rows = session.execute(
        select(CLDatasetEntry.source_ref, CLDatasetEntry.valid).where(CLDatasetEntry.dataset_id == dataset_id)
    )
    for source_ref, valid in rows:
        if source_ref in replaced:
            continue
        total += 1
        invalid += 0 if valid else 1
        if valid:
            buckets.add(source_ref[len("s3://") :].split("/", 1)[0])
    return total, invalid, buckets


def entry_count(session: Session, dataset_id: int) -> int:
    return session.scalar(select(func.count()).where(CLDatasetEntry.dataset_id == dataset_id)) or 0


def dataset_stats(session: Session, dataset_id: int) -> dict[str, int]:
    counts: Any = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((CLDatasetEntry.labeled, 1), else_=0)), 0),
            func.coalesce(func.sum(case((CLDatasetEntry.has_errors, 1), else_=0)), 0),
        ).where(CLDatasetEntry.dataset_id == dataset_id)
    ).one()
    total, labeled, errors = counts
    labels = session.scalar(
        select(func.count(func.distinct(CLEntryLabel.label))).where(CLEntryLabel.dataset_id == dataset_id)
    )
    return {
        "LabeledEntries": int(labeled),
        "TotalEntries": int(total),
        "TotalLabels": int(labels or 0),
        "ErrorEntries": int(errors),
    }


def entry_labels(session: Session, dataset_id: int) -> dict[int, list[str]]:
    """Entry id → its usable labels (sorted), for the split in DistributeDatasetEntries."""
    result: dict[int, list[str]] = {}
    rows = session.execute(
        select(CLDatasetEntry.id, CLDatasetEntry.source_ref).where(CLDatasetEntry.dataset_id == dataset_id)
    ).all()
    for entry_id, _ in rows:
        result[entry_id] = []
    for entry_id, label in session.execute(
        select(CLEntryLabel.entry_id, CLEntryLabel.label).where(CLEntryLabel.dataset_id == dataset_id)
    ):
        result[entry_id].append(label)
    return {key: sorted(value) for key, value in result.items()}


def source_refs(session: Session, dataset_id: int) -> dict[int, str]:
    return dict(
        session.execute(
            select(CLDatasetEntry.id, CLDatasetEntry.source_ref).where(
                CLDatasetEntry.dataset_id == dataset_id
            )
        ).all()
    )


def list_entries(
    session: Session,
    dataset_id: int,
    *,
    contains_labels: list[str] | None,
    labeled: bool | None,
    source_ref_contains: str | None,
    has_errors: bool | None,
    next_token: str | None,
    max_results: int | None,
) -> dict[str, Any]:
    query = {
        "op": "ListDatasetEntries",
        "dataset": dataset_id,
        "labels": sorted(contains_labels) if contains_labels else None,
        "labeled": labeled,
        "contains": source_ref_contains,
        "errors": has_errors,
    }
    page = pagination.keyset(next_token, query, int, pagination.page_size(max_results))
    stmt = select(CLDatasetEntry.id, CLDatasetEntry.line).where(CLDatasetEntry.dataset_id == dataset_id)
    if contains_labels:
        having_label = select(CLEntryLabel.entry_id).where(
            CLEntryLabel.dataset_id == dataset_id, CLEntryLabel.label.in_(contains_labels)
        )
        stmt = stmt.where(CLDatasetEntry.id.in_(having_label))
    if labeled is not None:
        stmt = stmt.where(CLDatasetEntry.labeled.is_(labeled))
    if has_errors is not None:
        stmt = stmt.where(CLDatasetEntry.has_errors.is_(has_errors))
    if source_ref_contains is not None:
        stmt = stmt.where(contains_text(session, CLDatasetEntry.source_ref, source_ref_contains))
    rows = session.execute(page.select(stmt, CLDatasetEntry.id)).all()
    return {"DatasetEntries": [line for _, line in page.rows(rows)], **page.next_token(rows, lambda r: r[0])}


def list_labels(
    session: Session, dataset_id: int, next_token: str | None, max_results: int | None
) -> dict[str, Any]:
    """Labels by name; EntryCount = entries using the label, BoundingBoxCount = entries with boxes of it."""
    query = {"op": "ListDatasetLabels", "dataset": dataset_id}
    page = pagination.keyset(next_token, query, str, pagination.page_size(max_results))
    stmt = (
        select(
            CLEntryLabel.label,
            func.count(func.distinct(CLEntryLabel.entry_id)),
            func.coalesce(func.sum(case((CLEntryLabel.box_count > 0, 1), else_=0)), 0),
        )
        .where(CLEntryLabel.dataset_id == dataset_id)
        .group_by(CLEntryLabel.label)
    )
    rows: Sequence[Any] = session.execute(page.select(stmt, CLEntryLabel.label)).all()
    return {
        "DatasetLabelDescriptions": [
            {"LabelName": label, "LabelStats": {"EntryCount": int(entries), "BoundingBoxCount": int(boxes)}}
            for label, entries, boxes in page.rows(rows)
        ],
        **page.next_token(rows, lambda r: r[0]),
    }
