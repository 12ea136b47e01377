"""The Greengrass v2 component recipe (JSON) written into every edge package.

The component's single artefact is ``package.zip``, unarchived by Greengrass; installing
it creates a virtual environment with the package's pinned requirements, and the
component's run step scores the images of a configurable folder once with the runner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

RECIPE_FILE = "recipe.json"
RECIPE_FORMAT_VERSION = "2020-01-25"
PUBLISHER = "openlookout"
# Greengrass platform names for the L4V target architectures.
ARCHITECTURES = {"ARM64": "aarch64", "X86_64": "amd64"}


@dataclass(frozen=True)
class ComponentInfo:
    name: str
    version: str
    description: str
    architecture: str  # "ARM64" | "X86_64"
    artifact_uri: str  # s3:// URI of package.zip


def greengrass_recipe(component: ComponentInfo) -> dict[str, Any]:
    root = "{artifacts:decompressedPath}/package"
    venv = "{work:path}/venv"
    return {
        "RecipeFormatVersion": RECIPE_FORMAT_VERSION,
        "ComponentName": component.name,
        "ComponentVersion": component.version,
        "ComponentDescription": component.description,
        "ComponentPublisher": PUBLISHER,
        "ComponentConfiguration": {"DefaultConfiguration": {"ImageFolder": "/var/lib/openlookout/images"}},
        "Manifests": [
            {
                "Platform": {"os": "linux", "architecture": ARCHITECTURES[component.architecture]},
                "Lifecycle": {
                    "Install": f"python3 -m venv {venv} && {venv}/bin/pip install -r {root}/requirements.txt",
                    "Run": (
                        f"cd {root} && {venv}/bin/python -m openlookout_edge --model {root} "
                        "{configuration:/ImageFolder}/*"
                    ),
                },
                "Artifacts": [{"URI": component.artifact_uri, "Unarchive": "ZIP"}],
            }
        ],
    }
