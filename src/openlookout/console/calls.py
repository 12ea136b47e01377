"""Console actions as API calls: the signed-in key's permissions, the API's input rules, the facades.

Every console page reads and changes state only through here, so a console action is exactly
the API operation of the same name: the same ``service:Operation`` permission check, the same
input validation against the operation's shape, the same facade method, the same errors
(turned into a code and message to show instead of a wire body).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.model import ServiceModel

from openlookout.api.auth import Principal
from openlookout.api.cl_errors import to_cl_error
from openlookout.api.context import AppContext, call_service, request_context
from openlookout.api.l4v_errors import to_l4v_error
from openlookout.api.lookoutvision import snake_case
from openlookout.api.shapes import lookoutvision as l4v_shapes
from openlookout.api.shapes import rekognition as cl_shapes
from openlookout.api.validation import validate_input
from openlookout.service.common.request_context import RequestContext

log = logging.getLogger(__name__)


class ConsoleError(Exception):
    """A refused or failed action, as the API would have answered it (code, HTTP status, message)."""

    def __init__(self, code: str, status: int, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Api:
    """One of the two JSON APIs as the console reaches it."""

    signing_name: str  # the permission prefix: lookoutvision:CreateProject
    service: ServiceModel
    facade: Callable[[AppContext], Any]
    # The API's own mapping of exceptions to (code, status, message); None: unexpected.
    describe_error: Callable[[BaseException], tuple[str, int, str] | None]


def _l4v_error(exc: BaseException) -> tuple[str, int, str] | None:
    error = to_l4v_error(exc)
    return (error.code, error.status, error.message) if error else None


def _cl_error(exc: BaseException) -> tuple[str, int, str] | None:
    error = to_cl_error(exc)
    # Rekognition answers 400 for every client error; the console shows a refusal as 403.
    if error is None:
        return None
    status = 403 if error.code == "AccessDeniedException" else error.status
    return error.code, status, error.message


def _rekognition(ctx: AppContext) -> Any:
    if ctx.rekognition is None:
        raise ConsoleError("UnknownOperationException", 404, "Custom Labels is not enabled on this server.")
    return ctx.rekognition


LOOKOUT_FOR_VISION = Api(
    l4v_shapes.SERVICE_NAME, l4v_shapes.SERVICE, lambda ctx: ctx.lookoutvision, _l4v_error
)
CUSTOM_LABELS = Api(cl_shapes.SERVICE_NAME, cl_shapes.SERVICE, _rekognition, _cl_error)


class ServiceCalls:
    """The API operations one signed-in key may call, in the server's region."""

    def __init__(self, ctx: AppContext, access_key_id: str) -> None:
        self._ctx = ctx
        self._access_key_id = access_key_id
        self._caller = ctx.authenticator.caller(self._principal(LOOKOUT_FOR_VISION))

    def may(self, api: Api, operation: str) -> bool:
        """For the page: whether a control would be allowed (a disabled control otherwise)."""
        return self._caller.may(f"{api.signing_name}:{operation}")

    def require(self, api: Api, operation: str) -> None:
        """ConsoleError (AccessDeniedException) unless the key may call ``operation``."""
        if not self.may(api, operation):
            try:
                self._caller.require(f"{api.signing_name}:{operation}")
            except Exception as exc:
                described = api.describe_error(exc)
                assert described is not None
                raise ConsoleError(*described) from None

    async def call(self, api: Api, operation: str, **params: Any) -> dict[str, Any]:
        """``operation`` with wire-named ``params`` (``ProjectName=...``); ConsoleError when refused."""
        context = self._context(api)
        try:
            context.caller.require(f"{api.signing_name}:{operation}")
            validate_input(api.service.operation_model(operation).input_shape, params)
            method = getattr(api.facade(self._ctx), snake_case(operation))
            kwargs = {snake_case(name): value for name, value in params.items()}
            result = await call_service(method, kwargs, context)
        except ConsoleError:
            raise
        except Exception as exc:
            described = api.describe_error(exc)
            if described is None:  # a bug, not a refusal: logged as the API handlers log it
                log.error(
                    "internal error in console %s (request id %s)",
                    operation,
                    context.request_id,
                    exc_info=exc,
                )
                message = (
                    f"An internal error occurred. Quote request id {context.request_id} when reporting it."
                )
                raise ConsoleError("InternalServerError", 500, message) from None
            raise ConsoleError(*described) from None
        return dict(result or {})

    def _principal(self, api: Api) -> Principal:
        credentials = self._ctx.authenticator.credentials
        return Principal(
            access_key_id=self._access_key_id,
            is_root=credentials.is_root(self._access_key_id),
            service=api.signing_name,
            region=self._ctx.settings.region,
        )

    def _context(self, api: Api) -> RequestContext:
        return request_context(self._ctx, self._principal(api), str(uuid.uuid4()))
