"""Projects live in the region whose signed request created them (docs/protocol.md, "Regions").

Adds ``region`` to ``projects`` and ``cl_projects`` (existing rows: the region of their ARN)
and makes names unique per region instead of per server.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 14:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = ("projects", "cl_projects")


def upgrade() -> None:
    bind = op.get_bind()
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("region", sa.String(length=32), nullable=True))
        rows: Sequence[Any] = bind.execute(sa.text(f"SELECT id, arn FROM {table}")).all()  # untyped text()
        for row_id, arn in rows:
            # arn:aws:<service>:<region>:<account>:project/...
            bind.execute(
                sa.text(f"UPDATE {table} SET region = :region WHERE id = :id"),
                {"region": arn.split(":")[3], "id": row_id},
            )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("region", existing_type=sa.String(length=32), nullable=False)
            batch_op.drop_index(f"ix_{table}_name")
            batch_op.create_index(f"ix_{table}_name", ["name"], unique=False)
            batch_op.create_unique_constraint(f"uq_{table}_region_name", ["region", "name"])


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"uq_{table}_region_name", type_="unique")
            batch_op.drop_index(f"ix_{table}_name")
            batch_op.create_index(f"ix_{table}_name", ["name"], unique=True)
            batch_op.drop_column("region")
