"""The OpenAPI document covers all of API v1 (issue 19 item 8): every URL pattern under
api/v1/ with the methods and scope its view answers to, the document upload as multipart
with its limits, and the statuses the limits answer with (413) declared; and the views
answer those limits as the schema says."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, reverse

from core import urls
from core.erp.api import MAX_BULK
from core.models import ApiToken

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def api_patterns() -> list[URLPattern]:
    return [
        pattern
        for pattern in urls.urlpatterns
        if isinstance(pattern, URLPattern) and str(pattern.pattern).startswith("api/v1/")
    ]


def shape(path: str) -> str:
    """A path with its parameters blanked: "api/v1/vendors/<str:key>" and
    "/api/v1/vendors/{key}" are both "api/v1/vendors/{}"."""
    return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", path.lstrip("/"))


def test_every_api_v1_url_is_in_the_schema_with_its_methods_and_scope(schema):
    paths = {shape(path): operations for path, operations in schema["paths"].items()}
    patterns = api_patterns()
    assert len(patterns) >= 10
    assert {shape(str(p.pattern)) for p in patterns} == set(paths)
    for pattern in patterns:
        operations = paths[shape(str(pattern.pattern))]
        methods = getattr(pattern.callback, "api_methods", ("GET",))  # openapi.json: GET
        assert {m.lower() for m in methods} == set(operations), pattern.pattern
        scope = getattr(pattern.callback, "api_scope", None)
        for method, operation in operations.items():
            said = operation["security"]
            assert said == ([{"token": [scope]}] if scope else []), (pattern.pattern, method)
            if scope:
                assert {"401", "403"} <= set(operation["responses"]), (pattern.pattern, method)


def test_the_upload_is_multipart_with_its_limits(schema, settings):
    operation = schema["paths"]["/api/v1/documents"]["post"]
    body = operation["requestBody"]["content"]
    assert list(body) == ["multipart/form-data"]
    file = body["multipart/form-data"]["schema"]["properties"]["file"]
    assert file["items"] == {"type": "string", "format": "binary"}
    assert file["maxItems"] == settings.DATA_UPLOAD_MAX_NUMBER_FILES
    limits = operation["x-limits"]
    assert limits["max_file_bytes"] == settings.MAX_STORED_BYTES
    assert limits["max_files_per_request"] == settings.DATA_UPLOAD_MAX_NUMBER_FILES
    assert limits["max_request_body_bytes"] == settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert f"{settings.MAX_STORED_BYTES:,} bytes" in operation["description"]
    assert {"200", "201", "400", "401", "403", "413", "422"} == set(operation["responses"])
    status = schema["paths"]["/api/v1/documents/{id}"]["get"]
    assert set(status["responses"]) == {"200", "401", "403", "404"}
    assert status["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/DocumentStatus"
    }


def test_413_is_declared_wherever_a_body_is_read_and_the_record_limit_is_stated(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if "requestBody" in operation:
                assert "413" in operation["responses"], (path, method)
                assert "x-limits" in operation, (path, method)
    bulk = schema["paths"]["/api/v1/vendors"]["post"]
    items = bulk["requestBody"]["content"]["application/json"]["schema"]["properties"]["items"]
    assert items["maxItems"] == MAX_BULK
    assert bulk["x-limits"]["max_records_per_request"] == MAX_BULK
    assert f"{MAX_BULK:,} records" in bulk["responses"]["422"]["description"]
    assert "429" not in str(schema["paths"])  # no rate limit: none declared, none answered


def token(scope="documents"):
    _, secret = ApiToken.issue("t", [scope, "masterdata"])
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_the_views_answer_the_limits_as_the_schema_says(client, settings):
    auth = token()
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    files = [SimpleUploadedFile(f"{n}.pdf", b"%PDF-1.4 x") for n in range(3)]
    response = client.post(reverse("api_documents"), {"file": files}, **auth)
    assert response.status_code == 413
    assert response.json() == {"error": "At most 2 files a request; send the rest after"}

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client.post(
        reverse("api_vendors"),
        data='{"items": [' + ",".join(['{"name": "x"}'] * 200) + "]}",
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 413
    assert response.json()["error"] == "The request is too large"

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000_000
    items = [{"external_id": f"V{n}", "name": "x"} for n in range(MAX_BULK + 1)]
    response = client.post(
        reverse("api_vendors"), data={"items": items}, content_type="application/json", **auth
    )
    assert response.status_code == 422
    assert "At most 1000 records a request" in response.json()["fields"]["items"][0]
