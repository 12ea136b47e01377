"""Skip or fail when a test's external tool (the pinned old clients) is missing.

``scripts/test.sh`` (the README's test command, which CI runs) installs the pinned clients
before the suite and sets ``REQUIRE_CLIENTS_ENV``: there a missing client is a broken setup
and fails the test. A bare ``pytest`` run (or ``--fast``) without ``.venv-clients`` skips.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

REQUIRE_CLIENTS_ENV = "OPENLOOKOUT_TESTS_REQUIRE_CLIENTS"


def missing_clients(what: str) -> NoReturn:
    message = f"{what} (run scripts/setup.sh)"
    if os.environ.get(REQUIRE_CLIENTS_ENV) == "1":
        pytest.fail(f"{message}; scripts/test.sh installs them, so their absence is a failure")
    pytest.skip(message)


def require_clients(present: bool, what: str) -> None:
    if not present:
        missing_clients(what)
