"""The hosting lifecycle both APIs share: start in the background, stop, restore after a restart.

Lookout for Vision models (``service/lookoutvision/hosting.py``) and Custom Labels versions
(``service/custom_labels/hosting.py``) are hosted the same way; only their table, their
status names and what they keep about a hosted model differ. The API call moves the row
to its *starting* (or *stopping*) status; a background thread downloads the artefacts,
starts the inference units on the ``ModelHost`` and settles the row as *running* (or
*failed*, with the reason) / *stopped*. The database keeps the desired state, so
``restore`` after a restart hosts running and starting rows again and settles stopping
ones as stopped.
"""

from __future__ import annotations

import logging
import shutil
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Generic

from sqlalchemy import ScalarResult, select
from sqlalchemy.orm import Session, sessionmaker

from openlookout.blobs.base import BlobStore
from openlookout.blobs.transfer import download_prefix
from openlookout.config import Settings
from openlookout.errors import InvalidInputError, ThrottledError
from openlookout.hosting.base import (
    EncodedImage,
    HostBusyError,
    HostingError,
    ImageDecodeError,
    ModelHost,
    ModelInfo,
    ResultT,
)
from openlookout.store.base import utcnow
from openlookout.store.db import write_session

log = logging.getLogger(__name__)

PREDICT_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class HostingStatuses:
    """One API's names for the hosting states, and the message each comes with."""

    starting: str
    running: str
    failed: str
    stopping: str
    stopped: str
    messages: dict[str, str]


def inference_units(min_units: int, max_units: int | None) -> int:
    """The upper bound for autoscaling; without MaxInferenceUnits there is none (spec A.8)."""
    if min_units < 1:
        raise InvalidInputError("MinInferenceUnits must be at least 1.", field="MinInferenceUnits")
    if max_units is None:
        return min_units
    if max_units < min_units:
        raise InvalidInputError(
            f"MaxInferenceUnits ({max_units}) must not be less than MinInferenceUnits ({min_units}).",
            field="MaxInferenceUnits",
        )
    return max_units


