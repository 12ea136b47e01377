"""What every console handler needs: the app's context (built at start-up) and the session store."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

from openlookout.api.context import AppContext
from openlookout.console.session_store import ConsoleSessionStore


class Console:
    """The console of one app; ``get_ctx`` returns the context the app's lifespan built."""

    def __init__(self, get_ctx: Callable[[], AppContext]) -> None:
        self._get_ctx = get_ctx

    @property
    def ctx(self) -> AppContext:
        return self._get_ctx()

    @cached_property
    def sessions(self) -> ConsoleSessionStore:
        database = self.ctx.sessions
        if database is None:
            raise RuntimeError("the console needs the metadata database (AppContext.sessions)")
        return ConsoleSessionStore(database)
