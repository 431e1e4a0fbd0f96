"""Every service's API is the one its OpenAPI document describes.

The document is rendered from one template for every stack
(templates/common/api/openapi.json.jinja); each service serves it at /openapi.json,
and schemathesis, generating requests from it, finds no disagreement.
"""

from __future__ import annotations

import pytest

from conformance import checks
from conformance.harness import BuiltProject, Service, openapi_document
from conformance.stacks import Variant

pytestmark = pytest.mark.conformance


def test_openapi_document_is_served(service: Service, project: BuiltProject) -> None:
    checks.check_openapi_served(service, openapi_document(project))


def test_api_behaves_as_its_openapi_document_says(
    service: Service, project: BuiltProject, variant: Variant
) -> None:
    if variant.database == "none" and variant.cache == "none":
        pytest.skip("database=none cache=none: its handlers are fuzzed with Postgres and Redis")
    checks.check_api_matches_document(service, openapi_document(project))
