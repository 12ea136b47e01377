"""Operation tables: how a service facade exposes its rules without restating their parameters.

Each API operation is one rule function whose first parameter is the per-call view of the
service (the backends plus the request's ``RequestContext``); its remaining parameters are
the operation's members, named as in the shape declarations (snake_case). A facade lists
its operations once, by name, and ``OperationFacade`` binds them: ``facade.create_project(
"p", context=ctx)`` calls ``projects.create_project(facade.call(ctx), "p")``. Adding an
input member therefore touches the shape and the rule, and nothing in between.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Generic, TypeVar

from openlookout.service.common.request_context import IN_PROCESS, RequestContext

CallT = TypeVar("CallT")
Response = dict[str, Any]
Rule = Callable[..., Response]


class OperationFacade(Generic[CallT]):
    """A facade whose public methods are the rules of ``operations``, bound to one call each."""

    # snake_case operation name -> the rule that implements it.
    operations: ClassVar[Mapping[str, Rule]]

    def call(self, context: RequestContext) -> CallT:
        """The per-call view the rules receive: the backends and ``context``."""
        raise NotImplementedError

    def __getattr__(self, name: str) -> Callable[..., Response]:
        # Only reached for names the instance and class do not define themselves.
        rule = type(self).operations.get(name)
        if rule is None:
            raise AttributeError(f"{type(self).__name__} has no operation {name!r}")
        bound = self._bind(rule)
        # Kept on the instance: later look-ups skip __getattr__ and get the same callable.
        setattr(self, name, bound)
        return bound

    def _bind(self, rule: Rule) -> Callable[..., Response]:
        @functools.wraps(rule)
        def bound(*args: Any, context: RequestContext = IN_PROCESS, **members: Any) -> Response:
            return rule(self.call(context), *args, **members)

        # The api layer hands a context to callables that declare one (api/context.py).
        del bound.__wrapped__
        return bound
