"""Every operation of the spec documents the error responses its route can give, with the one error schema."""

from __future__ import annotations

from typing import Any

from gridgov.app import create_app
from gridgov.common.error_docs import api_routes

ERROR_REF = "#/components/schemas/ErrorBody"


def _spec() -> dict[str, Any]:
    return create_app(warm=False, sweeper=False).openapi()


def test_every_operation_lists_its_error_responses() -> None:
    spec = _spec()
    operations = [(path, method, op) for path, item in spec["paths"].items() for method, op in item.items()]
    assert len(operations) > 50
    for path, method, op in operations:
        errors = {s for s in op["responses"] if s.isdigit() and int(s) >= 400}
        assert errors or path in ("/api/choices", "/api/ui-config"), (method, path)
        for status in errors:
            schema = op["responses"][status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": ERROR_REF}, (method, path, status)
        secured = bool(op.get("security"))
        if secured:
            assert {"401", "403"} <= errors, (method, path)
        if "{" in path:
            assert "404" in errors, (method, path)
        if op.get("parameters") or op.get("requestBody"):
            assert "422" in errors, (method, path)
        if op.get("requestBody"):
            assert "413" in errors, (method, path)
        if method in ("post", "put", "patch", "delete"):
            assert "409" in errors, (method, path)
        if path.startswith("/api/public/"):
            assert "429" in errors, (method, path)
    assert "ErrorBody" in spec["components"]["schemas"]
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_every_api_route_is_in_the_spec() -> None:
    app = create_app(warm=False, sweeper=False)
    spec = app.openapi()
    for route in api_routes(app):
        if route.include_in_schema:
            assert route.path_format in spec["paths"], route.path_format
