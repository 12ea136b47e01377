"""The Lookout for Vision project and model pages over HTTP: datasets, training, hosting, delete.

State is made through signed S3 and API requests (lv_api.py) and read back the same way, so a
console action is checked to change exactly what the API operation of that name changes.
"""

from __future__ import annotations

import pytest

from .conftest import READER_KEY, REGION, ROOT_KEY, ConsoleServer
from .console_client import ConsoleClient
from .lv_api import LookoutForVision

PROJECT = "/console/lookoutvision/projects/widgets"
MODEL = f"{PROJECT}/models/1"
PAGES = [PROJECT, f"{PROJECT}/state", MODEL, f"{MODEL}/state", f"{MODEL}/delete"]
ACTIONS = [f"{PROJECT}/models", f"{MODEL}/start", f"{MODEL}/stop", f"{MODEL}/delete"]
BUCKET = "console-data"
OUTPUT = {"bucket": BUCKET, "prefix": "runs/"}


@pytest.fixture
def api(console_server: ConsoleServer) -> LookoutForVision:
    return LookoutForVision(console_server.endpoint, ROOT_KEY, REGION)


@pytest.fixture
def with_dataset(api: LookoutForVision) -> LookoutForVision:
    """Project ``widgets`` with a train dataset of 20 normal and 10 anomaly images."""
    api.create_project("widgets")
    api.create_small_train_dataset("widgets", BUCKET)
    return api


def reader(console_server: ConsoleServer) -> ConsoleClient:
    client = console_server.client()
    assert client.sign_in(READER_KEY).status == 303
    return client


def test_pages_need_a_session_and_actions_change_nothing(
    console_server: ConsoleServer, api: LookoutForVision
) -> None:
    api.create_project("widgets")
    client = console_server.client()
    for path in PAGES:
        response = client.get(path)
        assert response.status == 303, path
        assert response.headers["location"].startswith("/console/signin?next="), path
        assert client.get(path, headers={"HX-Request": "true"}).status == 401, path
    for path in ACTIONS:
        assert client.post(path, {**OUTPUT, "csrf_token": "x"}).status == 401, path
    assert api.model_versions("widgets") == []


def test_the_projects_list_links_each_lookout_for_vision_project(
    api: LookoutForVision, root_client: ConsoleClient
) -> None:
    api.create_project("widgets")
    listing = root_client.get("/console/projects").data.decode()
    assert f'<a href="{PROJECT}"><span title=' in listing
    page = root_client.get(PROJECT)
    assert page.status == 200
    text = page.data.decode()
    assert "Project widgets" in text and "No datasets yet" in text and "No models yet." in text
    assert 'hx-trigger="every 2s"' not in text  # nothing is changing: no polling


def test_training_without_datasets_shows_the_apis_message(
    api: LookoutForVision, root_client: ConsoleClient
) -> None:
    api.create_project("widgets")
    token = root_client.csrf_token(PROJECT)
    response = root_client.post(f"{PROJECT}/models", {**OUTPUT, "csrf_token": token})
    assert response.status == 400
    text = response.data.decode()
    assert "ValidationException" in text
    assert "The project widgets has no train dataset. Create one before training a model." in text
    assert f'value="{BUCKET}"' in text  # the entered location is kept in the form
    assert api.model_versions("widgets") == []


def test_an_unknown_project_is_not_found(root_client: ConsoleClient) -> None:
    response = root_client.get("/console/lookoutvision/projects/ghost")
    assert response.status == 404 and "ResourceNotFoundException" in response.data.decode()
    model = root_client.get("/console/lookoutvision/projects/ghost/models/1")
    assert model.status == 404 and "ResourceNotFoundException" in model.data.decode()


def test_the_project_page_shows_the_dataset_made_through_the_api(
    with_dataset: LookoutForVision, root_client: ConsoleClient
) -> None:
    text = root_client.get(PROJECT).data.decode()
    row = text.split('<th scope="row">train</th>', 1)[1].split("</tr>", 1)[0]
    assert "CREATE_COMPLETE" in row
    cells = [cell.split("</td>", 1)[0] for cell in row.split("<td>")[2:]]
    assert cells == ["30", "30", "20", "10"]  # images, labelled, normal, anomaly
    assert 'name="prefix" value="model-output/"' in text  # no model yet: the default prefix


