"""Role × route × in-scope/out-of-scope, generated from the app's route table and the scope decisions of
gridgov.route_scopes — no hand-kept list of routes here: a new route without a decision fails, and each
object-carrying decision is tried with an object outside the caller's area for every scoped role.

The callers sit in street S1 (a leader is created there for the test); the out-of-scope objects sit in street S2.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from gridgov.address.models import Address, AddressReview
from gridgov.common.principal import Role
from gridgov.common.uow import one_action
from gridgov.db import session_factory
from gridgov.demo.loader import DemoResult
from gridgov.dispatch import lifecycle as lc
from gridgov.dispatch.commands import IntakeCommand
from gridgov.dispatch.schemas import CategoryIn
from gridgov.mediation import assignment, legal_service, petition
from gridgov.mediation.models import DisputeTask, LegalConsultation
from gridgov.mediation.parties import PartyData
from gridgov.mediation.registration import DisputeIn, register_dispute
from gridgov.mediation.rules import PartyKind, PartyRole
from gridgov.org import cache, roster
from gridgov.org.models import Division, User
from gridgov.org.services import create_user
from gridgov.route_scopes import ROUTE_SCOPES, Scope
from support import TEST_PASSWORD, People, photo, report

Login = Callable[[str], dict[str, str]]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x02" * 64
OBJECT_SCOPES = {
    *(Scope.CASE, Scope.ATTACHMENT, Scope.REVIEW, Scope.DIVISION_VIEW, Scope.ADDRESS_AREA, Scope.ADMIN),
    *(Scope.DISPUTE, Scope.CENTRE),
}


def _routes(client: TestClient) -> dict[str, dict[str, Any]]:
    """'METHOD /path' -> its OpenAPI operation, for every API route the app serves (hidden ones included)."""
    from gridgov.common.error_docs import api_routes

    spec = client.app.openapi()  # type: ignore[attr-defined]
    out: dict[str, dict[str, Any]] = {}
    for route in api_routes(client.app):  # type: ignore[arg-type]
        for method in sorted(route.methods or ()):
            if method == "HEAD":
                continue
            op = spec["paths"].get(route.path_format, {}).get(method.lower(), {})
            out[f"{method} {route.path_format}"] = op
    return out


def test_every_route_carries_a_scope_decision(app_client: TestClient) -> None:
    routes = _routes(app_client)
    missing = sorted(set(routes) - set(ROUTE_SCOPES))
    assert not missing, f"routes without a scope decision in gridgov/route_scopes.py: {missing}"
    stale = sorted(set(ROUTE_SCOPES) - set(routes))
    assert not stale, f"scope decisions of routes that are gone: {stale}"


@dataclass
class World:
    callers: dict[str, str]  # role -> username, all scoped to street S1 (or its grid / community / department)
    case_out: int  # a case in street S2
    case_in: int  # a case in street S1, seen by every caller
    attachment_out: str  # a photo of the S2 case, uploaded by another resident
    review_out: int  # an address review raised in S2
    address_out: str  # an address of S2
    street_out: str  # S2's code
    dispute_out: int  # a joint-mediation dispute in S2
    task_out: int  # one of its agencies' tasks
    centre_in: str  # S1's centre (its street code) and one of its dispatchers
    dispatcher_in: int
    dispatcher_out: int  # a dispatcher of S2's centre
    shift_out: int  # an on-duty shift at S2's centre
    screening_out: int = 0  # a petition screening (访前甄别) in S2
    consultation_out: int = 0  # a resident's legal consultation in S2


def _shift(hours_from_2031: int) -> dict[str, str]:
    start = datetime(2031, 1, 1, tzinfo=UTC) + timedelta(hours=hours_from_2031)
    return {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=8)).isoformat()}


def _roster_body(centre: str, user_id: int) -> dict[str, Any]:
    """A valid one-shift roster at `centre`, at a time nobody else uses (the clash check is per person)."""
    return {"division_code": centre, "shifts": [{"user_id": user_id, **_shift(uuid.uuid4().int % 40_000)}]}


def _parent(session: Session, d: Division) -> Division:
    up = session.get(Division, d.parent_id)
    assert up is not None
    return up


@pytest.fixture(scope="module")
def world(engine: Engine, demo: DemoResult, app_client: TestClient, login: Login) -> World:
    with session_factory(engine)() as s:
        people = People(s)
        grids = list(s.scalars(select(Division).where(Division.level == "grid").order_by(Division.code)))
        gA = grids[1]
        cA = _parent(s, gA)
        s1 = _parent(s, cA)
        gB = next(g for g in reversed(grids) if _parent(s, _parent(s, g)).id != s1.id)
        s2 = _parent(s, _parent(s, gB))
        leader = f"ldr_s1_{uuid.uuid4().hex[:6]}"
        one_action(
            create_user,
            s,
            people.user("admin"),
            username=leader,
            password=TEST_PASSWORD,
            display_name="街道领导",
            role=Role.LEADER,
            division_code=s1.code,
        )
        s.execute(update(User).where(User.username == leader).values(must_change_password=False))
        s.commit()
        cache.invalidate()
        callers = {
            "resident": "resident1",
            "grid_worker": f"gw_{gA.code}",
            "community_staff": f"cs_{cA.code}",
            "dispatcher": f"dsp_{s1.code}",
            "handler": f"h_{s1.code}_chengguan",
            "leader": leader,
        }
        resident2 = people.user("resident2")
        photo = _upload(app_client, login("resident2"))
        out, _ = report(s, resident2, IntakeCommand(title="范围外事件", grid_code=gB.code, attachments=(photo,)))
        inside, _ = report(s, people.user("resident1"), IntakeCommand(title="范围内事件", grid_code=gA.code))
        dsp = people.user(f"dsp_{s1.code}")
        one_action(lc.file_event, s, dsp, inside.id, CategoryIn(category_code="01002"))
        one_action(lc.dispatch_event, s, dsp, inside.id, CategoryIn())
        review = AddressReview(input_text="某处", division_path=s2.path, source="api")
        s.add(review)
        s.commit()
        rows = s.execute(select(Address.code, Division.path).join(Division, Division.id == Address.community_id))
        address_out = next(code for code, path in rows if path.startswith(s2.path))
        dispute_out, task_out = _dispute_in(s, people, s2)
        dsp_in, dsp_out = people.user(f"dsp_{s1.code}"), people.user(f"dsp_{s2.code}")
        assert dsp_in.user_id is not None and dsp_out.user_id is not None
        (shift,) = one_action(
            roster.add_shifts,
            s,
            people.user("admin"),
            s2,
            [roster.NewShift(dsp_out.user_id, datetime(2031, 6, 1, tzinfo=UTC), datetime(2031, 6, 1, 8, tzinfo=UTC))],
        )
        screening_out, consultation_out = _legal_in(s, people, s2)
        return World(
            callers,
            *(out.id, inside.id, photo, review.id, address_out, s2.code, dispute_out, task_out),
            *(s1.code, dsp_in.user_id, dsp_out.user_id, shift.id),
            screening_out,
            consultation_out,
        )


def _dispute_in(s: Session, people: People, street: Division) -> tuple[int, int]:
    """A family dispute (joint mediation: one task per agency) registered and assigned in `street`."""
    community = s.scalars(
        select(Division).where(Division.parent_id == street.id, Division.level == "community").order_by(Division.id)
    ).first()
    assert community is not None
    actor = people.user(f"cs_{community.code}")
    parties = (
        PartyData(PartyRole.APPLICANT, PartyKind.PERSON, "范围外"),
        PartyData(PartyRole.RESPONDENT, PartyKind.PERSON, "被申请"),
    )
    cmd = DisputeIn(dispute_type="family", title="范围外纠纷", division_code=community.code, parties=parties)
    dispute = one_action(register_dispute, s, actor, cmd)
    one_action(assignment.assign_dispute, s, actor, dispute.id)
    task = s.scalars(select(DisputeTask.id).where(DisputeTask.dispute_id == dispute.id)).first()
    assert task is not None
    return dispute.id, task


def _legal_in(s: Session, people: People, street: Division) -> tuple[int, int]:
    """A petition screening and a resident's consultation in `street`'s first community."""
    community = s.scalars(
        select(Division).where(Division.parent_id == street.id, Division.level == "community").order_by(Division.id)
    ).first()
    assert community is not None
    actor = people.user(f"cs_{community.code}")
    row = one_action(
        petition.register_petition, s, actor, petition.PetitionIn("visit", "范围外", "上访苗头", community.code)
    )
    booking = legal_service.BookingIn("consult", community.code, "范围外", "13900005555", "咨询")
    number, _token = one_action(legal_service.book, s, actor, booking)
    consultation = s.scalar(select(LegalConsultation.id).where(LegalConsultation.number == number))
    assert consultation is not None
    return row.id, consultation


def _upload(client: TestClient, headers: dict[str, str]) -> str:
    r = client.post("/api/attachments", files={"file": ("p.png", photo(), "image/png")}, headers=headers)
    assert r.status_code == 201, r.text
    return str(r.json()["sha256"])


def _example(schema: dict[str, Any], spec: dict[str, Any]) -> Any:
    """A minimal valid value of a JSON schema (required properties only), for a body that passes validation."""
    if "$ref" in schema:
        return _example(spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]], spec)
    if "anyOf" in schema:
        return _example(next(s for s in schema["anyOf"] if s.get("type") != "null"), spec)
    kind = schema.get("type")
    if kind == "object":
        return {
            k: _example(v, spec) for k, v in schema.get("properties", {}).items() if k in schema.get("required", [])
        }
    if kind == "integer":
        return max(1, int(schema.get("minimum", 1)))
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return True
    if kind == "array":
        return [_example(schema.get("items", {}), spec) for _ in range(int(schema.get("minItems", 0)))]
    if "enum" in schema:
        return schema["enum"][0]
    size = max(1, int(schema.get("minLength", 1)))
    candidates = ["01001", "a" * max(size, 8), "x" * size]
    pattern = schema.get("pattern")
    return next(c for c in candidates if len(c) >= size and (pattern is None or re.fullmatch(pattern, c)))


def _call(
    client: TestClient, key: str, op: dict[str, Any], params: dict[str, str], headers: dict[str, str], json: Any = None
) -> int:
    return _call_field(client, key, op, params, headers, json)[0]


def _call_field(
    client: TestClient,
    key: str,
    op: dict[str, Any],
    params: dict[str, str],
    headers: dict[str, str],
    json: Any = None,
) -> tuple[int, str | None]:
    """The status and, for an error, the field it names; the JSON body is `json`, else a minimal valid one."""
    method, path = key.split(" ", 1)
    url = re.sub(r"\{(\w+)\}", lambda m: params[m.group(1)], path)
    query = {k: v for k, v in params.items() if "{" + k + "}" not in path}
    body = op.get("requestBody", {}).get("content", {})
    kwargs: dict[str, Any] = {}
    if json is not None:
        kwargs["json"] = json
    elif "application/json" in body:
        kwargs["json"] = _example(body["application/json"]["schema"], client.app.openapi())  # type: ignore[attr-defined]
    elif "multipart/form-data" in body:
        kwargs["files"] = {"file": ("x.csv", b"code\n", "text/csv")}
    r = client.request(method, url, params=query, headers=headers, **kwargs)
    body = r.json() if r.content and r.headers.get("content-type", "").startswith("application/json") else None
    error = body.get("error") if isinstance(body, dict) else None
    return r.status_code, (error.get("field") if isinstance(error, dict) else None)


def _object_params(scope: Scope, world: World, *, inside: bool) -> dict[str, str] | None:
    if scope == Scope.CASE:
        return {"event_id": str(world.case_in if inside else world.case_out), "action": "nonexistent"}
    if scope == Scope.ATTACHMENT and not inside:
        return {"sha256": world.attachment_out}
    if scope == Scope.REVIEW and not inside:
        return {"review_id": str(world.review_out)}
    if scope == Scope.DIVISION_VIEW and not inside:
        return {"division_code": world.street_out}
    if scope == Scope.ADDRESS_AREA and not inside:
        return {"code": world.address_out}
    if scope == Scope.DISPUTE and not inside:
        return {
            "dispute_id": str(world.dispute_out),
            "task_id": str(world.task_out),
            "fmt": "pdf",
            "scan_id": "1",
            "screening_id": str(world.screening_out),
            "consultation_id": str(world.consultation_out),
        }
    if scope == Scope.CENTRE and not inside:
        return {"shift_id": str(world.shift_out)}
    if scope == Scope.ADMIN and not inside:
        return {"user_id": "1", "key_id": "1", "code": "01001", "day": "2030-01-01", "shift_id": "1", "kind": "receipt"}
    return None


def test_out_of_scope_objects_are_refused_for_every_role(app_client: TestClient, login: Login, world: World) -> None:
    routes = _routes(app_client)
    tried, refused_wrongly = 0, []
    for key, op in sorted(routes.items()):
        scope = ROUTE_SCOPES[key]
        if scope not in OBJECT_SCOPES or key.endswith("/stream"):
            continue
        params = _object_params(scope, world, inside=False)
        assert params is not None
        body = _roster_body(world.street_out, world.dispatcher_out) if scope == Scope.CENTRE else None
        for role, username in world.callers.items():
            status = _call(app_client, key, op, params, login(username), body)
            tried += 1
            if status not in (403, 404):
                refused_wrongly.append(f"{role} {key}: {status}")
    assert tried > 100
    assert not refused_wrongly, refused_wrongly


def test_in_scope_cases_are_found_by_every_role(app_client: TestClient, login: Login, world: World) -> None:
    """The same routes on a case of the callers' own area: found (never 404) — the refusals above are scope."""
    routes = _routes(app_client)
    params = _object_params(Scope.CASE, world, inside=True)
    assert params is not None
    not_found = []
    for key, op in sorted(routes.items()):
        if ROUTE_SCOPES[key] != Scope.CASE or key.endswith("{action}"):
            continue
        for role, username in world.callers.items():
            status, field = _call_field(app_client, key, op, params, login(username))
            if (status == 404 and field in (None, "event_id")) or status >= 500:  # another object's 404 is no scope
                not_found.append(f"{role} {key}: {status}")
    assert not not_found, not_found


