"""The keyset pagination helper every List operation uses."""

from __future__ import annotations

import pytest
from sqlalchemy import Integer, column, select, table

from openlookout.errors import InvalidInputError
from openlookout.service.common import pagination

QUERY = {"op": "ListThings", "project": "p"}
things = table("things", column("id", Integer))


def sql_of(page: pagination.Keyset) -> str:
    stmt = page.select(select(things.c.id), things.c.id)
    return str(stmt.compile(compile_kwargs={"literal_binds": True}))


def test_first_page_has_no_bound() -> None:
    page = pagination.keyset(None, QUERY, int, 2)
    sql = sql_of(page)
    assert "WHERE" not in sql and "ORDER BY things.id" in sql and "LIMIT 3" in sql


def test_next_token_names_the_last_row_of_the_page_and_continues_after_it() -> None:
    page = pagination.keyset(None, QUERY, int, 2, descending=True)
    assert page.next_token([9, 8], lambda r: r) == {}
    token = page.next_token([9, 8, 7], lambda r: r)["NextToken"]
    assert page.rows([9, 8, 7]) == [9, 8]

    following = pagination.keyset(token, QUERY, int, 2, descending=True)
    sql = sql_of(following)
    assert "things.id < 8" in sql and "ORDER BY things.id DESC" in sql


@pytest.mark.parametrize("key_type", [str, int])
def test_a_token_of_another_key_type_or_query_is_refused(key_type: type) -> None:
    token = pagination.encode_token(5 if key_type is str else "name", QUERY)
    with pytest.raises(InvalidInputError):
        pagination.keyset(token, QUERY, key_type, 10)
    with pytest.raises(InvalidInputError):
        pagination.keyset(pagination.encode_token(5, QUERY), {**QUERY, "project": "q"}, int, 10)
