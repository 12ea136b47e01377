"""The console's parts alone: session expiry on a clock, which requests it takes, the vendored htmx,
when a page polls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from openlookout.config import Settings
from openlookout.console.cookies import set_session_cookie
from openlookout.console.guard import safe_next
from openlookout.console.lv_views import DatasetRow, ModelRow, ModelView, ProjectView
from openlookout.console.paths import is_console_path, is_signed
from openlookout.console.session_store import ConsoleSessionStore
from openlookout.service.lookoutvision.statuses import DatasetStatus, ModelStatus
from openlookout.store.console_tables import ConsoleSession
from openlookout.store.db import open_database

HTMX_VERSION = "2.0.11"
STATIC = Path(__file__).resolve().parents[2] / "src" / "openlookout" / "console" / "static"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def store(tmp_path: Path, clock: Clock) -> ConsoleSessionStore:
    return ConsoleSessionStore(open_database(Settings(data_dir=tmp_path)), clock=clock)


def test_a_session_lives_while_used_and_ends_after_idle_or_absolute_time(tmp_path: Path) -> None:
    clock = Clock()
    sessions = store(tmp_path, clock)
    token, opened = sessions.open("AKIAEXAMPLE")
    for _ in range(3):  # used every 7 h: the idle limit (8 h) is never reached...
        clock.now += timedelta(hours=7)
        found = sessions.find(token)
        assert found is not None and found.csrf_token == opened.csrf_token
    clock.now += timedelta(hours=3, minutes=1)  # ...but 24 h after sign-in it ends
    assert sessions.find(token) is None
    token, _ = sessions.open("AKIAEXAMPLE")
    clock.now += timedelta(hours=8)
    assert sessions.find(token) is None  # 8 h idle
    assert sessions.find("") is None and sessions.find("not-a-token") is None


def test_closing_ends_only_that_session_and_signin_purges_expired_ones(tmp_path: Path) -> None:
    clock = Clock()
    sessions = store(tmp_path, clock)
    first, _ = sessions.open("AKIAONE")
    second, _ = sessions.open("AKIATWO")
    sessions.close(first)
    assert sessions.find(first) is None
    assert sessions.find(second) is not None
    clock.now += timedelta(days=2)
    sessions.open("AKIATHREE")  # deletes the expired row of AKIATWO
    with open_database(Settings(data_dir=tmp_path), migrate=False)() as session:
        assert [r.access_key_id for r in session.scalars(select(ConsoleSession))] == ["AKIATHREE"]


def scope(headers: dict[str, str] | None = None, query: str = "") -> dict[str, object]:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return {"type": "http", "headers": raw, "query_string": query.encode()}


def test_signed_requests_are_never_the_consoles() -> None:
    assert not is_signed(scope())
    assert not is_signed(scope({"Cookie": "a=b"}, "next=/console/projects"))
    assert is_signed(scope({"Authorization": "AWS4-HMAC-SHA256 Credential=..."}))
    assert is_signed(scope({"Authorization": "AWS AKIA:sig"}))  # SigV2: S3 refuses it, not us
    assert is_signed(scope(query="X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2Fb"))
    assert is_signed(scope(query="X-Amz-Signature=abc"))
    assert is_console_path("/console") and is_console_path("/console/projects")
    assert not is_console_path("/consoles") and not is_console_path("/console-bucket/key")


def test_next_is_a_console_path_or_the_projects_page() -> None:
    assert safe_next("/console/projects/custom-labels/table") == "/console/projects/custom-labels/table"
    for target in (
        None,
        "",
        "https://evil.example",
        "//evil.example",
        "/console/..//evil",
        "/x",
        "/console\\x",
    ):
        assert safe_next(target) == "/console/projects"


def test_the_vendored_htmx_is_the_noted_version_with_its_licence() -> None:
    assert f"| htmx | {HTMX_VERSION} |" in (STATIC / "README.md").read_text()
    assert f'version:"{HTMX_VERSION}"' in (STATIC / "htmx.min.js").read_text().replace(" ", "")
    assert "Zero-Clause BSD" in (STATIC / "htmx.LICENSE").read_text()


def test_the_cookie_is_secure_over_https_only() -> None:
    for scheme, secure in (("https", True), ("http", False)):
        request = Request({"type": "http", "scheme": scheme, "server": ("h", 1), "path": "/", "headers": []})
        response = Response()
        set_session_cookie(response, request, "token", 60)
        cookie = response.headers["set-cookie"].lower()
        assert ("secure" in cookie.split("; ")) is secure, cookie
        assert "httponly" in cookie and "samesite=strict" in cookie and "path=/console" in cookie


def test_pages_poll_exactly_while_a_status_can_still_change() -> None:
    final_models = {
        ModelStatus.TRAINED,
        ModelStatus.TRAINING_FAILED,
        ModelStatus.HOSTED,
        ModelStatus.HOSTING_FAILED,
    }
    for status in ModelStatus:
        view = ModelView("p", "1", model={"Status": str(status)})
        assert view.busy is (status not in final_models), status
    final_datasets = {s for s in DatasetStatus if not s.endswith("_IN_PROGRESS")}
    for status in DatasetStatus:
        row = DatasetRow(str(status), str(status), "", 0, 0, 0, 0)
        assert row.busy is (status not in final_datasets), status
    project = ProjectView("p", models=[ModelRow("1", "TRAINED", "", None, None)])
    assert not project.busy
    project.models.append(ModelRow("2", "TRAINING", "", None, None))
    assert project.busy


def test_hosting_buttons_follow_the_status() -> None:
    assert [s for s in ModelStatus if ModelView("p", "1", model={"Status": str(s)}).startable] == [
        ModelStatus.TRAINED,
        ModelStatus.HOSTING_FAILED,
    ]
    assert [s for s in ModelStatus if ModelView("p", "1", model={"Status": str(s)}).stoppable] == [
        ModelStatus.HOSTED
    ]
    location = {"OutputConfig": {"S3Location": {"Bucket": "b", "Prefix": "out/"}}}
    assert ModelView("p", "1", model=location).output == "s3://b/out/"
    assert ModelView("p", "1").output is None and ModelView("p", "1").performance is None
