"""The console in a real browser: Debian's chromium driven by Playwright, against ``openlookout serve``.

Never ``playwright install`` (it downloads a browser build, which fails here): the test launches
the ``chromium`` on PATH (scripts/setup.sh installs it with apt). Without it the test skips, or
fails under scripts/test.sh (OPENLOOKOUT_TESTS_REQUIRE_CLIENTS=1). Any JavaScript console
error, page error, failed request or HTTP error answer fails the test; a screenshot of the page
is saved under the test's tmp dir when it fails.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from playwright.sync_api import expect, sync_playwright

from support.requirements import require_clients
from support.server import REGION, RESTRICTED_KEYS, ROOT_KEY, ServerProcess, signed_json_request, start_server

from .lv_api import LookoutForVision

pytestmark = pytest.mark.slow

CREATOR_KEY = RESTRICTED_KEYS["creator"][:2]  # lookoutvision Describe*/List*/CreateModel only


@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium")
    require_clients(path is not None, "chromium is not installed (apt-get install -y chromium)")
    assert path is not None
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = start_server(tmp_path_factory.mktemp("console-browser"), "console")
    yield server
    server.stop()


class PageWatch:
    """Everything the browser reports that a working console never causes."""

    def __init__(self, page: Any) -> None:
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("requestfailed", self._request_failed)
        page.on("response", self._response)

    def _request_failed(self, request: Any) -> None:
        # The browser cancels what is still loading (say the favicon) when the test navigates
        # on: nothing failed there. Every other network failure counts, and so does any answer
        # of 400 or more (``_response``).
        if request.failure != "net::ERR_ABORTED":
            self.problems.append(f"failed: {request.method} {request.url} ({request.failure})")

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.problems.append(f"console error: {message.text}")

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.request.method} {response.url}")


@contextmanager
def watched_page(chromium: str, tmp_path: Path) -> Iterator[tuple[Any, PageWatch]]:
    """A 1280-px page of a fresh headless chromium, watched; a screenshot when the body fails."""
    with sync_playwright() as playwright:
        # --no-sandbox: the suite runs as root in CI, where chromium's sandbox refuses to start.
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        watch = PageWatch(page)
        try:
            yield page, watch
        except BaseException:
            page.screenshot(path=str(tmp_path / "console-failure.png"), full_page=True)
            print(f"screenshot: {tmp_path / 'console-failure.png'}; browser problems: {watch.problems}")
            raise
        finally:
            browser.close()


def rekognition(server: ServerProcess) -> Any:
    return boto3.client(
        "rekognition",
        endpoint_url=server.endpoint,
        region_name=REGION,
        aws_access_key_id=ROOT_KEY[0],
        aws_secret_access_key=ROOT_KEY[1],
    )


def cl_project_names(server: ServerProcess) -> list[str]:
    described = rekognition(server).describe_projects()["ProjectDescriptions"]
    return [p["ProjectArn"].split(":project/", 1)[1].rsplit("/", 1)[0] for p in described]


def l4v_project_status(server: ServerProcess, name: str) -> int:
    status, _, _ = signed_json_request(server.endpoint, f"/2020-11-20/projects/{name}", ROOT_KEY)
    return status


def no_page_wider_than_the_window(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    window = page.evaluate("window.innerWidth")
    assert width <= window, f"the page is {width} px wide in a {window} px window"


def focus_is_visible(page: Any) -> None:
    style = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [document.activeElement.tagName, s.outlineStyle, s.outlineWidth]; })()"
    )
    assert style[1] != "none" and style[2] != "0px", f"focused {style[0]} shows no outline: {style}"


def test_sign_in_create_list_delete_sign_out(chromium: str, server: ServerProcess, tmp_path: Path) -> None:
    console = f"{server.endpoint}/console/"
    with watched_page(chromium, tmp_path) as (page, watch):
        page.goto(console)
        expect(page).to_have_url(f"{server.endpoint}/console/signin?next=/console/projects")
        # By keyboard: the key id field has focus, Tab moves on, Enter submits.
        page.keyboard.type(ROOT_KEY[0])
        focus_is_visible(page)
        page.keyboard.press("Tab")
        page.keyboard.type(ROOT_KEY[1])
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Projects", exact=True)).to_be_visible()
        expect(page.get_by_text(f"Signed in as {ROOT_KEY[0]}")).to_be_visible()

        page.get_by_label("New project name").first.fill("lv-widgets")
        page.get_by_role("button", name="Create project").first.click()
        expect(page.get_by_role("status").filter(has_text="lv-widgets created")).to_be_visible()
        cl_section = page.locator("#projects-custom-labels")
        cl_section.get_by_label("New project name").fill("cl-widgets")
        cl_section.get_by_label("New project name").press("Enter")
        expect(page.get_by_role("status").filter(has_text="cl-widgets created")).to_be_visible()

        lv_section = page.locator("#projects-lookoutvision")
        expect(lv_section.get_by_role("rowheader", name="lv-widgets")).to_be_visible()
        expect(cl_section.get_by_role("rowheader", name="cl-widgets")).to_be_visible()
        expect(cl_section.get_by_role("cell", name="CREATED", exact=True)).to_be_visible()
        # The same service layer: the API clients see them at once.
        assert l4v_project_status(server, "lv-widgets") == 200
        assert cl_project_names(server) == ["cl-widgets"]

        # htmx refreshes a table in place (no console error: the CSP allows htmx as served).
        with page.expect_response(lambda r: r.url.endswith("/console/projects/lookoutvision/table")):
            lv_section.get_by_role("button", name="Refresh").click()
        expect(lv_section.get_by_role("rowheader", name="lv-widgets")).to_be_visible()

        page.set_viewport_size({"width": 800, "height": 900})
        no_page_wider_than_the_window(page)
        page.set_viewport_size({"width": 1280, "height": 900})
        no_page_wider_than_the_window(page)

        cl_section.get_by_role("link", name="Delete cl-widgets").click()
        expect(page.get_by_role("heading", name="Delete project cl-widgets?")).to_be_visible()
        page.get_by_role("button", name="Delete cl-widgets").click()
        expect(page.get_by_role("status").filter(has_text="cl-widgets deleted")).to_be_visible()
        expect(page.locator("#projects-custom-labels").get_by_text("No projects yet.")).to_be_visible()
        assert cl_project_names(server) == []
        assert l4v_project_status(server, "lv-widgets") == 200

        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("status").filter(has_text="You are signed out.")).to_be_visible()
        page.goto(f"{server.endpoint}/console/projects")
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

        # A key that may not delete sees the control disabled.
        page.get_by_label("Access key id").fill(CREATOR_KEY[0])
        page.get_by_label("Secret access key").fill(CREATOR_KEY[1])
        page.get_by_role("button", name="Sign in").click()
        delete = page.get_by_role("button", name="Delete lv-widgets (not allowed for your key)")
        expect(delete).to_be_disabled()
        assert watch.problems == []


def sign_in(page: Any, server: ServerProcess, key: tuple[str, str], path: str) -> None:
    page.goto(f"{server.endpoint}{path}")
    page.get_by_label("Access key id").fill(key[0])
    page.get_by_label("Secret access key").fill(key[1])
    page.get_by_role("button", name="Sign in").click()


def test_project_page_train_model_page_hosting(chromium: str, server: ServerProcess, tmp_path: Path) -> None:
    """A dataset made through the API shows on the project page; Train model, then watch htmx
    polling bring the status to TRAINED without a page load; the model page's metrics and hosting."""
    api = LookoutForVision(server.endpoint, ROOT_KEY, REGION)
    api.create_project("lv-cookies")
    api.create_small_train_dataset("lv-cookies", "console-browser-data")
    with watched_page(chromium, tmp_path) as (page, watch):
        sign_in(page, server, ROOT_KEY, "/console/projects")
        page.locator("#projects-lookoutvision").get_by_role("link", name="lv-cookies", exact=True).click()
        expect(page.get_by_role("heading", name="Project lv-cookies")).to_be_visible()
        train_row = page.locator("#datasets tbody tr").filter(has=page.get_by_role("rowheader", name="train"))
        expect(train_row).to_contain_text("CREATE_COMPLETE")
        expect(train_row.get_by_role("cell")).to_have_text(
            [re.compile("^CREATE_COMPLETE"), "30", "30", "20", "10"]
        )

        page.get_by_label("Output bucket").fill("console-browser-data")
        expect(page.get_by_label("Prefix")).to_have_value("model-output/")
        page.get_by_role("button", name="Train model").click()
        expect(
            page.get_by_role("status").filter(has_text="Training of model version 1 started.")
        ).to_be_visible()
        # A mark on the loaded page: it survives htmx swaps, not a reload.
        page.evaluate("window.consoleTestMark = 'kept'")
        model_row = page.locator("#models tbody tr").filter(
            has=page.get_by_role("link", name="Model version 1", exact=True)
        )
        # Keyboard focus on the row's link stays there through the swaps.
        model_row.get_by_role("link", name="Model version 1", exact=True).focus()
        expect(model_row.get_by_text("TRAINED", exact=True)).to_be_visible(timeout=180_000)
        assert page.evaluate("window.consoleTestMark") == "kept"
        assert page.evaluate("document.activeElement.id") == "model-1-link"
        expect(model_row.get_by_role("cell").nth(2)).to_have_text(re.compile(r"^0\.\d{3}$|^1\.000$"))
        page.set_viewport_size({"width": 800, "height": 900})
        no_page_wider_than_the_window(page)
        page.set_viewport_size({"width": 1280, "height": 900})

        model_row.get_by_role("link", name="Model version 1", exact=True).click()
        expect(page.get_by_role("heading", name="Model lv-cookies version 1")).to_be_visible()
        expect(page.locator("#metric-f1")).to_have_text(re.compile(r"^\d\.\d{3}$"))
        expect(page.get_by_text("s3://console-browser-data/model-output/", exact=True)).to_be_visible()
        page.get_by_role("button", name="Start hosting").click()
        expect(page.get_by_role("status").filter(has_text="Hosting is starting.")).to_be_visible()
        expect(page.locator("#model-status")).to_have_text("HOSTED", timeout=120_000)
        page.get_by_role("button", name="Stop hosting").click()
        expect(page.get_by_role("status").filter(has_text="Hosting is stopping.")).to_be_visible()
        expect(page.locator("#model-status")).to_have_text("TRAINED", timeout=120_000)
        no_page_wider_than_the_window(page)

        # A key that may train but not host or delete sees those controls disabled.
        page.get_by_role("button", name="Sign out").click()
        # Wait for the sign-in page: a navigation started before it ends would abort it.
        expect(page.get_by_role("status").filter(has_text="You are signed out.")).to_be_visible()
        sign_in(page, server, CREATOR_KEY, "/console/lookoutvision/projects/lv-cookies/models/1")
        expect(page.get_by_role("button", name="Start hosting")).to_be_disabled()
        expect(page.get_by_role("button", name="Delete this model")).to_be_disabled()
        assert watch.problems == []
