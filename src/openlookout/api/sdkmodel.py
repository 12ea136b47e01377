"""Write the botocore data files that let current boto3 talk to this server.

boto3 dropped ``lookoutvision``; pointing ``AWS_DATA_PATH`` at the folder written
here brings the client back, built from the same declarations the server uses.
"""

from __future__ import annotations

import json
from pathlib import Path

from openlookout.api.shapes.lookoutvision import API_VERSION, PAGINATORS, SERVICE_MODEL, SERVICE_NAME


def _endpoint_rule_set() -> dict:
    """Endpoint rules: an explicit endpoint URL wins, else the AWS-style regional host.

    botocore 1.44 would fall back to its legacy resolver without one; shipping the rule
    set keeps ``endpoint_url`` / ``AWS_ENDPOINT_URL_LOOKOUTVISION`` on the current path.
    """

    def endpoint(url: object) -> dict:
        return {"url": url, "properties": {}, "headers": {}}

    def is_true(name: str) -> dict:
        return {"fn": "booleanEquals", "argv": [{"ref": name}, True]}

    return {
        "version": "1.0",
        "parameters": {
            "Region": {
                "builtIn": "AWS::Region",
                "required": False,
                "type": "String",
                "documentation": "Region the request goes to.",
            },
            "UseDualStack": {
                "builtIn": "AWS::UseDualStack",
                "required": True,
                "default": False,
                "type": "Boolean",
                "documentation": "Ask for a dual-stack endpoint.",
            },
            "UseFIPS": {
                "builtIn": "AWS::UseFIPS",
                "required": True,
                "default": False,
                "type": "Boolean",
                "documentation": "Ask for a FIPS endpoint.",
            },
            "Endpoint": {
                "builtIn": "SDK::Endpoint",
                "required": False,
                "type": "String",
                "documentation": "Endpoint URL that overrides the regional default.",
            },
        },
        "rules": [
            {
                "conditions": [{"fn": "isSet", "argv": [{"ref": "Endpoint"}]}],
                "endpoint": endpoint({"ref": "Endpoint"}),
                "type": "endpoint",
            },
            {
                "conditions": [is_true("UseFIPS")],
                "error": "FIPS endpoints are not defined for lookoutvision; set an endpoint URL instead",
                "type": "error",
            },
            {
                "conditions": [is_true("UseDualStack")],
                "error": "Dual-stack endpoints are not defined for lookoutvision; set an endpoint URL",
                "type": "error",
            },
            {
                "conditions": [{"fn": "isSet", "argv": [{"ref": "Region"}]}],
                "endpoint": endpoint(f"https://{SERVICE_NAME}.{{Region}}.amazonaws.com"),
                "type": "endpoint",
            },
            {"conditions": [], "error": "Invalid Configuration: Missing Region", "type": "error"},
        ],
    }


def write_sdk_model(out_dir: Path) -> Path:
    """Write ``<out_dir>/lookoutvision/2020-11-20/{service-2,paginators-1,endpoint-rule-set-1}.json``.

    Returns the path of ``service-2.json``. Use with ``AWS_DATA_PATH=<out_dir>``.
    """
    folder = Path(out_dir) / SERVICE_NAME / API_VERSION
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "service-2.json": SERVICE_MODEL,
        "paginators-1.json": PAGINATORS,
        "endpoint-rule-set-1.json": _endpoint_rule_set(),
    }
    for name, document in files.items():
        (folder / name).write_text(json.dumps(document, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    return folder / "service-2.json"
