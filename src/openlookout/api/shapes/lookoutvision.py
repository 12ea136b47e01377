"""Amazon Lookout for Vision (API 2020-11-20): every operation and shape, declared once.

``SERVICE`` (a ``botocore.model.ServiceModel``) is what the request parser, the
validator, the response serialiser and the generated SDK model all read, so a
constraint changed here changes all of them together.
"""

from __future__ import annotations

from botocore.model import ServiceModel

from openlookout.api.shapes.declare import (
    Member,
    ShapeDict,
    blob,
    boolean,
    exception,
    float_,
    integer,
    list_of,
    m,
    operation,
    string,
    structure,
    timestamp,
)

API_VERSION = "2020-11-20"
SERVICE_NAME = "lookoutvision"

# Shared constraint patterns (several shapes reuse them).
_S3_KEY = r"^([a-zA-Z0-9!_.*'()-][/a-zA-Z0-9!_.*'()-]*)?$"
_TAG_TEXT = r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$"
_PACKAGING_TEXT = r"[a-zA-Z0-9-_. ()':,;?]+"
_TOKEN_HEADER = "X-Amzn-Client-Token"


def _client_token() -> Member:
    return m(
        "ClientToken",
        "Idempotency token; a retry with the same token and parameters repeats no work.",
        header=_TOKEN_HEADER,
        idempotency_token=True,
    )


def _project_in_uri() -> Member:
    return m("ProjectName", "Name of the project.", required=True, uri="projectName")


def _paging() -> dict[str, Member]:
    return {
        "NextToken": m("PaginationToken", "Token from a previous truncated page.", query="nextToken"),
        "MaxResults": m(
            "PageSize", "Largest number of results in one page (default 100).", query="maxResults"
        ),
    }


