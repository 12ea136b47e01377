"""Alembic revision 0003 creates exactly the Custom Labels tables and removes them on downgrade."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import inspect

from openlookout.config import Settings
from openlookout.store.base import Base
from openlookout.store.custom_labels_tables import CLDataset  # noqa: F401  (registers the tables)
from openlookout.store.db import alembic_config, open_database

CL_TABLES = {
    "cl_projects",
    "cl_datasets",
    "cl_dataset_entries",
    "cl_entry_labels",
    "cl_project_policies",
    "cl_project_versions",
}


def test_upgrade_and_downgrade(tmp_path: Path) -> None:
    engine = open_database(Settings(data_dir=tmp_path)).kw["bind"]
    assert set(Base.metadata.tables) >= CL_TABLES
    with engine.begin() as conn:
        assert set(inspect(conn).get_table_names()) >= CL_TABLES
        command.downgrade(alembic_config(conn), "0002")
    with engine.begin() as conn:
        assert not CL_TABLES & set(inspect(conn).get_table_names())
        command.upgrade(alembic_config(conn), "0003")
    with engine.begin() as conn:
        assert set(inspect(conn).get_table_names()) >= CL_TABLES
