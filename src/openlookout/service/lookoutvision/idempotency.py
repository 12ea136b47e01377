"""ClientToken idempotency for the ten L4V operations that accept a token (spec A.10).

``(operation, token)`` maps to a SHA-256 of the canonical JSON of the call's
parameters and to the first response. The record is written in the same
transaction that creates or changes the resource, so either both exist or
neither does. Two identical calls racing each other are settled by the unique
constraint on ``(operation, token)``: the loser's transaction rolls back and it
answers with the winner's stored response.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from openlookout.errors import ConflictError
from openlookout.regions import request_region
from openlookout.store.base import utcnow
from openlookout.store.db import write_session
from openlookout.store.lookoutvision_tables import ClientToken

TOKEN_LIFETIME = timedelta(hours=8)
_DATETIME_TAG = "$datetime"


def params_hash(params: dict[str, Any]) -> str:
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), default=_canonical_value)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _canonical_value(value: object) -> object:
    if isinstance(value, bytes):
        return {"$bytes-sha256": hashlib.sha256(value).hexdigest()}
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot hash a {type(value).__name__} parameter")


def dump_response(response: dict[str, Any]) -> str:
    def encode(value: object) -> object:
        if isinstance(value, datetime):
            return {_DATETIME_TAG: value.isoformat()}
        if isinstance(value, bytes):
            return {"$bytes": base64.b64encode(value).decode()}
        raise TypeError(f"cannot store a {type(value).__name__} in a response")

    return json.dumps(response, default=encode)


def load_response(text: str) -> dict[str, Any]:
    def decode(obj: dict[str, Any]) -> object:
        if set(obj) == {_DATETIME_TAG}:
            return datetime.fromisoformat(obj[_DATETIME_TAG])
        if set(obj) == {"$bytes"}:
            return base64.b64decode(obj["$bytes"])
        return obj

    loaded: dict[str, Any] = json.loads(text, object_hook=decode)
    return loaded


@dataclass(frozen=True)
class TokenScope:
    """What a token protects: the operation, the token, and the parameters it was first used with."""

    operation: str
    token: str
    params: dict[str, Any]
    # For the ConflictError raised when the token is reused with other parameters.
    resource_type: str
    resource_id: str


def scope_for(
    operation: str, token: str | None, params: dict[str, Any], resource_type: str, resource_id: str
) -> TokenScope | None:
    """The scope to protect, or None when the caller sent no token."""
    if token is None:
        return None
    region = request_region()
    if region is not None:
        # A token belongs to one region: reused in another it can only conflict, never replay.
        params = {**params, "(region)": region}
    return TokenScope(operation, token, params, resource_type, resource_id)


def find_replay(session: Session, scope: TokenScope) -> dict[str, Any] | None:
    """The stored response when this is a retry; None for a new (or expired) token.

    Raises ConflictError when the token was used with different parameters.
    """
    row = session.scalars(
        select(ClientToken).where(ClientToken.operation == scope.operation, ClientToken.token == scope.token)
    ).one_or_none()
    if row is None:
        return None
    if row.created_at < utcnow() - TOKEN_LIFETIME:
        session.delete(row)
        session.flush()
        return None
    if row.params_hash != params_hash(scope.params):
        raise ConflictError(
            f"The client token {scope.token!r} was already used for a {scope.operation} call with "
            "different parameters. Use a new client token for a different request.",
            resource_type=scope.resource_type,
            resource_id=scope.resource_id,
        )
    return load_response(row.response)


def record(session: Session, scope: TokenScope, response: dict[str, Any]) -> None:
    """Store the first response; flushes so a concurrent duplicate fails here, not later."""
    session.add(
        ClientToken(
            operation=scope.operation,
            token=scope.token,
            params_hash=params_hash(scope.params),
            response=dump_response(response),
            created_at=utcnow(),
        )
    )
    session.flush()
    # Opportunistic clean-up keeps the table at roughly 8 hours of calls.
    session.execute(delete(ClientToken).where(ClientToken.created_at < utcnow() - TOKEN_LIFETIME))


@dataclass(frozen=True)
class Outcome:
    response: dict[str, Any]
    replayed: bool  # True: a retry answered from the stored response; nothing was done


def run_once(
    sessions: sessionmaker[Session],
    scope: TokenScope | None,
    operation: Callable[[Session], dict[str, Any]],
) -> Outcome:
    """Run ``operation`` in one write transaction, at most once per (operation, token)."""
    try:
        with write_session(sessions) as session:
            if scope is not None and (stored := find_replay(session, scope)) is not None:
                return Outcome(stored, replayed=True)
            response = operation(session)
            if scope is not None:
                record(session, scope, response)
        return Outcome(response, replayed=False)
    except IntegrityError:
        if scope is None:
            raise
        # Lost a race against an identical call: answer like the winner did.
        with sessions() as session:
            stored = find_replay(session, scope)
        if stored is None:
            raise
        return Outcome(stored, replayed=True)