_SCALARS: dict[str, ShapeDict] = {
    "AnomalyClassFilter": string(1, 10, "(normal|anomaly)", doc="Filters entries by their label."),
    "AnomalyMask": blob(1, 5242880, doc="PNG image in which each anomaly type is painted in its colour."),
    "AnomalyName": string(1, 256, "[a-zA-Z0-9]*"),
    "Boolean": boolean(),
    "ClientToken": string(1, 64, "^[a-zA-Z0-9-]+$"),
    "Color": string(7, 7, r"\#[a-zA-Z0-9]{6}", doc="Hex RGB colour such as #FF0000."),
    "CompilerOptions": string(3, 1024, ".*", doc="JSON compiler options for the edge target."),
    "ComponentDescription": string(1, 256, _PACKAGING_TEXT),
    "ComponentName": string(1, 128, "[a-zA-Z0-9-_.]+"),
    "ComponentVersion": string(1, 64, r"^([0-9]{1,6})\.([0-9]{1,6})\.([0-9]{1,6})$"),
    "ComponentVersionArn": string(pattern="arn:[^:]*:greengrass:[^:]*:aws:components:[^:]+"),
    "ContentType": string(1, 255, ".*"),
    "DatasetChanges": blob(1, 10485760, doc="JSON lines that add or replace dataset entries."),
    "DatasetEntry": string(2, 8192, r"^\{.*\}$", doc="One manifest line (a JSON object)."),
    "DatasetStatus": string(
        enum=[
            "CREATE_IN_PROGRESS",
            "CREATE_COMPLETE",
            "CREATE_FAILED",
            "UPDATE_IN_PROGRESS",
            "UPDATE_COMPLETE",
            "UPDATE_FAILED_ROLLBACK_IN_PROGRESS",
            "UPDATE_FAILED_ROLLBACK_COMPLETE",
            "DELETE_IN_PROGRESS",
            "DELETE_COMPLETE",
            "DELETE_FAILED",
        ]
    ),
    "DatasetStatusMessage": string(),
    "DatasetType": string(1, 10, "train|test", doc="Which dataset of the project: train or test."),
    "DateTime": timestamp(),
    "ExceptionString": string(),
    "Float": float_(),
    "ImageSourceType": string(pattern="direct"),
    "InferenceUnits": integer(1, doc="Number of inference units."),
    "Integer": integer(),
    "IsLabeled": boolean(),
    "KmsKeyId": string(1, 2048, "^[A-Za-z0-9][A-Za-z0-9:_/+=,@.-]{0,2048}$"),
    "ModelArn": string(),
    "ModelDescriptionMessage": string(1, 500, r"[0-9A-Za-z\.\-_]*"),
    "ModelHostingStatus": string(
        enum=["STARTING_HOSTING", "HOSTED", "HOSTING_FAILED", "STOPPING_HOSTING", "SYSTEM_UPDATING"]
    ),
    "ModelPackagingJobDescription": string(1, 256, _PACKAGING_TEXT),
    "ModelPackagingJobName": string(1, 64, "[a-zA-Z0-9-]+"),
    "ModelPackagingJobStatus": string(enum=["CREATED", "RUNNING", "SUCCEEDED", "FAILED"]),
    "ModelPackagingMethod": string(1, 32, "^[a-zA-Z0-9]+"),
    "ModelPackagingStatusMessage": string(),
    "ModelStatus": string(
        enum=[
            "TRAINING",
            "TRAINED",
            "TRAINING_FAILED",
            "STARTING_HOSTING",
            "HOSTED",
            "HOSTING_FAILED",
            "STOPPING_HOSTING",
            "SYSTEM_UPDATING",
            "DELETING",
        ]
    ),
    "ModelStatusMessage": string(),
    "ModelVersion": string(1, 10, "([1-9][0-9]*|latest)", doc="Model version number, or latest."),
    "ModelVersionNoLatest": string(1, 10, "([1-9][0-9]*)", doc="Model version number."),
    "PageSize": integer(1, 100),
    "PaginationToken": string(max=2048, pattern=r"^[a-zA-Z0-9\/\+\=]{0,2048}$"),
    "ProjectArn": string(),
    "ProjectName": string(1, 255, r"[a-zA-Z0-9][a-zA-Z0-9_\-]*"),
    "QueryString": string(1, 2048, r".*\S.*"),
    "ResourceType": string(enum=["PROJECT", "DATASET", "MODEL", "TRIAL", "MODEL_PACKAGE_JOB"]),
    "RetryAfterSeconds": integer(),
    "S3BucketName": string(3, 63, r"[0-9A-Za-z\.\-_]*"),
    "S3KeyPrefix": string(max=1024, pattern=_S3_KEY),
    "S3ObjectKey": string(1, 1024, _S3_KEY),
    "S3ObjectVersion": string(1, 1024, ".*"),
    "Stream": blob(streaming=True, doc="Raw image bytes sent as the HTTP body."),
    "TagArn": string(1, 1011),
    "TagKey": string(1, 128, _TAG_TEXT),
    "TagKeyList": list_of("TagKey", 0, 200),
    "TagList": list_of("Tag", 0, 200),
    "TagValue": string(0, 256, _TAG_TEXT),
    "TargetDevice": string(enum=["jetson_xavier"]),
    "TargetPlatformAccelerator": string(enum=["NVIDIA"]),
    "TargetPlatformArch": string(enum=["ARM64", "X86_64"]),
    "TargetPlatformOs": string(enum=["LINUX"]),
}

_LISTS: dict[str, ShapeDict] = {
    "AnomalyList": list_of("Anomaly"),
    "DatasetEntryList": list_of("DatasetEntry"),
    "DatasetMetadataList": list_of("DatasetMetadata"),
    "ModelMetadataList": list_of("ModelMetadata"),
    "ModelPackagingJobsList": list_of("ModelPackagingJobMetadata"),
    "ProjectMetadataList": list_of("ProjectMetadata"),
}

