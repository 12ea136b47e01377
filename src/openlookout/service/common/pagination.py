"""Opaque NextToken values and MaxResults checks shared by the List operations.

A token is base64 of a small JSON document: the sort key of the last item
returned (keyset pagination, stable under inserts) and a fingerprint of the
filters, so a token cannot be replayed against a different query. Standard
base64 fits the API's ``^[a-zA-Z0-9\\/\\+\\=]{0,2048}$`` token pattern.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, TypeVarTuple

from sqlalchemy import Select
from sqlalchemy.orm import QueryableAttribute

from openlookout.errors import InvalidInputError

Ts = TypeVarTuple("Ts")
R = TypeVar("R")

DEFAULT_MAX_RESULTS = 100
MAX_MAX_RESULTS = 100
MAX_TOKEN_LENGTH = 2048
_TOKEN_PATTERN = re.compile(r"^[a-zA-Z0-9/+=]{0,2048}$")


def page_size(max_results: int | None) -> int:
    if max_results is None:
        return DEFAULT_MAX_RESULTS
    if not 1 <= max_results <= MAX_MAX_RESULTS:
        raise InvalidInputError(
            f"MaxResults must be between 1 and {MAX_MAX_RESULTS}; got {max_results}.", field="MaxResults"
        )
    return max_results


def query_fingerprint(query: dict[str, Any]) -> str:
    canonical = json.dumps(query, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def encode_token(last_key: Any, query: dict[str, Any]) -> str:
    document = json.dumps({"k": last_key, "q": query_fingerprint(query)}, separators=(",", ":"))
    token = base64.b64encode(document.encode()).decode("ascii")
    if len(token) > MAX_TOKEN_LENGTH:  # cannot happen with our keys (names ≤ 255 chars)
        raise ValueError("pagination token too long")
    return token


def decode_token(token: str | None, query: dict[str, Any]) -> Any:
    """The last key of the previous page, or None for the first page."""
    if token is None or token == "":
        return None
    invalid = InvalidInputError("The NextToken is not valid for this request.", field="NextToken")
    if not _TOKEN_PATTERN.match(token):
        raise invalid
    try:
        document = json.loads(base64.b64decode(token, validate=True))
    except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError):
        raise invalid from None
    if not isinstance(document, dict) or "k" not in document or document.get("q") != query_fingerprint(query):
        raise invalid
    return document["k"]


@dataclass(frozen=True)
class Keyset:
    """One page of a List operation ordered by a unique sort key (keyset pagination).

    Built from the request before any lookup, so a bad token is refused first; ``select``
    adds the key's bound, order and limit (one row more than the page, to tell whether
    another page follows); ``rows`` and ``next_token`` cut the result.
    """

    query: dict[str, Any]
    limit: int
    last_key: Any  # None on the first page
    descending: bool = False

    def select(self, stmt: Select[*Ts], key: QueryableAttribute[Any]) -> Select[*Ts]:
        if self.last_key is not None:
            stmt = stmt.where(key < self.last_key if self.descending else key > self.last_key)
        return stmt.order_by(key.desc() if self.descending else key).limit(self.limit + 1)

    def rows(self, rows: Sequence[R]) -> Sequence[R]:
        return rows[: self.limit]

    def next_token(self, rows: Sequence[R], key_of: Callable[[R], Any]) -> dict[str, str]:
        """``{"NextToken": ...}`` when ``rows`` (as fetched by ``select``) go on past the page, else {}."""
        if len(rows) <= self.limit:
            return {}
        return {"NextToken": encode_token(key_of(rows[self.limit - 1]), self.query)}


def keyset(
    next_token: str | None,
    query: dict[str, Any],
    key_type: type,
    limit: int,
    descending: bool = False,
) -> Keyset:
    """The page a request asks for; a token whose key is not a ``key_type`` is refused."""
    last_key = decode_token(next_token, query)
    if last_key is not None and not isinstance(last_key, key_type):
        raise InvalidInputError("The NextToken is not valid for this request.", field="NextToken")
    return Keyset(query, limit, last_key, descending)
