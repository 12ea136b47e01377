"""The web console's sign-in sessions (docs/console.md).

Kept in the metadata database, not in process memory, so that every API replica behind one
address knows a session and a sign-out ends it everywhere. Only the SHA-256 of the session
token is stored: a copy of the database does not let anyone sign in.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from openlookout.store.base import Base, UTCDateTime, utcnow


class ConsoleSession(Base):
    __tablename__ = "console_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    access_key_id: Mapped[str] = mapped_column(String(128), index=True)
    # Sent in every page's forms; a cross-site page cannot read it (docs/console.md, "CSRF").
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