_STRUCTURES: dict[str, ShapeDict] = {
    "Anomaly": structure({"Name": m("AnomalyName"), "PixelAnomaly": m("PixelAnomaly")}),
    "DatasetDescription": structure(
        {
            "ProjectName": m("ProjectName"),
            "DatasetType": m("DatasetType"),
            "CreationTimestamp": m("DateTime"),
            "LastUpdatedTimestamp": m("DateTime"),
            "Status": m("DatasetStatus"),
            "StatusMessage": m("DatasetStatusMessage"),
            "ImageStats": m("DatasetImageStats"),
        }
    ),
    "DatasetGroundTruthManifest": structure({"S3Object": m("InputS3Object")}),
    "DatasetImageStats": structure(
        {
            "Total": m("Integer"),
            "Labeled": m("Integer"),
            "Normal": m("Integer"),
            "Anomaly": m("Integer"),
        }
    ),
    "DatasetMetadata": structure(
        {
            "DatasetType": m("DatasetType"),
            "CreationTimestamp": m("DateTime"),
            "Status": m("DatasetStatus"),
            "StatusMessage": m("DatasetStatusMessage"),
        }
    ),
    "DatasetSource": structure(
        {"GroundTruthManifest": m("DatasetGroundTruthManifest", "Manifest in S3 to import.")}
    ),
    "DetectAnomalyResult": structure(
        {
            "Source": m("ImageSource"),
            "IsAnomalous": m("Boolean"),
            "Confidence": m("Float", "Confidence in IsAnomalous, from 0 to 1."),
            "Anomalies": m("AnomalyList", "Anomaly types found; the first entry is the background."),
            "AnomalyMask": m("AnomalyMask"),
        }
    ),
    "GreengrassConfiguration": structure(
        {
            "CompilerOptions": m("CompilerOptions"),
            "TargetDevice": m("TargetDevice"),
            "TargetPlatform": m("TargetPlatform"),
            "S3OutputLocation": m("S3Location", required=True),
            "ComponentName": m("ComponentName", required=True),
            "ComponentVersion": m("ComponentVersion"),
            "ComponentDescription": m("ComponentDescription"),
            "Tags": m("TagList"),
        }
    ),
    "GreengrassOutputDetails": structure(
        {
            "ComponentVersionArn": m("ComponentVersionArn"),
            "ComponentName": m("ComponentName"),
            "ComponentVersion": m("ComponentVersion"),
        }
    ),
    "ImageSource": structure({"Type": m("ImageSourceType")}),
    "InputS3Object": structure(
        {
            "Bucket": m("S3BucketName", required=True),
            "Key": m("S3ObjectKey", required=True),
            "VersionId": m("S3ObjectVersion"),
        }
    ),
    "ModelDescription": structure(
        {
            "ModelVersion": m("ModelVersion"),
            "ModelArn": m("ModelArn"),
            "CreationTimestamp": m("DateTime"),
            "Description": m("ModelDescriptionMessage"),
            "Status": m("ModelStatus"),
            "StatusMessage": m("ModelStatusMessage"),
            "Performance": m("ModelPerformance"),
            "OutputConfig": m("OutputConfig"),
            "EvaluationManifest": m("OutputS3Object"),
            "EvaluationResult": m("OutputS3Object"),
            "EvaluationEndTimestamp": m("DateTime"),
            "KmsKeyId": m("KmsKeyId"),
            "MinInferenceUnits": m("InferenceUnits"),
            "MaxInferenceUnits": m("InferenceUnits"),
        }
    ),
    "ModelMetadata": structure(
        {
            "CreationTimestamp": m("DateTime"),
            "ModelVersion": m("ModelVersion"),
            "ModelArn": m("ModelArn"),
            "Description": m("ModelDescriptionMessage"),
            "Status": m("ModelStatus"),
            "StatusMessage": m("ModelStatusMessage"),
            "Performance": m("ModelPerformance"),
        }
    ),
    "ModelPackagingConfiguration": structure({"Greengrass": m("GreengrassConfiguration", required=True)}),
    "ModelPackagingDescription": structure(
        {
            "JobName": m("ModelPackagingJobName"),
            "ProjectName": m("ProjectName"),
            "ModelVersion": m("ModelVersion"),
            "ModelPackagingConfiguration": m("ModelPackagingConfiguration"),
            "ModelPackagingJobDescription": m("ModelPackagingJobDescription"),
            "ModelPackagingMethod": m("ModelPackagingMethod"),
            "ModelPackagingOutputDetails": m("ModelPackagingOutputDetails"),
            "Status": m("ModelPackagingJobStatus"),
            "StatusMessage": m("ModelPackagingStatusMessage"),
            "CreationTimestamp": m("DateTime"),
            "LastUpdatedTimestamp": m("DateTime"),
        }
    ),
    "ModelPackagingJobMetadata": structure(
        {
            "JobName": m("ModelPackagingJobName"),
            "ProjectName": m("ProjectName"),
            "ModelVersion": m("ModelVersion"),
            "ModelPackagingJobDescription": m("ModelPackagingJobDescription"),
            "ModelPackagingMethod": m("ModelPackagingMethod"),
            "Status": m("ModelPackagingJobStatus"),
            "StatusMessage": m("ModelPackagingStatusMessage"),
            "CreationTimestamp": m("DateTime"),
            "LastUpdatedTimestamp": m("DateTime"),
        }
    ),
    "ModelPackagingOutputDetails": structure({"Greengrass": m("GreengrassOutputDetails")}),
    "ModelPerformance": structure({"F1Score": m("Float"), "Recall": m("Float"), "Precision": m("Float")}),
    "OutputConfig": structure({"S3Location": m("S3Location", "Where training output goes.", required=True)}),
    "OutputS3Object": structure(
        {"Bucket": m("S3BucketName", required=True), "Key": m("S3ObjectKey", required=True)}
    ),
    "PixelAnomaly": structure(
        {
            "TotalPercentageArea": m("Float", "Share of the image covered, as a fraction from 0 to 1."),
            "Color": m("Color"),
        }
    ),
    "ProjectDescription": structure(
        {
            "ProjectArn": m("ProjectArn"),
            "ProjectName": m("ProjectName"),
            "CreationTimestamp": m("DateTime"),
            "Datasets": m("DatasetMetadataList"),
        }
    ),
    "ProjectMetadata": structure(
        {"ProjectArn": m("ProjectArn"), "ProjectName": m("ProjectName"), "CreationTimestamp": m("DateTime")}
    ),
    "S3Location": structure({"Bucket": m("S3BucketName", required=True), "Prefix": m("S3KeyPrefix")}),
    "Tag": structure({"Key": m("TagKey", required=True), "Value": m("TagValue", required=True)}),
    "TargetPlatform": structure(
        {
            "Os": m("TargetPlatformOs", required=True),
            "Arch": m("TargetPlatformArch", required=True),
            "Accelerator": m("TargetPlatformAccelerator"),
        }
    ),
}


