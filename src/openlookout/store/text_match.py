"""Substring filters that mean the same on every database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func
from sqlalchemy.orm import Session


def contains_text(session: Session, column: Any, needle: str) -> ColumnElement[bool]:
    """Case-sensitive substring test (LIKE is case-insensitive on SQLite)."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        return func.instr(column, needle) > 0
    if dialect == "postgresql":
        return func.strpos(column, needle) > 0
    return column.contains(needle, autoescape=True)
