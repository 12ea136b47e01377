"""Which S3 operation a request is, and the IAM-style action it needs (or a 405/501)."""

from __future__ import annotations

from collections.abc import Mapping

from openlookout.api.s3_errors import S3Error, not_implemented

# Query parameters that name an S3 sub-resource we do not serve, and the stem of the
# operations they belong to (Get/Put/Delete + stem), so a 501 names the operation refused.
_UNSUPPORTED_SUBRESOURCES = {
    "accelerate": "BucketAccelerateConfiguration",
    "acl": "Acl",
    "analytics": "BucketAnalyticsConfiguration",
    "attributes": "ObjectAttributes",
    "cors": "BucketCors",
    "encryption": "BucketEncryption",
    "intelligent-tiering": "BucketIntelligentTieringConfiguration",
    "inventory": "BucketInventoryConfiguration",
    "legal-hold": "ObjectLegalHold",
    "lifecycle": "BucketLifecycleConfiguration",
    "logging": "BucketLogging",
    "metrics": "BucketMetricsConfiguration",
    "notification": "BucketNotificationConfiguration",
    "object-lock": "ObjectLockConfiguration",
    "ownershipControls": "BucketOwnershipControls",
    "policy": "BucketPolicy",
    "policyStatus": "BucketPolicyStatus",
    "publicAccessBlock": "PublicAccessBlock",
    "replication": "BucketReplication",
    "requestPayment": "BucketRequestPayment",
    "restore": "RestoreObject",
    "retention": "ObjectRetention",
    "select": "SelectObjectContent",
    "tagging": "Tagging",
    "torrent": "ObjectTorrent",
    "versioning": "BucketVersioning",
    "versions": "ListObjectVersions",
    "website": "BucketWebsite",
}
_VERBS = {"GET": "Get", "HEAD": "Get", "PUT": "Put", "DELETE": "Delete"}


def _unsupported_operation(subresource: str, method: str, on_object: bool) -> str:
    """The S3 operation name of a request for a sub-resource we do not serve."""
    stem = _UNSUPPORTED_SUBRESOURCES[subresource]
    if stem in ("RestoreObject", "SelectObjectContent", "ListObjectVersions"):
        return stem
    if stem in ("Acl", "Tagging"):
        stem = ("Object" if on_object else "Bucket") + stem
    return _VERBS.get(method, method.title()) + stem


def resolve_operation(
    method: str, bucket: str, key: str, params: Mapping[str, str], headers: Mapping[str, str]
) -> tuple[str, str]:
    """(operation name, IAM-style action) of a request, or an S3Error."""
    unsupported = sorted(set(_UNSUPPORTED_SUBRESOURCES).intersection(params))
    if not bucket:
        if method == "GET":
            return "ListBuckets", "s3:ListAllMyBuckets"
        raise S3Error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
    if unsupported:
        raise not_implemented(_unsupported_operation(unsupported[0], method, bool(key)))
    if not key:
        if method == "GET" and "location" in params:
            return "GetBucketLocation", "s3:GetBucketLocation"
        if method == "GET" and "uploads" in params:
            return "ListMultipartUploads", "s3:ListBucketMultipartUploads"
        if method == "GET":
            if params.get("list-type", "1") == "2":
                return "ListObjectsV2", "s3:ListBucket"
            if params.get("list-type", "1") != "1":
                raise S3Error(400, "InvalidArgument", "Invalid list-type; valid values are 1 and 2")
            return "ListObjects", "s3:ListBucket"
        if method == "POST" and "delete" in params:
            # Each key is then authorised for s3:DeleteObject (see _delete_objects).
            return "DeleteObjects", "s3:DeleteObject"
        if method == "POST":
            raise not_implemented("PostObject (browser-based upload)")
        simple = {"PUT": "CreateBucket", "HEAD": "HeadBucket", "DELETE": "DeleteBucket"}
        if method in simple:
            return simple[method], f"s3:{simple[method]}"
        raise S3Error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
    if method == "PUT":
        if "partNumber" in params or "uploadId" in params:
            if "x-amz-copy-source" in headers:
                return "UploadPartCopy", "s3:UploadPart"
            return "UploadPart", "s3:UploadPart"
        if "x-amz-copy-source" in headers:
            return "CopyObject", "s3:CopyObject"
        return "PutObject", "s3:PutObject"
    if method in ("GET", "HEAD"):
        if "uploadId" in params and method == "GET":
            return "ListParts", "s3:ListMultipartUploadParts"
        name = "GetObject" if method == "GET" else "HeadObject"
        if "partNumber" in params:
            raise not_implemented(f"{name} with partNumber")
        if params.get("versionId", "null") != "null":
            raise not_implemented(f"{name} with a versionId (versioning)")
        return ("GetObject", "s3:GetObject") if method == "GET" else ("HeadObject", "s3:GetObject")
    if method == "DELETE":
        if "uploadId" in params:
            return "AbortMultipartUpload", "s3:AbortMultipartUpload"
        return "DeleteObject", "s3:DeleteObject"
    if method == "POST":
        if "uploads" in params:
            return "CreateMultipartUpload", "s3:CreateMultipartUpload"
        if "uploadId" in params:
            return "CompleteMultipartUpload", "s3:CompleteMultipartUpload"
        raise not_implemented("This POST request on an object")
    raise S3Error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