def _error_members(*, resource: bool = False, **more: Member) -> dict[str, Member]:
    """Every error's required Message; ``resource``: the required ResourceId and ResourceType."""
    members = {"Message": m("ExceptionString", required=True)}
    if resource:
        members.update(
            ResourceId=m("ExceptionString", required=True), ResourceType=m("ResourceType", required=True)
        )
    return {**members, **more}


_RETRY_AFTER = m("RetryAfterSeconds", header="Retry-After")

_ERRORS: dict[str, ShapeDict] = {
    "AccessDeniedException": exception(403, _error_members(), doc="The caller may not perform this action."),
    "ConflictException": exception(
        409,
        _error_members(resource=True),
        doc="The resource exists already or its state forbids the request.",
    ),
    "InternalServerException": exception(
        500,
        _error_members(RetryAfterSeconds=_RETRY_AFTER),
        fault=True,
        doc="The server failed; retry later.",
    ),
    "ResourceNotFoundException": exception(
        404, _error_members(resource=True), doc="The named resource does not exist."
    ),
    "ServiceQuotaExceededException": exception(
        402,
        _error_members(
            ResourceId=m("ExceptionString"),
            ResourceType=m("ResourceType"),
            QuotaCode=m("ExceptionString", required=True),
            ServiceCode=m("ExceptionString", required=True),
        ),
        doc="A service quota would be exceeded.",
    ),
    "ThrottlingException": exception(
        429,
        _error_members(
            QuotaCode=m("ExceptionString"), ServiceCode=m("ExceptionString"), RetryAfterSeconds=_RETRY_AFTER
        ),
        doc="Too many requests; slow down.",
    ),
    "ValidationException": exception(400, _error_members(), doc="A parameter failed its constraints."),
}

