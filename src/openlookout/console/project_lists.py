"""The projects of both APIs as the projects page shows them, read through the API operations.

Lookout for Vision: ListProjects, then DescribeProject of each for its datasets' status.
Custom Labels: DescribeProjects (status and datasets are in it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from openlookout.console.calls import CUSTOM_LABELS, LOOKOUT_FOR_VISION, Api, ConsoleError, ServiceCalls

# Pages read for one listing (each up to the API's page size); later pages are not shown yet.
MAX_PAGES = 10


@dataclass(frozen=True)
class ProjectRow:
    name: str
    arn: str
    created: datetime | None
    status: str
    datasets: str  # "train: CREATE_COMPLETE, test: ..." or "none"


@dataclass
class ProjectList:
    """One API's section of the page: its rows, or why they could not be read."""

    kind: ProjectKind
    rows: list[ProjectRow] = field(default_factory=list)
    error: ConsoleError | None = None
    may_create: bool = False
    may_delete: bool = False
    truncated: bool = False


@dataclass(frozen=True)
class ProjectKind:
    """What differs between the two APIs' projects on the page."""

    slug: str  # in URLs: /console/projects/<slug>/...
    title: str
    api: Api
    list_operation: str

    def dom_id(self) -> str:
        return f"projects-{self.slug}"


L4V_PROJECTS = ProjectKind("lookoutvision", "Lookout for Vision projects", LOOKOUT_FOR_VISION, "ListProjects")
CL_PROJECTS = ProjectKind("custom-labels", "Custom Labels projects", CUSTOM_LABELS, "DescribeProjects")
PROJECT_KINDS = {kind.slug: kind for kind in (L4V_PROJECTS, CL_PROJECTS)}


def _datasets(datasets: list[dict[str, Any]]) -> str:
    if not datasets:
        return "none"
    return ", ".join(f"{d.get('DatasetType', '?').lower()}: {d.get('Status', '?')}" for d in datasets)


async def _pages(calls: ServiceCalls, kind: ProjectKind, member: str) -> tuple[list[dict[str, Any]], bool]:
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {}
    for _ in range(MAX_PAGES):
        page = await calls.call(kind.api, kind.list_operation, **params)
        items.extend(page.get(member, []))
        if not page.get("NextToken"):
            return items, False
        params = {"NextToken": page["NextToken"]}
    return items, True


async def _l4v_row(calls: ServiceCalls, project: dict[str, Any]) -> ProjectRow:
    name = project["ProjectName"]
    datasets = "—"
    if calls.may(LOOKOUT_FOR_VISION, "DescribeProject"):
        try:
            described = await calls.call(LOOKOUT_FOR_VISION, "DescribeProject", ProjectName=name)
            datasets = _datasets(described["ProjectDescription"].get("Datasets", []))
        except ConsoleError as error:  # deleted meanwhile, or refused: the row stays, without them
            datasets = error.code
    return ProjectRow(name, project["ProjectArn"], project.get("CreationTimestamp"), "—", datasets)


def _cl_row(project: dict[str, Any]) -> ProjectRow:
    arn = project["ProjectArn"]
    # arn:aws:rekognition:<region>:<account>:project/<name>/<creation ms>
    name = project.get("ProjectName") or arn.split(":project/", 1)[-1].rsplit("/", 1)[0]
    return ProjectRow(
        name,
        arn,
        project.get("CreationTimestamp"),
        project.get("Status", "—"),
        _datasets(project.get("Datasets", [])),
    )


async def list_projects(calls: ServiceCalls, kind: ProjectKind) -> ProjectList:
    listing = ProjectList(
        kind,
        may_create=calls.may(kind.api, "CreateProject"),
        may_delete=calls.may(kind.api, "DeleteProject"),
    )
    try:
        if kind is L4V_PROJECTS:
            projects, listing.truncated = await _pages(calls, kind, "Projects")
            listing.rows = [await _l4v_row(calls, p) for p in projects]
        else:
            projects, listing.truncated = await _pages(calls, kind, "ProjectDescriptions")
            listing.rows = [_cl_row(p) for p in projects]
    except ConsoleError as error:
        listing.error = error
    return listing


async def custom_labels_arn(calls: ServiceCalls, name: str) -> str:
    """The ARN of the Custom Labels project ``name`` (DeleteProject takes the ARN)."""
    found = await calls.call(CUSTOM_LABELS, "DescribeProjects", ProjectNames=[name])
    for project in found.get("ProjectDescriptions", []):
        return str(project["ProjectArn"])
    raise ConsoleError("ResourceNotFoundException", 404, f"No Custom Labels project named {name}.")
