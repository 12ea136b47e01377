"""Column sets several tables share, as mixins: each table gets its own copy of the columns.

A mixin's columns come after the table's own ones in the model; the migrations, not this
order, decide the columns' order in the database.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from openlookout.store.base import UTCDateTime, utcnow


class CreatedAt:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UpdatedAt:
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InferenceUnits:
    """A trained model's hosting bounds, recorded by StartModel / StartProjectVersion."""

    min_inference_units: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_inference_units: Mapped[int | None] = mapped_column(Integer, nullable=True)


class ManifestLine:
    """A dataset entry: the JSON line as ListDatasetEntries returns it, keyed by its image."""

    source_ref: Mapped[str] = mapped_column(String(2048))
    line: Mapped[str] = mapped_column(Text)


class StatusMessage:
    """The text the Describe operations return beside a resource's status ("" when none)."""

    status_message: Mapped[str] = mapped_column(Text, default="")