_EMPTY = structure({})

# Input and output shape of every operation, in the order of the operations table.
_IO: dict[str, ShapeDict] = {
    "CreateDatasetRequest": structure(
        {
            "ProjectName": _project_in_uri(),
            "DatasetType": m("DatasetType", required=True),
            "DatasetSource": m("DatasetSource", "Manifest to import; omit for an empty dataset."),
            "ClientToken": _client_token(),
        }
    ),
    "CreateDatasetResponse": structure({"DatasetMetadata": m("DatasetMetadata")}),
    "CreateModelRequest": structure(
        {
            "ProjectName": _project_in_uri(),
            "Description": m("ModelDescriptionMessage", "Free description of the model."),
            "ClientToken": _client_token(),
            "OutputConfig": m("OutputConfig", required=True),
            "KmsKeyId": m("KmsKeyId", "Key that encrypts the trained model."),
            "Tags": m("TagList", "Tags to attach to the new model."),
        }
    ),
    "CreateModelResponse": structure({"ModelMetadata": m("ModelMetadata")}),
    "CreateProjectRequest": structure(
        {"ProjectName": m("ProjectName", required=True), "ClientToken": _client_token()}
    ),
    "CreateProjectResponse": structure({"ProjectMetadata": m("ProjectMetadata")}),
    "DeleteDatasetRequest": structure(
        {
            "ProjectName": _project_in_uri(),
            "DatasetType": m("DatasetType", required=True, uri="datasetType"),
            "ClientToken": _client_token(),
        }
    ),
    "DeleteDatasetResponse": _EMPTY,
    "DeleteModelRequest": structure(
        {
            "ProjectName": _project_in_uri(),
            "ModelVersion": m("ModelVersionNoLatest", required=True, uri="modelVersion"),
            "ClientToken": _client_token(),
        }
    ),
    "DeleteModelResponse": structure({"ModelArn": m("ModelArn")}),
    "DeleteProjectRequest": structure({"ProjectName": _project_in_uri(), "ClientToken": _client_token()}),
    "DeleteProjectResponse": structure({"ProjectArn": m("ProjectArn")}),
    "DescribeDatasetRequest": structure(
        {"ProjectName": _project_in_uri(), "DatasetType": m("DatasetType", required=True, uri="datasetType")}
    ),
    "DescribeDatasetResponse": structure({"DatasetDescription": m("DatasetDescription")}),
    "DescribeModelRequest": structure(
        {
            "ProjectName": _project_in_uri(),
            "ModelVersion": m("ModelVersion", required=True, uri="modelVersion"),
        }
    ),
    "DescribeModelResponse": structure({"ModelDescription": m("ModelDescription")}),
    "DescribeModelPackagingJobRequest": structure(
        {
            "ProjectName": _project_in_uri(),
            "JobName": m("ModelPackagingJobName", required=True, uri="jobName"),
        }
    ),
    "DescribeModelPackagingJobResponse": structure(
        {"ModelPackagingDescription": m("ModelPackagingDescription")}
    ),
    "DescribeProjectRequest": structure({"ProjectName": _project_in_uri()}),
    "DescribeProjectResponse": structure({"ProjectDescription": m("ProjectDescription")}),
    "DetectAnomaliesRequest": structure(
        {
            "ProjectName": _project_in_uri(),
            "ModelVersion": m("ModelVersion", required=True, uri="modelVersion"),
            "Body": m("Stream", "PNG or JPEG image bytes.", required=True),
            "ContentType": m("ContentType", "image/png or image/jpeg.", required=True, header="Content-Type"),
        },
        payload="Body",
    ),
    "DetectAnomaliesResponse": structure({"DetectAnomalyResult": m("DetectAnomalyResult")}),
    "ListDatasetEntriesRequest": structure(
        {
            "ProjectName": _project_in_uri(),
            "DatasetType": m("DatasetType", required=True, uri="datasetType"),
            "Labeled": m("IsLabeled", "Only labeled (true) or unlabeled (false) entries.", query="labeled"),
            "AnomalyClass": m("AnomalyClassFilter", query="anomalyClass"),
            "BeforeCreationDate": m(
                "DateTime", "Only entries created before this time.", query="createdBefore"
            ),
            "AfterCreationDate": m("DateTime", "Only entries created after this time.", query="createdAfter"),
            **_paging(),
            "SourceRefContains": m(
                "QueryString", "Only entries whose image path contains this text.", query="sourceRefContains"
            ),
        }
    ),
    "ListDatasetEntriesResponse": structure(
        {"DatasetEntries": m("DatasetEntryList"), "NextToken": m("PaginationToken")}
    ),
    "ListModelPackagingJobsRequest": structure({"ProjectName": _project_in_uri(), **_paging()}),
    "ListModelPackagingJobsResponse": structure(
        {"ModelPackagingJobs": m("ModelPackagingJobsList"), "NextToken": m("PaginationToken")}
    ),
    "ListModelsRequest": structure({"ProjectName": _project_in_uri(), **_paging()}),
    "ListModelsResponse": structure({"Models": m("ModelMetadataList"), "NextToken": m("PaginationToken")}),
    "ListProjectsRequest": structure(_paging()),
    "ListProjectsResponse": structure(
        {"Projects": m("ProjectMetadataList"), "NextToken": m("PaginationToken")}
    ),
    "ListTagsForResourceRequest": structure({"ResourceArn": m("TagArn", required=True, uri="resourceArn")}),
    "ListTagsForResourceResponse": structure({"Tags": m("TagList")}),
    "StartModelRequest": structure(
        {
            "ProjectName": _project_in_uri(),
            "ModelVersion": m("ModelVersion", required=True, uri="modelVersion"),
            "MinInferenceUnits": m("InferenceUnits", "Units kept running.", required=True),
            "ClientToken": _client_token(),
            "MaxInferenceUnits": m("InferenceUnits", "Upper bound for automatic scaling."),
        }
    ),
    "StartModelResponse": structure({"Status": m("ModelHostingStatus")}),
    "StartModelPackagingJobRequest": structure(
        {
            "ProjectName": _project_in_uri(),
            "ModelVersion": m("ModelVersion", required=True),
            "JobName": m("ModelPackagingJobName", "Job name; a UUID is chosen when omitted."),
            "Configuration": m("ModelPackagingConfiguration", required=True),
            "Description": m("ModelPackagingJobDescription"),
            "ClientToken": _client_token(),
        }
    ),
    "StartModelPackagingJobResponse": structure({"JobName": m("ModelPackagingJobName")}),
    "StopModelRequest": structure(
        {
            "ProjectName": _project_in_uri(),
            "ModelVersion": m("ModelVersion", required=True, uri="modelVersion"),
            "ClientToken": _client_token(),
        }
    ),
    "StopModelResponse": structure({"Status": m("ModelHostingStatus")}),
    "TagResourceRequest": structure(
        {"ResourceArn": m("TagArn", required=True, uri="resourceArn"), "Tags": m("TagList", required=True)}
    ),
    "TagResourceResponse": _EMPTY,
    "UntagResourceRequest": structure(
        {
            "ResourceArn": m("TagArn", required=True, uri="resourceArn"),
            "TagKeys": m("TagKeyList", required=True, query="tagKeys"),
        }
    ),
    "UntagResourceResponse": _EMPTY,
    "UpdateDatasetEntriesRequest": structure(
        {
            "ProjectName": _project_in_uri(),
            "DatasetType": m("DatasetType", required=True, uri="datasetType"),
            "Changes": m("DatasetChanges", required=True),
            "ClientToken": _client_token(),
        }
    ),
    "UpdateDatasetEntriesResponse": structure({"Status": m("DatasetStatus")}),
}

