"""Building blocks the Alembic revisions in ``migrations/versions`` share.

Constraint and index names follow ``base.NAMING_CONVENTION`` (``op.f`` keeps them as given).
Old revisions call these, so a change here changes what they do: add a new helper instead.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def cascade_foreign_key(table: str, column: str, parent: str) -> sa.ForeignKeyConstraint:
    """``table.column`` references ``parent.id``; deleting the parent row deletes this one."""
    return sa.ForeignKeyConstraint(
        [column], [f"{parent}.id"], name=op.f(f"fk_{table}_{column}_{parent}"), ondelete="CASCADE"
    )


def create_indexes(table: str, *columns: str, unique: bool = False) -> None:
    """One single-column index ``ix_<table>_<column>`` per column."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in columns:
            batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=unique)


def drop_table_and_indexes(table: str, *columns: str) -> None:
    """Undo ``create_table`` and ``create_indexes``: the indexes on ``columns``, then the table."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in columns:
            batch_op.drop_index(batch_op.f(f"ix_{table}_{column}"))
    op.drop_table(table)
