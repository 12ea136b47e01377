"""The console over HTTP: sessions, sign-in and sign-out, CSRF, permissions, the /console path."""

from __future__ import annotations

import re
from datetime import timedelta
from hashlib import sha256

import pytest
from sqlalchemy import select, update

from openlookout.console.cookies import SESSION_COOKIE
from openlookout.store.base import utcnow
from openlookout.store.console_tables import ConsoleSession
from openlookout.store.db import open_database, write_session
from support.server import signed_request

from .conftest import READER_KEY, ROOT_KEY, ConsoleServer
from .console_client import ConsoleClient

PAGES = [
    "/console/projects",
    "/console/projects/lookoutvision/table",
    "/console/projects/custom-labels/table",
    "/console/projects/lookoutvision/p1/delete",
]
# A row's name: linked to the project page (Lookout for Vision) or not (Custom Labels).
LV_ROW_NAME = re.compile(r'<th scope="row">(?:<a href="[^"]*">)?<span title="[^"]*">([^<]*)</span>')
ACTIONS = [
    "/console/projects/lookoutvision",
    "/console/projects/custom-labels",
    "/console/projects/lookoutvision/p1/delete",
    "/console/projects/custom-labels/p1/delete",
    "/console/signout",
]


def session_rows(server: ConsoleServer) -> list[ConsoleSession]:
    sessions = open_database(server.settings, migrate=False)
    with sessions() as session:
        return list(session.scalars(select(ConsoleSession)).all())


def lv_project_names(client: ConsoleClient) -> list[str]:
    """The names in the Lookout for Vision table, as the signed-in client sees it."""
    page = client.get("/console/projects/lookoutvision/table").data.decode()
    return LV_ROW_NAME.findall(page)


def test_pages_redirect_to_signin_and_htmx_gets_401(console_server: ConsoleServer) -> None:
    client = console_server.client()
    for path in PAGES:
        response = client.get(path)
        assert response.status == 303, path
        assert response.headers["location"].startswith("/console/signin?next="), path
        htmx = client.get(path, headers={"HX-Request": "true"})
        assert htmx.status == 401, path
        assert htmx.headers["hx-redirect"].startswith("/console/signin"), path
    assert client.get("/console/signin").status == 200


def test_actions_need_a_session_and_change_nothing(console_server: ConsoleServer) -> None:
    client = console_server.client()
    for path in ACTIONS:
        response = client.post(path, {"project_name": "p1", "csrf_token": "x"})
        assert response.status == 401, path
    root = console_server.client()
    root.sign_in(ROOT_KEY)
    assert lv_project_names(root) == []


def test_signin_sets_a_strict_cookie_and_stores_only_the_token_hash(console_server: ConsoleServer) -> None:
    client = console_server.client()
    response = client.sign_in(ROOT_KEY)
    assert response.status == 303
    assert response.headers["location"] == "/console/projects"
    cookie = response.headers["set-cookie"]
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "path", "max-age", "samesite"} <= attributes
    assert "samesite=strict" in cookie.lower() and "path=/console" in cookie.lower()
    assert "secure" not in attributes  # plain http on loopback; https requests get Secure
    token = client.cookies[SESSION_COOKIE]
    [row] = session_rows(console_server)
    assert row.token_sha256 == sha256(token.encode()).hexdigest()
    assert token not in (row.token_sha256, row.csrf_token)
    assert row.access_key_id == ROOT_KEY[0]
    page = client.get("/console/projects")
    assert page.status == 200 and ROOT_KEY[0] in page.data.decode()


@pytest.mark.parametrize("key", [(ROOT_KEY[0], "wrong-secret"), ("AKIAUNKNOWNKEY000001", ROOT_KEY[1])])
def test_wrong_credentials_show_an_error_and_open_no_session(
    console_server: ConsoleServer, key: tuple[str, str]
) -> None:
    client = console_server.client()
    response = client.sign_in(key)
    assert response.status == 401
    assert "The access key id or the secret access key is wrong." in response.data.decode()
    assert "set-cookie" not in response.headers
    assert session_rows(console_server) == []
    assert client.get("/console/projects").status == 303