_AD, _IS, _V, _C, _NF, _T, _SQ = (
    "AccessDeniedException",
    "InternalServerException",
    "ValidationException",
    "ConflictException",
    "ResourceNotFoundException",
    "ThrottlingException",
    "ServiceQuotaExceededException",
)
_COMMON = [_AD, _IS, _V, _C, _NF, _T]
_WITH_QUOTA = [*_COMMON, _SQ]
_NO_CONFLICT = [_AD, _IS, _V, _NF, _T]
_P = f"/{API_VERSION}/projects"

OPERATIONS: dict[str, ShapeDict] = {
    op["name"]: op
    for op in (
        operation(
            "CreateDataset",
            "POST",
            f"{_P}/{{projectName}}/datasets",
            errors=_WITH_QUOTA,
            status=202,
            doc="Creates the train or test dataset of a project, empty or imported from a manifest.",
        ),
        operation(
            "CreateModel",
            "POST",
            f"{_P}/{{projectName}}/models",
            errors=_WITH_QUOTA,
            status=202,
            doc="Starts training a new model version from the project's datasets.",
        ),
        operation("CreateProject", "POST", _P, errors=_WITH_QUOTA, doc="Creates an empty project."),
        operation(
            "DeleteDataset",
            "DELETE",
            f"{_P}/{{projectName}}/datasets/{{datasetType}}",
            errors=_COMMON,
            status=202,
            doc="Deletes a dataset; the images in S3 stay.",
        ),
        operation(
            "DeleteModel",
            "DELETE",
            f"{_P}/{{projectName}}/models/{{modelVersion}}",
            errors=_COMMON,
            status=202,
            doc="Deletes a model version that is neither training nor hosted.",
        ),
        operation(
            "DeleteProject",
            "DELETE",
            f"{_P}/{{projectName}}",
            errors=_COMMON,
            doc="Deletes a project that has no datasets and no models left.",
        ),
        operation(
            "DescribeDataset",
            "GET",
            f"{_P}/{{projectName}}/datasets/{{datasetType}}",
            errors=_COMMON,
            doc="Returns a dataset's status and image counts.",
        ),
        operation(
            "DescribeModel",
            "GET",
            f"{_P}/{{projectName}}/models/{{modelVersion}}",
            errors=_COMMON,
            doc="Returns a model version's status, metrics and evaluation output locations.",
        ),
        operation(
            "DescribeModelPackagingJob",
            "GET",
            f"{_P}/{{projectName}}/modelpackagingjobs/{{jobName}}",
            errors=_NO_CONFLICT,
            doc="Returns an edge packaging job's configuration and status.",
        ),
        operation(
            "DescribeProject",
            "GET",
            f"{_P}/{{projectName}}",
            errors=_COMMON,
            doc="Returns a project and the metadata of its datasets.",
        ),
        operation(
            "DetectAnomalies",
            "POST",
            f"{_P}/{{projectName}}/models/{{modelVersion}}/detect",
            errors=_COMMON,
            doc="Classifies (and for segmentation models, maps) anomalies in one image with a hosted model.",
        ),
        operation(
            "ListDatasetEntries",
            "GET",
            f"{_P}/{{projectName}}/datasets/{{datasetType}}/entries",
            errors=_COMMON,
            doc="Lists a dataset's manifest lines, optionally filtered.",
        ),
        operation(
            "ListModelPackagingJobs",
            "GET",
            f"{_P}/{{projectName}}/modelpackagingjobs",
            errors=_NO_CONFLICT,
            doc="Lists a project's edge packaging jobs.",
        ),
        operation(
            "ListModels",
            "GET",
            f"{_P}/{{projectName}}/models",
            errors=_COMMON,
            doc="Lists a project's model versions.",
        ),
        operation("ListProjects", "GET", _P, errors=_COMMON, doc="Lists the projects of the account."),
        operation(
            "ListTagsForResource",
            "GET",
            f"/{API_VERSION}/tags/{{resourceArn}}",
            errors=_COMMON,
            doc="Lists the tags of a model.",
        ),
        operation(
            "StartModel",
            "POST",
            f"{_P}/{{projectName}}/models/{{modelVersion}}/start",
            errors=_WITH_QUOTA,
            status=202,
            doc="Starts hosting a trained model for inference.",
        ),
        operation(
            "StartModelPackagingJob",
            "POST",
            f"{_P}/{{projectName}}/modelpackagingjobs",
            errors=_WITH_QUOTA,
            doc="Packages a trained model as an edge component.",
        ),
        operation(
            "StopModel",
            "POST",
            f"{_P}/{{projectName}}/models/{{modelVersion}}/stop",
            errors=_COMMON,
            status=202,
            doc="Stops hosting a model; it returns to TRAINED.",
        ),
        operation(
            "TagResource",
            "POST",
            f"/{API_VERSION}/tags/{{resourceArn}}",
            errors=_WITH_QUOTA,
            doc="Adds or replaces tags on a model.",
        ),
        operation(
            "UntagResource",
            "DELETE",
            f"/{API_VERSION}/tags/{{resourceArn}}",
            errors=_COMMON,
            doc="Removes tags from a model.",
        ),
        operation(
            "UpdateDatasetEntries",
            "PATCH",
            f"{_P}/{{projectName}}/datasets/{{datasetType}}/entries",
            errors=_COMMON,
            status=202,
            doc="Adds or relabels dataset entries from JSON lines.",
        ),
    )
}