def test_train_errors_are_the_apis(with_dataset: LookoutForVision, root_client: ConsoleClient) -> None:
    token = root_client.csrf_token(PROJECT)
    missing = root_client.post(f"{PROJECT}/models", {"bucket": "no-such-bucket", "csrf_token": token})
    assert missing.status == 400
    assert "The output bucket &#39;no-such-bucket&#39; does not exist." in missing.data.decode()
    invalid = root_client.post(f"{PROJECT}/models", {"bucket": "", "csrf_token": token})
    assert invalid.status == 400 and "ValidationException" in invalid.data.decode()
    assert with_dataset.model_versions("widgets") == []


def test_csrf_is_required_on_every_new_action(
    with_dataset: LookoutForVision, root_client: ConsoleClient
) -> None:
    for path in ACTIONS:
        assert root_client.post(path, OUTPUT).status == 403, path
        assert root_client.post(path, {**OUTPUT, "csrf_token": "wrong"}).status == 403, path
        foreign = {"Origin": "http://evil.example"}
        token = root_client.csrf_token(PROJECT)
        assert root_client.post(path, {**OUTPUT, "csrf_token": token}, foreign).status == 403, path
    assert with_dataset.model_versions("widgets") == []


def the_pages_show_the_evaluation(trained: LookoutForVision, root_client: ConsoleClient) -> None:
    project = root_client.get(PROJECT).data.decode()
    assert 'aria-label="Model version 1"' in project and "TRAINED" in project
    described = trained.describe_model("widgets", "1")[1]["ModelDescription"]
    performance = described["Performance"]
    assert f"{performance['F1Score']:.3f}" in project
    # The train form now defaults to where the last model wrote its evaluation.
    assert f'name="bucket" value="{BUCKET}"' in project and 'name="prefix" value="runs/"' in project
    state = root_client.get(f"{PROJECT}/state").data.decode()
    assert 'id="project-state"' in state
    assert 'hx-trigger="every 2s"' not in state  # final: the polling stops
    page = root_client.get(MODEL)
    assert page.status == 200
    text = page.data.decode()
    for metric, key in (("f1", "F1Score"), ("precision", "Precision"), ("recall", "Recall")):
        assert f'id="metric-{metric}">{performance[key]:.3f}<' in text
    assert f"<code>s3://{BUCKET}/runs/</code>" in text
    assert "Not hosted." in text
    assert '<button type="submit" id="start-hosting">Start hosting</button>' in text
    assert '<button type="submit" id="stop-hosting" disabled>Stop hosting</button>' in text  # nothing to stop


def train_through_the_console(with_dataset: LookoutForVision, root_client: ConsoleClient) -> None:
    token = root_client.csrf_token(PROJECT)
    # A double submit of one form is one CreateModel (the form's ClientToken).
    form = {**OUTPUT, "csrf_token": token, "client_token": "console-test-1"}
    assert root_client.post(f"{PROJECT}/models", form).status == 303
    again = root_client.post(f"{PROJECT}/models", form)
    assert again.status == 303 and again.headers["location"].startswith(f"{PROJECT}?trained=1")
    assert with_dataset.model_versions("widgets") == ["1"]
    state = root_client.get(f"{MODEL}/state").data.decode()
    if "TRAINING" in state.split('id="model-status">', 1)[1].split("<", 1)[0]:
        assert f'hx-get="{MODEL}/state" hx-trigger="every 2s"' in state
        project = root_client.get(f"{PROJECT}/state").data.decode()
        assert f'hx-get="{PROJECT}/state"' in project and "updating every 2 s" in project
    assert with_dataset.wait_model("widgets", "1") == "TRAINED"
    assert 'hx-trigger="every 2s"' not in root_client.get(f"{MODEL}/state").data.decode()