def test_signout_ends_the_session_on_the_server(
    console_server: ConsoleServer, root_client: ConsoleClient
) -> None:
    old_cookies = dict(root_client.cookies)
    token = root_client.csrf_token()
    response = root_client.post("/console/signout", {"csrf_token": token})
    assert response.status == 303
    assert response.headers["location"] == "/console/signin?signed_out=1"
    assert SESSION_COOKIE not in root_client.cookies
    assert session_rows(console_server) == []
    replay = console_server.client()
    replay.cookies.update(old_cookies)  # the old cookie, kept by someone
    assert replay.get("/console/projects").status == 303
    assert (
        replay.post("/console/projects/lookoutvision", {"project_name": "p1", "csrf_token": token}).status
        == 401
    )


@pytest.mark.parametrize("column", ["last_seen_at", "created_at"])
def test_an_expired_session_redirects_to_signin(
    console_server: ConsoleServer, root_client: ConsoleClient, column: str
) -> None:
    # 8 h without a request, or 24 h after sign-in (docs/console.md).
    age = timedelta(hours=8, minutes=1) if column == "last_seen_at" else timedelta(hours=24, minutes=1)
    sessions = open_database(console_server.settings, migrate=False)
    with write_session(sessions) as session:
        session.execute(update(ConsoleSession).values({column: utcnow() - age}))
    response = root_client.get("/console/projects")
    assert response.status == 303
    assert response.headers["location"].startswith("/console/signin?next=")
    assert "ended=1" in response.headers["location"]
    assert session_rows(console_server) == []
    assert "ended" in root_client.get(response.headers["location"]).data.decode()


def test_csrf_token_is_required_on_every_action(
    console_server: ConsoleServer, root_client: ConsoleClient
) -> None:
    token = root_client.csrf_token()
    create = "/console/projects/lookoutvision"
    assert root_client.post(create, {"project_name": "nocsrf"}).status == 403
    assert root_client.post(create, {"project_name": "nocsrf", "csrf_token": "wrong"}).status == 403
    assert root_client.post(create, {"project_name": "nocsrf"}, {"X-CSRF-Token": "wrong"}).status == 403
    foreign = {"Origin": "http://evil.example"}
    assert root_client.post(create, {"project_name": "nocsrf", "csrf_token": token}, foreign).status == 403
    assert root_client.post("/console/signout", {}).status == 403
    assert lv_project_names(root_client) == []
    assert len(session_rows(console_server)) == 1  # the refused sign-out ended nothing
    # The form field and the header htmx sends both work.
    assert root_client.post(create, {"project_name": "viaform", "csrf_token": token}).status == 303
    assert root_client.post(create, {"project_name": "viaheader"}, {"X-CSRF-Token": token}).status == 303
    assert lv_project_names(root_client) == ["viaform", "viaheader"]


def test_projects_of_both_apis_are_created_listed_and_deleted(root_client: ConsoleClient) -> None:
    token = root_client.csrf_token()
    for kind in ("lookoutvision", "custom-labels"):
        response = root_client.post(
            f"/console/projects/{kind}", {"project_name": "widgets", "csrf_token": token}
        )
        assert response.status == 303, response.data[:400]
        assert response.headers["location"].startswith("/console/projects?created=widgets")
    page = root_client.get("/console/projects").data.decode()
    assert page.count(">widgets</span>") == 2
    assert "CREATED" in page  # the Custom Labels project's status
    taken = root_client.post(
        "/console/projects/lookoutvision", {"project_name": "widgets", "csrf_token": token}
    )
    assert taken.status == 409
    assert "ConflictException" in taken.data.decode() and "already exists" in taken.data.decode()
    invalid = root_client.post(
        "/console/projects/custom-labels", {"project_name": "a b", "csrf_token": token}
    )
    assert invalid.status == 400 and "InvalidParameterException" in invalid.data.decode()
    assert root_client.get("/console/projects/custom-labels/widgets/delete").status == 200
    for kind in ("lookoutvision", "custom-labels"):
        deleted = root_client.post(f"/console/projects/{kind}/widgets/delete", {"csrf_token": token})
        assert deleted.status == 303, deleted.data[:400]
    page = root_client.get("/console/projects").data.decode()
    assert ">widgets</span>" not in page
    missing = root_client.post("/console/projects/lookoutvision/widgets/delete", {"csrf_token": token})
    assert missing.status == 404 and "ResourceNotFoundException" in missing.data.decode()