SERVICE_MODEL: dict = {
    "version": "2.0",
    "metadata": {
        "apiVersion": API_VERSION,
        "endpointPrefix": SERVICE_NAME,
        "jsonVersion": "1.1",
        "protocol": "rest-json",
        "protocols": ["rest-json"],
        "serviceFullName": "Amazon Lookout for Vision",
        "serviceId": "LookoutVision",
        "signatureVersion": "v4",
        "signingName": SERVICE_NAME,
        "uid": f"{SERVICE_NAME}-{API_VERSION}",
        "auth": ["aws.auth#sigv4"],
    },
    "operations": OPERATIONS,
    "shapes": dict(sorted({**_SCALARS, **_LISTS, **_STRUCTURES, **_ERRORS, **_IO}.items())),
    "documentation": "openlookout's self-hosted Lookout for Vision: find anomalies in images of "
    "industrial products with models trained on your own labelled images.",
}


def _paginator(result_key: str) -> dict[str, str]:
    return {
        "input_token": "NextToken",
        "output_token": "NextToken",
        "limit_key": "MaxResults",
        "result_key": result_key,
    }


PAGINATORS: dict = {
    "pagination": {
        "ListDatasetEntries": _paginator("DatasetEntries"),
        "ListModels": _paginator("Models"),
        "ListProjects": _paginator("Projects"),
        "ListModelPackagingJobs": _paginator("ModelPackagingJobs"),
    }
}

SERVICE = ServiceModel(SERVICE_MODEL, service_name=SERVICE_NAME)