def start_and_stop_hosting(trained: LookoutForVision, root_client: ConsoleClient) -> None:
    token = root_client.csrf_token(MODEL)
    started = root_client.post(f"{MODEL}/start", {"csrf_token": token})
    assert started.status == 303 and started.headers["location"] == f"{MODEL}?done=StartModel"
    assert trained.wait_model("widgets", "1", timeout_s=120) == "HOSTED"
    described = trained.describe_model("widgets", "1")[1]["ModelDescription"]
    assert described["MinInferenceUnits"] == 1
    hosted = root_client.get(MODEL).data.decode()
    assert "Hosted with 1 inference unit(s)" in hosted
    # Hosted: DeleteModel is the API's conflict, shown on the confirmation page.
    refused = root_client.post(f"{MODEL}/delete", {"csrf_token": token})
    assert refused.status == 409 and "ConflictException" in refused.data.decode()
    again = root_client.post(f"{MODEL}/start", {"csrf_token": token})
    assert again.status == 409 and "ConflictException" in again.data.decode()
    stopped = root_client.post(f"{MODEL}/stop", {"csrf_token": token})
    assert stopped.status == 303 and stopped.headers["location"] == f"{MODEL}?done=StopModel"
    assert trained.wait_model("widgets", "1", timeout_s=120) == "TRAINED"


def delete_after_the_confirmation_page(trained: LookoutForVision, root_client: ConsoleClient) -> None:
    confirm = root_client.get(f"{MODEL}/delete")
    assert confirm.status == 200 and "Delete model version 1 of widgets?" in confirm.data.decode()
    token = root_client.csrf_token(MODEL)
    deleted = root_client.post(f"{MODEL}/delete", {"csrf_token": token})
    assert deleted.status == 303 and deleted.headers["location"] == f"{PROJECT}?deleted=1#models"
    assert trained.model_versions("widgets") == []
    assert (
        "Model version <strong>1</strong> deleted." in root_client.get(PROJECT + "?deleted=1").data.decode()
    )
    gone = root_client.post(f"{MODEL}/delete", {"csrf_token": token})
    assert gone.status == 404 and "ResourceNotFoundException" in gone.data.decode()


def a_read_only_key_is_refused(console_server: ConsoleServer, trained: LookoutForVision) -> None:
    client = reader(console_server)
    project = client.get(PROJECT).data.decode()
    assert "Your key may not train models (lookoutvision:CreateModel)." in project
    assert '<button type="submit" disabled>Train model</button>' in project
    assert 'aria-label="Delete model version 1 (not allowed for your key)"' in project
    model = client.get(MODEL).data.decode()
    denied = 'id="start-hosting" disabled aria-describedby="start-denied">Start hosting</button>'
    assert denied in model
    denied = 'id="stop-hosting" disabled aria-describedby="stop-denied">Stop hosting</button>'
    assert denied in model
    assert "lookoutvision:StartModel" in model and "lookoutvision:StopModel" in model
    assert "lookoutvision:DeleteModel" in model
    token = client.csrf_token(PROJECT)
    for path in ACTIONS:
        refused = client.post(path, {**OUTPUT, "csrf_token": token})
        assert refused.status == 403, path
        assert "AccessDeniedException" in refused.data.decode(), path
        assert "is not authorized to perform" in refused.data.decode(), path
    assert trained.model_versions("widgets") == ["1"]
    assert trained.describe_model("widgets", "1")[1]["ModelDescription"]["Status"] == "TRAINED"


def test_train_look_host_and_delete_a_model(
    console_server: ConsoleServer, with_dataset: LookoutForVision, root_client: ConsoleClient
) -> None:
    """One real training (96 px images, seconds), then every page and action of that model."""
    train_through_the_console(with_dataset, root_client)
    the_pages_show_the_evaluation(with_dataset, root_client)
    a_read_only_key_is_refused(console_server, with_dataset)
    start_and_stop_hosting(with_dataset, root_client)
    delete_after_the_confirmation_page(with_dataset, root_client)
