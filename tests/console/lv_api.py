"""Lookout for Vision state made the way a client makes it: signed S3 and API requests, no database.

The console tests check what the pages show of it and that a console action changes it exactly
as the API would.
"""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
from botocore.config import Config

from e2e.synthetic import SmallDataset, upload_small_dataset
from support.server import signed_json_request

API = "/2020-11-20/projects"
FINAL_DATASET = {"CREATE_COMPLETE", "CREATE_FAILED", "UPDATE_COMPLETE", "UPDATE_FAILED_ROLLBACK_COMPLETE"}
FINAL_MODEL = {"TRAINED", "TRAINING_FAILED", "HOSTED", "HOSTING_FAILED"}


class LookoutForVision:
    """A few operations over signed HTTP, as any client sends them."""

    def __init__(self, endpoint: str, key: tuple[str, str], region: str) -> None:
        self.endpoint, self.key, self.region = endpoint, key, region

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else b""
        headers = {"Content-Type": "application/json"} if body is not None else {}
        status, _, answer = signed_json_request(
            self.endpoint, path, self.key, region=self.region, method=method, body=data, headers=headers
        )
        return status, answer

    def s3(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id=self.key[0],
            aws_secret_access_key=self.key[1],
            config=Config(
                s3={"addressing_style": "path"}, signature_version="s3v4", retries={"max_attempts": 1}
            ),
        )

    def create_project(self, name: str) -> None:
        status, answer = self.request("POST", API, {"ProjectName": name})
        assert status == 200, answer

    def create_small_train_dataset(
        self, project: str, bucket: str, n_normal: int = 20, n_anomaly: int = 10
    ) -> SmallDataset:
        """Generated 96 px images and their manifest in ``bucket``, imported as the train dataset."""
        s3 = self.s3()
        s3.create_bucket(Bucket=bucket)
        dataset = upload_small_dataset(s3, bucket, f"{project}/", n_normal, n_anomaly)
        source = {"GroundTruthManifest": {"S3Object": {"Bucket": bucket, "Key": dataset.manifest_key}}}
        status, answer = self.request(
            "POST", f"{API}/{project}/datasets", {"DatasetType": "train", "DatasetSource": source}
        )
        assert status == 202, answer  # accepted: the import runs in the background
        assert self.wait_dataset(project, "train") == "CREATE_COMPLETE"
        return dataset

    def wait_dataset(self, project: str, dataset_type: str, timeout_s: float = 60) -> str:
        return self._wait(
            f"{API}/{project}/datasets/{dataset_type}", "DatasetDescription", FINAL_DATASET, timeout_s
        )

    def describe_model(self, project: str, version: str) -> tuple[int, Any]:
        return self.request("GET", f"{API}/{project}/models/{version}")

    def model_versions(self, project: str) -> list[str]:
        status, answer = self.request("GET", f"{API}/{project}/models")
        assert status == 200, answer
        return [m["ModelVersion"] for m in answer["Models"]]

    def wait_model(self, project: str, version: str, timeout_s: float = 300) -> str:
        return self._wait(f"{API}/{project}/models/{version}", "ModelDescription", FINAL_MODEL, timeout_s)

    def _wait(self, path: str, member: str, final: set[str], timeout_s: float) -> str:
        deadline = time.monotonic() + timeout_s
        while True:
            status, answer = self.request("GET", path)
            assert status == 200, answer
            if answer[member]["Status"] in final or time.monotonic() > deadline:
                return str(answer[member]["Status"])
            time.sleep(0.5)
