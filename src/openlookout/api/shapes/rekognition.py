"""Amazon Rekognition (API 2016-06-27), Custom Labels subset: the 23 operations and their shapes.

Only the Custom Labels operations of spec B.3 are declared. ``SERVICE`` drives the JSON 1.1
parser, the validator and the serialiser exactly as the Lookout for Vision model does for
rest-json. Exception HTTP statuses follow spec B.1 (400 for client errors, 500 for faults).
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

API_VERSION = "2016-06-27"
SERVICE_NAME = "rekognition"
TARGET_PREFIX = "RekognitionService"

_NAME = r"[a-zA-Z0-9_.\-]+"
_NAME_IN_ARN = r"[a-zA-Z0-9_.\-]{1,255}"
_ARN_HEAD = r"^arn:[a-z\d-]+:rekognition:[a-z\d-]+:\d{12}:project\/" + _NAME_IN_ARN
_TAG_KEY = r"^(?!aws:)[\p{L}\p{Z}\p{N}_.:/=+\-@]*$"
_TAG_VALUE = r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$"

_SCALARS: dict[str, ShapeDict] = {
    "Boolean": boolean(),
    "CustomizationFeature": string(enum=["CONTENT_MODERATION", "CUSTOM_LABELS"]),
    "DatasetArn": string(20, 2048, r"(" + _ARN_HEAD + r"\/dataset\/(train|test)\/[0-9]+$)"),
    "DatasetEntry": string(1, 100000, r"^\{.*\}$", doc="One manifest line (a JSON object)."),
    "DatasetLabel": string(1, 255, ".{1,}"),
    "DatasetStatus": string(
        enum=[
            "CREATE_IN_PROGRESS",
            "CREATE_COMPLETE",
            "CREATE_FAILED",
            "UPDATE_IN_PROGRESS",
            "UPDATE_COMPLETE",
            "UPDATE_FAILED",
            "DELETE_IN_PROGRESS",
        ]
    ),
    "DatasetStatusMessageCode": string(enum=["SUCCESS", "SERVICE_ERROR", "CLIENT_ERROR"]),
    "DatasetType": string(enum=["TRAIN", "TEST"]),
    "DateTime": timestamp(),
    "ExtendedPaginationToken": string(max=1024),
    "Float": float_(),
    "GroundTruthBlob": blob(1, 5242880, doc="JSON lines (base64 on the wire) that add or update entries."),
    "HasErrors": boolean(),
    "ImageBlob": blob(1, 5242880),
    "InferenceUnits": integer(min=1),
    "IsLabeled": boolean(),
    "KmsKeyId": string(1, 2048, r"^[A-Za-z0-9][A-Za-z0-9:_/+=,@.-]{0,2048}$"),
    "ListDatasetEntriesPageSize": integer(1, 100),
    "ListDatasetLabelsPageSize": integer(1, 100),
    "ListProjectPoliciesPageSize": integer(1, 5),
    "Percent": float_(),
    "ProjectArn": string(20, 2048, r"(" + _ARN_HEAD + r"\/[0-9]+$)"),
    "ProjectAutoUpdate": string(enum=["ENABLED", "DISABLED"]),
    "ProjectName": string(1, 255, _NAME),
    "ProjectPolicyDocument": string(1, 2000, r"[\u0009\u000A\u000D\u0020-\u00FF]+"),
    "ProjectPolicyName": string(1, 128, _NAME),
    "ProjectPolicyRevisionId": string(max=64, pattern="[0-9A-Fa-f]+"),
    "ProjectStatus": string(enum=["CREATING", "CREATED", "DELETING"]),
    "ProjectVersionArn": string(20, 2048, r"(" + _ARN_HEAD + r"\/version\/" + _NAME_IN_ARN + r"\/[0-9]+$)"),
    "ProjectVersionStatus": string(
        enum=[
            "TRAINING_IN_PROGRESS",
            "TRAINING_COMPLETED",
            "TRAINING_FAILED",
            "STARTING",
            "RUNNING",
            "FAILED",
            "STOPPING",
            "STOPPED",
            "DELETING",
            "COPYING_IN_PROGRESS",
            "COPYING_COMPLETED",
            "COPYING_FAILED",
            "DEPRECATED",
            "EXPIRED",
        ]
    ),
    "ProjectVersionsPageSize": integer(1, 100),
    "ProjectsPageSize": integer(1, 100),
    "QueryString": string(1, 2048, r".*\S.*"),
    "ResourceArn": string(20, 2048),
    "S3Bucket": string(3, 255, r"[0-9A-Za-z\.\-_]*"),
    "S3KeyPrefix": string(max=1024),
    "S3ObjectName": string(1, 1024),
    "S3ObjectVersion": string(1, 1024),
    "StatusMessage": string(),
    "String": string(),
    "TagKey": string(1, 128, _TAG_KEY),
    "TagValue": string(0, 256, _TAG_VALUE),
    "UInteger": integer(min=0),
    "ULong": {"type": "long", "min": 0},
    "VersionDescription": string(1, 255, r"[a-zA-Z0-9-_. ()':,;?]+"),
    "VersionName": string(1, 255, _NAME),
}
# Percent carries a range: float_() has no limits argument, so add them here.
_SCALARS["Percent"].update({"max": 100, "min": 0})

_LISTS: dict[str, ShapeDict] = {
    "Assets": list_of("Asset"),
    "CustomLabels": list_of("CustomLabel"),
    "CustomizationFeatures": list_of("CustomizationFeature", 1, 2),
    "DatasetEntries": list_of("DatasetEntry"),
    "DatasetLabelDescriptions": list_of("DatasetLabelDescription"),
    "DatasetLabels": list_of("DatasetLabel", 1, 10),
    "DatasetMetadataList": list_of("DatasetMetadata"),
    "DistributeDatasetMetadataList": list_of("DistributeDataset", 2, 2),
    "Polygon": list_of("Point"),
    "ProjectDescriptions": list_of("ProjectDescription"),
    "ProjectNames": list_of("ProjectName", 1, 10),
    "ProjectPolicies": list_of("ProjectPolicy"),
    "ProjectVersionDescriptions": list_of("ProjectVersionDescription"),
    "TagKeyList": list_of("TagKey", 0, 200),
    "VersionNames": list_of("VersionName", 1, 10),
}
_LISTS["TagMap"] = {
    "type": "map",
    "key": {"shape": "TagKey"},
    "value": {"shape": "TagValue"},
    "max": 200,
    "min": 0,
}


def _s(**members: Member) -> ShapeDict:
    return structure(dict(members))


def _req(shape: str) -> Member:
    return m(shape, required=True)


_STRUCTURES: dict[str, ShapeDict] = {
    "Asset": _s(GroundTruthManifest=m("GroundTruthManifest")),
    "BoundingBox": _s(Width=m("Float"), Height=m("Float"), Left=m("Float"), Top=m("Float")),
    "CustomLabel": _s(Name=m("String"), Confidence=m("Percent"), Geometry=m("Geometry")),
    "CustomizationFeatureConfig": _s(ContentModeration=m("CustomizationFeatureContentModerationConfig")),
    "CustomizationFeatureContentModerationConfig": _s(ConfidenceThreshold=m("Percent")),
    "DatasetChanges": _s(GroundTruth=_req("GroundTruthBlob")),
    "DatasetDescription": _s(
        CreationTimestamp=m("DateTime"),
        LastUpdatedTimestamp=m("DateTime"),
        Status=m("DatasetStatus"),
        StatusMessage=m("StatusMessage"),
        StatusMessageCode=m("DatasetStatusMessageCode"),
        DatasetStats=m("DatasetStats"),
    ),
    "DatasetLabelDescription": _s(LabelName=m("DatasetLabel"), LabelStats=m("DatasetLabelStats")),
    "DatasetLabelStats": _s(EntryCount=m("UInteger"), BoundingBoxCount=m("UInteger")),
    "DatasetMetadata": _s(
        CreationTimestamp=m("DateTime"),
        DatasetType=m("DatasetType"),
        DatasetArn=m("DatasetArn"),
        Status=m("DatasetStatus"),
        StatusMessage=m("StatusMessage"),
        StatusMessageCode=m("DatasetStatusMessageCode"),
    ),
    "DatasetSource": _s(GroundTruthManifest=m("GroundTruthManifest"), DatasetArn=m("DatasetArn")),
    "DatasetStats": _s(
        LabeledEntries=m("UInteger"),
        TotalEntries=m("UInteger"),
        TotalLabels=m("UInteger"),
        ErrorEntries=m("UInteger"),
    ),
    "DistributeDataset": _s(Arn=_req("DatasetArn")),
    "EvaluationResult": _s(F1Score=m("Float"), Summary=m("Summary")),
    "Geometry": _s(BoundingBox=m("BoundingBox"), Polygon=m("Polygon")),
    "GroundTruthManifest": _s(S3Object=m("S3Object")),
    "Image": _s(Bytes=m("ImageBlob"), S3Object=m("S3Object")),
    "OutputConfig": _s(S3Bucket=m("S3Bucket"), S3KeyPrefix=m("S3KeyPrefix")),
    "Point": _s(X=m("Float"), Y=m("Float")),
    "ProjectDescription": _s(
        ProjectArn=m("ProjectArn"),
        CreationTimestamp=m("DateTime"),
        Status=m("ProjectStatus"),
        Datasets=m("DatasetMetadataList"),
        Feature=m("CustomizationFeature"),
        AutoUpdate=m("ProjectAutoUpdate"),
    ),
    "ProjectPolicy": _s(
        ProjectArn=m("ProjectArn"),
        PolicyName=m("ProjectPolicyName"),
        PolicyRevisionId=m("ProjectPolicyRevisionId"),
        PolicyDocument=m("ProjectPolicyDocument"),
        CreationTimestamp=m("DateTime"),
        LastUpdatedTimestamp=m("DateTime"),
    ),
    "ProjectVersionDescription": _s(
        ProjectVersionArn=m("ProjectVersionArn"),
        CreationTimestamp=m("DateTime"),
        MinInferenceUnits=m("InferenceUnits"),
        Status=m("ProjectVersionStatus"),
        StatusMessage=m("StatusMessage"),
        BillableTrainingTimeInSeconds=m("ULong"),
        TrainingEndTimestamp=m("DateTime"),
        OutputConfig=m("OutputConfig"),
        TrainingDataResult=m("TrainingDataResult"),
        TestingDataResult=m("TestingDataResult"),
        EvaluationResult=m("EvaluationResult"),
        ManifestSummary=m("GroundTruthManifest"),
        KmsKeyId=m("KmsKeyId"),
        MaxInferenceUnits=m("InferenceUnits"),
        SourceProjectVersionArn=m("ProjectVersionArn"),
        VersionDescription=m("VersionDescription"),
        Feature=m("CustomizationFeature"),
        BaseModelVersion=m("String"),
        FeatureConfig=m("CustomizationFeatureConfig"),
    ),
    "S3Object": _s(Bucket=m("S3Bucket"), Name=m("S3ObjectName"), Version=m("S3ObjectVersion")),
    "Summary": _s(S3Object=m("S3Object")),
    "TestingData": _s(Assets=m("Assets"), AutoCreate=m("Boolean")),
    "TestingDataResult": _s(Input=m("TestingData"), Output=m("TestingData"), Validation=m("ValidationData")),
    "TrainingData": _s(Assets=m("Assets")),
    "TrainingDataResult": _s(
        Input=m("TrainingData"), Output=m("TrainingData"), Validation=m("ValidationData")
    ),
    "ValidationData": _s(Assets=m("Assets")),
}

# Spec B.1: 400 for client errors, 500 for InternalServerError; ThrottlingException is a fault
# in the model and its status is undocumented, so it gets 500 too (docs/custom_labels.md).
_CLIENT_ERRORS = [
    "AccessDeniedException",
    "ImageTooLargeException",
    "InvalidImageFormatException",
    "InvalidPaginationTokenException",
    "InvalidParameterException",
    "InvalidPolicyRevisionIdException",
    "InvalidS3ObjectException",
    "LimitExceededException",
    "MalformedPolicyDocumentException",
    "ProvisionedThroughputExceededException",
    "ResourceAlreadyExistsException",
    "ResourceInUseException",
    "ResourceNotFoundException",
    "ResourceNotReadyException",
    "ServiceQuotaExceededException",
]
_ERRORS: dict[str, ShapeDict] = {name: exception(400, {}) for name in _CLIENT_ERRORS}
_ERRORS["InternalServerError"] = exception(500, {}, fault=True)
_ERRORS["ThrottlingException"] = exception(500, {}, fault=True)

_PAGING = {"NextToken": m("ExtendedPaginationToken")}
_EMPTY = structure({})

_IO: dict[str, ShapeDict] = {
    "CopyProjectVersionRequest": _s(
        SourceProjectArn=_req("ProjectArn"),
        SourceProjectVersionArn=_req("ProjectVersionArn"),
        DestinationProjectArn=_req("ProjectArn"),
        VersionName=_req("VersionName"),
        OutputConfig=_req("OutputConfig"),
        Tags=m("TagMap"),
        KmsKeyId=m("KmsKeyId"),
    ),
    "CopyProjectVersionResponse": _s(ProjectVersionArn=m("ProjectVersionArn")),
    "CreateDatasetRequest": _s(
        DatasetSource=m("DatasetSource"),
        DatasetType=_req("DatasetType"),
        ProjectArn=_req("ProjectArn"),
        Tags=m("TagMap"),
    ),
    "CreateDatasetResponse": _s(DatasetArn=m("DatasetArn")),
    "CreateProjectRequest": _s(
        ProjectName=_req("ProjectName"),
        Feature=m("CustomizationFeature"),
        AutoUpdate=m("ProjectAutoUpdate"),
        Tags=m("TagMap"),
    ),
    "CreateProjectResponse": _s(ProjectArn=m("ProjectArn")),
    "CreateProjectVersionRequest": _s(
        ProjectArn=_req("ProjectArn"),
        VersionName=_req("VersionName"),
        OutputConfig=_req("OutputConfig"),
        TrainingData=m("TrainingData"),
        TestingData=m("TestingData"),
        Tags=m("TagMap"),
        KmsKeyId=m("KmsKeyId"),
        VersionDescription=m("VersionDescription"),
        FeatureConfig=m("CustomizationFeatureConfig"),
    ),
    "CreateProjectVersionResponse": _s(ProjectVersionArn=m("ProjectVersionArn")),
    "DeleteDatasetRequest": _s(DatasetArn=_req("DatasetArn")),
    "DeleteDatasetResponse": _EMPTY,
    "DeleteProjectPolicyRequest": _s(
        ProjectArn=_req("ProjectArn"),
        PolicyName=_req("ProjectPolicyName"),
        PolicyRevisionId=m("ProjectPolicyRevisionId"),
    ),
    "DeleteProjectPolicyResponse": _EMPTY,
    "DeleteProjectRequest": _s(ProjectArn=_req("ProjectArn")),
    "DeleteProjectResponse": _s(Status=m("ProjectStatus")),
    "DeleteProjectVersionRequest": _s(ProjectVersionArn=_req("ProjectVersionArn")),
    "DeleteProjectVersionResponse": _s(Status=m("ProjectVersionStatus")),
    "DescribeDatasetRequest": _s(DatasetArn=_req("DatasetArn")),
    "DescribeDatasetResponse": _s(DatasetDescription=m("DatasetDescription")),
    "DescribeProjectVersionsRequest": _s(
        ProjectArn=_req("ProjectArn"),
        VersionNames=m("VersionNames"),
        **_PAGING,
        MaxResults=m("ProjectVersionsPageSize"),
    ),
    "DescribeProjectVersionsResponse": _s(
        ProjectVersionDescriptions=m("ProjectVersionDescriptions"), **_PAGING
    ),
    "DescribeProjectsRequest": _s(
        **_PAGING,
        MaxResults=m("ProjectsPageSize"),
        ProjectNames=m("ProjectNames"),
        Features=m("CustomizationFeatures"),
    ),
    "DescribeProjectsResponse": _s(ProjectDescriptions=m("ProjectDescriptions"), **_PAGING),
    "DetectCustomLabelsRequest": _s(
        ProjectVersionArn=_req("ProjectVersionArn"),
        Image=_req("Image"),
        MaxResults=m("UInteger"),
        MinConfidence=m("Percent"),
    ),
    "DetectCustomLabelsResponse": _s(CustomLabels=m("CustomLabels")),
    "DistributeDatasetEntriesRequest": _s(Datasets=_req("DistributeDatasetMetadataList")),
    "DistributeDatasetEntriesResponse": _EMPTY,
    "ListDatasetEntriesRequest": _s(
        DatasetArn=_req("DatasetArn"),
        ContainsLabels=m("DatasetLabels"),
        Labeled=m("IsLabeled"),
        SourceRefContains=m("QueryString"),
        HasErrors=m("HasErrors"),
        **_PAGING,
        MaxResults=m("ListDatasetEntriesPageSize"),
    ),
    "ListDatasetEntriesResponse": _s(DatasetEntries=m("DatasetEntries"), **_PAGING),
    "ListDatasetLabelsRequest": _s(
        DatasetArn=_req("DatasetArn"), **_PAGING, MaxResults=m("ListDatasetLabelsPageSize")
    ),
    "ListDatasetLabelsResponse": _s(DatasetLabelDescriptions=m("DatasetLabelDescriptions"), **_PAGING),
    "ListProjectPoliciesRequest": _s(
        ProjectArn=_req("ProjectArn"), **_PAGING, MaxResults=m("ListProjectPoliciesPageSize")
    ),
    "ListProjectPoliciesResponse": _s(ProjectPolicies=m("ProjectPolicies"), **_PAGING),
    "ListTagsForResourceRequest": _s(ResourceArn=_req("ResourceArn")),
    "ListTagsForResourceResponse": _s(Tags=m("TagMap")),
    "PutProjectPolicyRequest": _s(
        ProjectArn=_req("ProjectArn"),
        PolicyName=_req("ProjectPolicyName"),
        PolicyRevisionId=m("ProjectPolicyRevisionId"),
        PolicyDocument=_req("ProjectPolicyDocument"),
    ),
    "PutProjectPolicyResponse": _s(PolicyRevisionId=m("ProjectPolicyRevisionId")),
    "StartProjectVersionRequest": _s(
        ProjectVersionArn=_req("ProjectVersionArn"),
        MinInferenceUnits=_req("InferenceUnits"),
        MaxInferenceUnits=m("InferenceUnits"),
    ),
    "StartProjectVersionResponse": _s(Status=m("ProjectVersionStatus")),
    "StopProjectVersionRequest": _s(ProjectVersionArn=_req("ProjectVersionArn")),
    "StopProjectVersionResponse": _s(Status=m("ProjectVersionStatus")),
    "TagResourceRequest": _s(ResourceArn=_req("ResourceArn"), Tags=_req("TagMap")),
    "TagResourceResponse": _EMPTY,
    "UntagResourceRequest": _s(ResourceArn=_req("ResourceArn"), TagKeys=_req("TagKeyList")),
    "UntagResourceResponse": _EMPTY,
    "UpdateDatasetEntriesRequest": _s(DatasetArn=_req("DatasetArn"), Changes=_req("DatasetChanges")),
    "UpdateDatasetEntriesResponse": _EMPTY,
}

_AD, _ISE, _IP, _T, _PT = (
    "AccessDeniedException",
    "InternalServerError",
    "InvalidParameterException",
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
)
_IU, _LE, _NF, _IS3, _AE = (
    "ResourceInUseException",
    "LimitExceededException",
    "ResourceNotFoundException",
    "InvalidS3ObjectException",
    "ResourceAlreadyExistsException",
)
_IPT, _NR, _SQ, _IPR, _MPD = (
    "InvalidPaginationTokenException",
    "ResourceNotReadyException",
    "ServiceQuotaExceededException",
    "InvalidPolicyRevisionIdException",
    "MalformedPolicyDocumentException",
)
_ITL, _IIF = "ImageTooLargeException", "InvalidImageFormatException"

# (operation, errors in the order of spec B.3, one-line description)
_OPERATIONS: list[tuple[str, list[str], str]] = [
    ("CreateProject", [_IU, _LE, _IP, _AD, _ISE, _T, _PT], "Creates a Custom Labels project."),
    ("DescribeProjects", [_IPT, _IP, _AD, _ISE, _T, _PT], "Lists projects with their datasets."),
    ("DeleteProject", [_IU, _NF, _IP, _AD, _ISE, _T, _PT], "Deletes a project with no versions."),
    (
        "CreateDataset",
        [_ISE, _T, _PT, _IP, _AD, _LE, _IS3, _AE, _NF],
        "Creates a dataset: empty, from a manifest, or a copy.",
    ),
    ("DescribeDataset", [_ISE, _T, _PT, _IP, _AD, _NF], "Describes a dataset and its statistics."),
    ("DeleteDataset", [_ISE, _T, _PT, _IP, _AD, _LE, _IU, _NF], "Deletes a dataset."),
    (
        "ListDatasetEntries",
        [_ISE, _T, _PT, _IP, _AD, _IU, _NF, _IPT, _NR],
        "Lists dataset entries as JSON lines.",
    ),
    (
        "ListDatasetLabels",
        [_ISE, _T, _PT, _IP, _AD, _IU, _IPT, _NF, _NR],
        "Lists the labels of a dataset with counts.",
    ),
    (
        "UpdateDatasetEntries",
        [_ISE, _T, _PT, _IP, _AD, _LE, _IU, _NF],
        "Adds or updates dataset entries from JSON lines.",
    ),
    (
        "DistributeDatasetEntries",
        [_NF, _IP, _AD, _ISE, _T, _PT, _NR],
        "Moves 20 % of the training entries into an empty test dataset.",
    ),
    (
        "CreateProjectVersion",
        [_IU, _NF, _LE, _IP, _AD, _ISE, _T, _PT, _SQ],
        "Trains a new model version.",
    ),
    (
        "DescribeProjectVersions",
        [_NF, _IPT, _IP, _AD, _ISE, _T, _PT],
        "Describes model versions, newest first.",
    ),
    ("DeleteProjectVersion", [_NF, _IU, _IP, _AD, _ISE, _T, _PT], "Deletes a model version."),
    ("StartProjectVersion", [_NF, _IU, _LE, _IP, _AD, _ISE, _T, _PT], "Starts hosting a model version."),
    ("StopProjectVersion", [_NF, _IU, _IP, _AD, _ISE, _T, _PT], "Stops a hosted model version."),
    (
        "DetectCustomLabels",
        [_NF, _NR, _IS3, _IP, _ITL, _LE, _AD, _ISE, _T, _PT, _IIF],
        "Finds custom labels in an image.",
    ),
    (
        "CopyProjectVersion",
        [_AD, _ISE, _IP, _LE, _NF, _T, _SQ, _PT, _IU],
        "Copies a model version into another project.",
    ),
    (
        "PutProjectPolicy",
        [_AD, _ISE, _IP, _IPR, _MPD, _NF, _AE, _T, _SQ, _PT, _LE],
        "Attaches or updates a project policy.",
    ),
    ("ListProjectPolicies", [_AD, _ISE, _IP, _NF, _T, _PT, _IPT], "Lists a project's policies."),
    ("DeleteProjectPolicy", [_AD, _ISE, _IP, _NF, _T, _PT, _IPR], "Deletes a project policy."),
    ("TagResource", [_NF, _IP, _SQ, _AD, _ISE, _T, _PT], "Adds or replaces tags."),
    ("UntagResource", [_NF, _IP, _AD, _ISE, _T, _PT], "Removes tags."),
    ("ListTagsForResource", [_NF, _IP, _AD, _ISE, _T, _PT], "Lists a resource's tags."),
]

OPERATIONS: dict[str, ShapeDict] = {
    name: operation(name, "POST", "/", errors=errors, doc=doc) for name, errors, doc in _OPERATIONS
}

SERVICE_MODEL: dict = {
    "version": "2.0",
    "metadata": {
        "apiVersion": API_VERSION,
        "endpointPrefix": SERVICE_NAME,
        "jsonVersion": "1.1",
        "protocol": "json",
        "protocols": ["json"],
        "serviceFullName": "Amazon Rekognition",
        "serviceId": "Rekognition",
        "signatureVersion": "v4",
        "targetPrefix": TARGET_PREFIX,
        "uid": f"{SERVICE_NAME}-{API_VERSION}",
        "auth": ["aws.auth#sigv4"],
    },
    "operations": OPERATIONS,
    "shapes": dict(sorted({**_SCALARS, **_LISTS, **_STRUCTURES, **_ERRORS, **_IO}.items())),
    "documentation": "openlookout's self-hosted Rekognition Custom Labels subset.",
}

SERVICE = ServiceModel(SERVICE_MODEL, service_name=SERVICE_NAME)