def test_a_read_only_key_sees_disabled_controls_and_the_server_refuses(
    console_server: ConsoleServer, root_client: ConsoleClient
) -> None:
    root_token = root_client.csrf_token()
    for kind in ("lookoutvision", "custom-labels"):
        assert (
            root_client.post(
                f"/console/projects/{kind}", {"project_name": "kept", "csrf_token": root_token}
            ).status
            == 303
        )
    reader = console_server.client()
    assert reader.sign_in(READER_KEY).status == 303
    page = reader.get("/console/projects").data.decode()
    assert 'aria-label="Delete kept (not allowed for your key)"' in page
    assert "Your key may not create projects" in page
    confirm = reader.get("/console/projects/lookoutvision/kept/delete").data.decode()
    assert "disabled" in confirm and "lookoutvision:DeleteProject" in confirm
    token = reader.csrf_token()
    for kind in ("lookoutvision", "custom-labels"):
        refused = reader.post(f"/console/projects/{kind}/kept/delete", {"csrf_token": token})
        assert refused.status == 403
        assert "AccessDeniedException" in refused.data.decode()
        assert "is not authorized to perform" in refused.data.decode()
        create = reader.post(f"/console/projects/{kind}", {"project_name": "new", "csrf_token": token})
        assert create.status == 403 and "AccessDeniedException" in create.data.decode()
        # The refused form stays disabled, its attributes apart (no "...-error"disabled).
        assert f' disabled aria-describedby="projects-{kind}-create-denied">' in create.data.decode()
    assert root_client.get("/console/projects").data.decode().count(">kept</span>") == 2
    assert ">new</span>" not in root_client.get("/console/projects").data.decode()


def test_next_after_signin_stays_in_the_console(console_server: ConsoleServer) -> None:
    for target, expected in [
        ("/console/projects/lookoutvision/table", "/console/projects/lookoutvision/table"),
        ("https://evil.example/", "/console/projects"),
        ("//evil.example/console/", "/console/projects"),
        ("/other", "/console/projects"),
    ]:
        client = console_server.client()
        form = {"access_key_id": ROOT_KEY[0], "secret_access_key": ROOT_KEY[1], "next": target}
        assert client.post("/console/signin", form).headers["location"] == expected


def test_a_bucket_named_console_stays_usable_over_signed_s3(console_server: ConsoleServer) -> None:
    endpoint = console_server.endpoint
    assert signed_request(endpoint, ROOT_KEY, "s3", "PUT", "/console").status == 200
    put = signed_request(endpoint, ROOT_KEY, "s3", "PUT", "/console/signin", body=b"an object")
    assert put.status == 200
    got = signed_request(endpoint, ROOT_KEY, "s3", "GET", "/console/signin")
    assert got.status == 200 and got.data == b"an object"
    listing = signed_request(endpoint, ROOT_KEY, "s3", "GET", "/console", params={"list-type": "2"})
    assert listing.status == 200 and b"<Key>signin</Key>" in listing.data
    # Unsigned, the same paths are the console's pages.
    client = console_server.client()
    assert client.get("/console").headers["location"] == "/console/projects"
    assert client.get("/console/signin").headers["content-type"].startswith("text/html")


def test_static_assets_are_served_and_pages_carry_a_strict_policy(console_server: ConsoleServer) -> None:
    client = console_server.client()
    htmx = client.get("/console/static/htmx.min.js")
    assert htmx.status == 200 and b"htmx" in htmx.data[:2000]
    assert client.get("/console/static/console.css").status == 200
    page = client.get("/console/signin")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["x-frame-options"] == "DENY"
    assert "https://" not in page.data.decode()  # no CDN, no external font
    missing = client.get("/console/nothing-here")
    assert missing.status == 404 and "text/html" in missing.headers["content-type"]
