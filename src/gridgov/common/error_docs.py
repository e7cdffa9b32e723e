"""The OpenAPI spec's error responses, derived from each route rather than written by hand: what a route depends
on says how it can fail. A route that checks a credential answers 401 and 403; a path parameter (or a query's
`…_code` / `…_id`) names an object that may be missing or out of scope (404); any input can be invalid (422); a
body can be too large (413); a write can conflict with the object's state (409); a router or route that declares
more (429 on the public routes) keeps it. Every error response carries the one error schema (errors.ErrorBody)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from fastapi.security.base import SecurityBase

from gridgov.common.errors import ERROR_STATUSES, ErrorBody

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def _names_an_object(name: str) -> bool:
    """A query parameter that refers to an object by its code or id (`parent_code`, `division_code`)."""
    return name.endswith(("_code", "_id"))


def api_routes(app: FastAPI) -> list[RouteContext]:
    """The app's API routes as served (the routers' routes under their prefixes), web pages and mounts left out."""
    return [c for c in iter_route_contexts(app.routes) if isinstance(c.original_route, APIRoute)]


def error_statuses(route: RouteContext) -> set[int]:
    """The error statuses this route may answer, from its dependencies, parameters, body and methods."""
    parts = list(_dependants(route.dependant))
    statuses = {int(s) for s in route.responses if str(s).isdigit() and int(s) >= 400}
    if any(isinstance(d.call, SecurityBase) for d in parts):  # a bearer token or an API key is checked
        statuses |= {401, 403}
    if any(d.path_params or any(_names_an_object(q.name) for q in d.query_params) for d in parts):
        statuses.add(404)
    if any(d.path_params or d.query_params or d.header_params or d.cookie_params or d.body_params for d in parts):
        statuses.add(422)
    if any(d.body_params for d in parts):
        statuses.add(413)
    if (route.methods or set()) & WRITES:
        statuses.add(409)
    return statuses


def document_errors(app: FastAPI) -> None:
    """Make `app.openapi()` list each operation's error responses with the error schema."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        spec = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes, tags=app.openapi_tags
        )
        schemas = spec.setdefault("components", {}).setdefault("schemas", {})
        body = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(body.pop("$defs", {}))
        schemas["ErrorBody"] = body
        for route in api_routes(app):
            if not route.include_in_schema:
                continue
            item = spec["paths"].get(route.path_format, {})
            for method in route.methods or ():
                operation = item.get(method.lower())
                if operation is None:
                    continue
                responses = operation.setdefault("responses", {})
                for status in sorted(error_statuses(route)):
                    entry = responses.setdefault(str(status), {})
                    entry.setdefault("description", ERROR_STATUSES.get(status, "错误"))
                    entry["content"] = {"application/json": {"schema": ERROR_REF}}
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]