class HostingLifecycle(ABC, Generic[ResultT]):
    """Background bring-up and take-down of hosted rows, and their recovery after a restart.

    Rows need ``id``, ``status``, ``status_message``, ``updated_at``, ``artifact_prefix``,
    ``min_inference_units`` and ``max_inference_units``.
    """

    row_type: ClassVar[Any]
    statuses: ClassVar[HostingStatuses]
    key_prefix: ClassVar[str]  # host keys and local folders: f"{key_prefix}{row id}"
    no_artifacts_message: ClassVar[str]

    def __init__(
        self, settings: Settings, sessions: sessionmaker[Session], blobs: BlobStore, host: ModelHost[ResultT]
    ) -> None:
        self.settings, self.sessions, self.blobs, self.host = settings, sessions, blobs, host

    # -- what each API adds --------------------------------------------------------------------

    @abstractmethod
    def _loaded(self, row_id: int, folder: Path, info: ModelInfo) -> None:
        """Remember what requests need about a model that is now hosted."""

    @abstractmethod
    def _forget(self, row_id: int) -> None:
        """Drop what ``_loaded`` remembered."""

    def _download(self, row_id: int, prefix: str) -> Path:
        return download_prefix(self.blobs, self.settings.internal_bucket, prefix, self._artifact_dir(row_id))

    # -- shared steps --------------------------------------------------------------------------

    def host_key(self, row_id: int) -> str:
        return f"{self.key_prefix}{row_id}"

    def begin_start(self, row: Any, min_units: int, max_units: int | None) -> Callable[[], None]:
        """Mark ``row`` starting (inside the caller's transaction); call the result after commit."""
        high = inference_units(min_units, max_units)
        row.status, row.status_message, row.updated_at = (
            self.statuses.starting,
            self.statuses.messages[self.statuses.starting],
            utcnow(),
        )
        row.min_inference_units, row.max_inference_units = min_units, max_units
        row_id = row.id
        return lambda: self._in_background(self._bring_up, row_id, min_units, high)

    def begin_stop(self, row: Any) -> Callable[[], None]:
        """Mark ``row`` stopping (inside the caller's transaction); call the result after commit."""
        row.status, row.status_message, row.updated_at = (
            self.statuses.stopping,
            self.statuses.messages[self.statuses.stopping],
            utcnow(),
        )
        row_id = row.id
        return lambda: self._in_background(self._take_down, row_id)

    def predict(
        self,
        row_id: int,
        image: EncodedImage,
        stopped: Callable[[], Exception],
        undecodable: Callable[[str], Exception],
    ) -> ResultT:
        """One prediction; ``stopped()`` is raised when the model went away while waiting,
        ``undecodable(message)`` when the unit could not decode the image."""
        key = self.host_key(row_id)
        try:
            return self.host.predict(key, image, timeout_s=PREDICT_TIMEOUT_S)
        except ImageDecodeError as exc:
            raise undecodable(str(exc)) from None
        except HostBusyError as exc:
            raise ThrottledError(str(exc)) from None
        except HostingError as exc:
            if self.host.status(key) is None:
                raise stopped() from None
            raise RuntimeError(str(exc)) from exc

    def release(self, row_id: int) -> None:
        """Stop the row's units (if any) and drop its local copy."""
        self._forget(row_id)
        self.host.stop(self.host_key(row_id))
        shutil.rmtree(self._artifact_dir(row_id), ignore_errors=True)

    def restore(self) -> None:
        """After a restart: host again what was running or starting; finish interrupted stops."""
        s = self.statuses
        to_start: list[tuple[int, int, int]] = []
        with write_session(self.sessions) as session:
            rows: ScalarResult[Any] = session.scalars(
                select(self.row_type).where(self.row_type.status.in_([s.running, s.starting, s.stopping]))
            )
            for row in rows:
                if row.status == s.stopping:
                    row.status, row.status_message = s.stopped, s.messages[s.stopped]
                else:
                    row.status, row.status_message = s.starting, s.messages[s.starting]
                    low = row.min_inference_units or 1
                    to_start.append((row.id, low, max(low, row.max_inference_units or low)))
                row.updated_at = utcnow()
        for row_id, low, high in to_start:
            self._in_background(self._bring_up, row_id, low, high)

    def shutdown(self) -> None:
        """Stop the units but keep the statuses: the next start-up hosts the same models."""
        self.host.shutdown()

    # -- background work -----------------------------------------------------------------------

    def _in_background(self, target: Any, *args: Any) -> None:
        name = f"{self.key_prefix}hosting-{target.__name__}"
        threading.Thread(target=target, args=args, name=name, daemon=True).start()

    def _artifact_dir(self, row_id: int) -> Path:
        return self.settings.data_dir / "hosting" / self.host_key(row_id)

    def _set_status(self, row_id: int, expected: str, status: str, message: str) -> bool:
        with write_session(self.sessions) as session:
            row = session.get(self.row_type, row_id)
            if row is None or row.status != expected:
                return False
            row.status, row.status_message, row.updated_at = status, message, utcnow()
            return True

    def _bring_up(self, row_id: int, min_units: int, max_units: int) -> None:
        s = self.statuses
        try:
            with self.sessions() as session:
                row = session.get(self.row_type, row_id)
                prefix = row.artifact_prefix if row is not None else None
            if not prefix:
                raise HostingError(self.no_artifacts_message)
            folder = self._download(row_id, prefix)
            info = self.host.start(self.host_key(row_id), folder, min_units, max_units)
            self._loaded(row_id, folder, info)
        except Exception as exc:
            log.exception("hosting %s failed", self.host_key(row_id))
            self.release(row_id)
            message = str(exc) if isinstance(exc, HostingError) else f"The model could not be hosted: {exc}"
            self._set_status(row_id, s.starting, s.failed, message)
            return
        if not self._set_status(row_id, s.starting, s.running, s.messages[s.running]):
            self.release(row_id)  # deleted or changed meanwhile

    def _take_down(self, row_id: int) -> None:
        self.release(row_id)
        self._set_status(
            row_id,
            self.statuses.stopping,
            self.statuses.stopped,
            self.statuses.messages[self.statuses.stopped],
        )