def test_roster_writes_at_the_callers_own_centre_are_its_leaders(
    app_client: TestClient, login: Login, world: World
) -> None:
    """The refusals above are scope: at S1's own centre its leader writes and deletes a shift, the other S1 roles
    are refused by role (403), and the S2 shift is still there."""
    for role, username in world.callers.items():
        headers = login(username)
        r = app_client.post(
            "/api/duty/shifts", json=_roster_body(world.centre_in, world.dispatcher_in), headers=headers
        )
        if role != "leader":
            assert r.status_code == 403, (role, r.text)
            continue
        assert r.status_code == 201, r.text
        gone = app_client.delete(f"/api/duty/shifts/{r.json()[0]['id']}", headers=headers)
        assert gone.status_code == 204, gone.text
    admin = login("admin")
    listed = app_client.get("/api/duty/shifts", params=_shift_window(world.street_out), headers=admin).json()
    assert world.shift_out in [row["id"] for row in listed]


def _shift_window(centre: str) -> dict[str, str]:
    return {"division_code": centre, "from": "2031-05-31T00:00:00+00:00", "to": "2031-06-02T00:00:00+00:00"}


def test_case_lists_never_show_an_out_of_scope_case(app_client: TestClient, login: Login, world: World) -> None:
    for username in world.callers.values():
        headers = login(username)
        listed = app_client.get("/api/events", params={"limit": 200, "q": "范围外事件"}, headers=headers).json()
        assert world.case_out not in [e["id"] for e in listed["items"]], username
        queue = app_client.get("/api/me/queue", params={"limit": 100}, headers=headers).json()["queues"]
        assert world.case_out not in [e["id"] for page in queue.values() for e in page["items"]], username


def test_a_public_token_opens_its_own_case_only(app_client: TestClient) -> None:
    routes = [k for k, v in ROUTE_SCOPES.items() if v == Scope.PUBLIC_CASE]
    with TestClient(app_client.app, client=("10.8.0.3", 50000)) as client:
        body = {"title": "公共凭证", "phone": "13900004444", "address_text": "福田区福华路1号"}
        first = client.post("/api/public/events", json=body).json()
        second = client.post("/api/public/events", json={**body, "title": "另一件"}).json()
        for key in routes:
            method, path = key.split(" ", 1)
            url = path.replace("{number}", second["number"]).replace("{sha256}", "0" * 64)
            bodies = {"rate": {"rating": 5}, "reopen": {"note": "再办"}, "place": {"lon": 114.05, "lat": 22.54}}
            json = bodies.get(key.rsplit("/", 1)[-1])
            r = client.request(method, url, params={"token": first["token"]}, json=json)
            assert r.status_code == 404, (key, r.text)
