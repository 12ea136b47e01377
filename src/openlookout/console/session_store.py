"""Console sign-in sessions, kept in the metadata database (table ``console_sessions``).

A session is a random token in the browser's cookie and the token's SHA-256 in the database;
it ends at sign-out (the row is deleted), after ``idle`` without a request, or ``absolute``
after sign-in, whichever comes first (docs/console.md, "Sessions").
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from hashlib import sha256

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session, sessionmaker

from openlookout.store.base import utcnow
from openlookout.store.console_tables import ConsoleSession
from openlookout.store.db import write_session

IDLE_TIMEOUT = timedelta(hours=8)
ABSOLUTE_TIMEOUT = timedelta(hours=24)
# last_seen_at is rewritten at most this often, so that browsing is not one write per request.
TOUCH_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class SignedInSession:
    """What a request learns from a valid session cookie."""

    access_key_id: str
    csrf_token: str
    created_at: datetime


def token_digest(token: str) -> str:
    return sha256(token.encode()).hexdigest()


class ConsoleSessionStore:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        idle: timedelta = IDLE_TIMEOUT,
        absolute: timedelta = ABSOLUTE_TIMEOUT,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self.idle = idle
        self.absolute = absolute
        self._clock = clock

    def open(self, access_key_id: str) -> tuple[str, SignedInSession]:
        """A new session for a key whose secret was checked; returns the cookie's token."""
        token = secrets.token_urlsafe(32)
        now = self._clock()
        row = ConsoleSession(
            token_sha256=token_digest(token),
            access_key_id=access_key_id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
        )
        with write_session(self._sessions) as session:
            self._purge_expired(session, now)
            session.add(row)
        return token, SignedInSession(access_key_id, row.csrf_token, now)

    def find(self, token: str) -> SignedInSession | None:
        """The live session of a cookie token (and it is seen now); None when unknown or expired."""
        if not token:
            return None
        digest, now = token_digest(token), self._clock()
        with self._sessions() as session:
            row = session.scalars(select(ConsoleSession).where(ConsoleSession.token_sha256 == digest)).first()
        if row is None:
            return None
        if self._expired(row, now):
            self.close(token)
            return None
        if now - row.last_seen_at >= TOUCH_INTERVAL:
            with write_session(self._sessions) as session:
                live = session.get(ConsoleSession, row.id)
                if live is not None:
                    live.last_seen_at = now
        return SignedInSession(row.access_key_id, row.csrf_token, row.created_at)

    def close(self, token: str) -> None:
        """Sign-out: the token no longer opens anything, on any replica."""
        with write_session(self._sessions) as session:
            session.execute(delete(ConsoleSession).where(ConsoleSession.token_sha256 == token_digest(token)))

    def _expired(self, row: ConsoleSession, now: datetime) -> bool:
        return now - row.last_seen_at >= self.idle or now - row.created_at >= self.absolute

    def _purge_expired(self, session: Session, now: datetime) -> None:
        session.execute(
            delete(ConsoleSession).where(
                or_(
                    ConsoleSession.last_seen_at <= now - self.idle,
                    ConsoleSession.created_at <= now - self.absolute,
                )
            )
        )
