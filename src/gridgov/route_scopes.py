"""Every API route's data-scope decision, declared once: what a route's object is and how scope narrows it.
tests/integration/test_route_scopes.py reads this table together with the app's route table: a route without a
decision fails the suite, and for each object-carrying decision it builds an object out of each role's scope
and expects 403 or 404 from every role that is not unlimited (and, in scope, anything but 404).

A decision is about the object the route names, not about who may call it at all (the services check roles)."""

from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    CASE = "case"  # {event_id}: a case, loaded through the caller's case scope (out of scope: 404)
    CASE_LIST = "case_list"  # lists of cases: the scope is in the query, a filter never widens it
    PUBLIC_CASE = "public_case"  # {number} + follow-up token: the token opens its own case only
    ATTACHMENT = "attachment"  # {sha256}: the uploader's, or attached to a case step the caller may see
    REVIEW = "review"  # {review_id}: an address review raised inside (or above) the reviewer's area
    DIVISION_VIEW = "division_view"  # ?division_code: a dashboard view of a division inside the caller's area
    ADDRESS_AREA = "address_area"  # {code}: a centre teaches aliases only on addresses of its own area
    ADMIN = "admin"  # administration (users, keys, catalog, calendar, the address library's edits): admin only
    SELF = "self"  # the caller's own: who am I, logging in, uploading a file
    INTAKE = "intake"  # a new report: the intake port places it and checks the caller may report there
    NO_READ = "no_read"  # answers an error without reading anything (an unknown action name: 422, allowed listed)
    PAGE = "page"  # an HTML page shell or a health probe: no data of its own (the page reads the API)
    CENTRE = "centre"  # a centre's on-duty roster: the admin, or a leader above the centre (org/roster.py)
    DISPUTE = "dispute"  # {dispute_id} / {task_id}: a dispute (or its joint task) through the mediation scope: 404
    REFERENCE = "reference"  # shared reference data read by any caller (org tree, catalog, addresses, choices)
    HAZARD = "hazard"  # hazard sources and alarms: rows under the caller's area or grids (hazards/scope.py; else 404)
    DEVICE = "device"  # a device's own telemetry: its key (X-Device-Key) opens nothing else
    BLOCKDATA = "blockdata"  # {record}/{record_id}: a block-data record in the caller's data scope (else 404)
    BLOCKDATA_LIST = "blockdata_list"  # block-data reads (lookups, 一楼一档): the caller's data scope is in the query
    IMPORTER = "importer"  # {batch_id}: an importer's own import batches (the admin: everyone's); mappings
    VERIFICATION = "verification"  # {task_id}: a 核查 task in the caller's block-data scope (else 404)
    DECLARATION = "declaration"  # a public 自主申报: writes a new declaration, reads nothing back


ACTION_ROUTES = (
    *("file", "reject", "dispatch", "accept", "return", "request_extension", "approve_extension", "deny_extension"),
    *("hold", "resume", "co_report", "handle", "verify", "rate", "reopen", "supervise", "escalate", "locate", "merge"),
    *("place", "set_urgency", "summon", "report_in", "summons_result", "split", "withdraw_summons"),
)

ROUTE_SCOPES: dict[str, Scope] = {
    # cases
    "POST /api/events": Scope.INTAKE,
    "POST /api/events/batch": Scope.INTAKE,
    "POST /api/events/self-handle": Scope.INTAKE,
    "GET /api/events": Scope.CASE_LIST,
    "GET /api/me/queue": Scope.CASE_LIST,
    "GET /api/events/{event_id}": Scope.CASE,
    "GET /api/events/{event_id}/duplicates": Scope.CASE,
    "GET /api/events/{event_id}/reporter-phone": Scope.CASE,
    "POST /api/events/{event_id}/actions/{action}": Scope.NO_READ,
    **{f"POST /api/events/{{event_id}}/actions/{name}": Scope.CASE for name in ACTION_ROUTES},
    "POST /api/attachments": Scope.SELF,
    "GET /api/attachments/{sha256}": Scope.ATTACHMENT,
    # the public channel
    "POST /api/public/attachments": Scope.SELF,
    "POST /api/public/events": Scope.INTAKE,
    "GET /api/public/events/{number}": Scope.PUBLIC_CASE,
    "POST /api/public/events/{number}/rate": Scope.PUBLIC_CASE,
    "POST /api/public/events/{number}/reopen": Scope.PUBLIC_CASE,
    "POST /api/public/events/{number}/place": Scope.PUBLIC_CASE,
    "GET /api/public/events/{number}/photos/{sha256}": Scope.PUBLIC_CASE,
    # org
    "POST /api/auth/token": Scope.SELF,
    "POST /api/auth/login": Scope.SELF,
    "POST /api/auth/logout": Scope.SELF,
    "POST /api/auth/password": Scope.SELF,
    "POST /api/auth/refresh": Scope.SELF,
    "POST /api/users/{user_id}/password": Scope.ADMIN,
    "PUT /api/users/{user_id}/active": Scope.ADMIN,
    "GET /api/admin/audit": Scope.ADMIN,
    "GET /api/admin/classifier/versions": Scope.ADMIN,
    "POST /api/admin/classifier/live": Scope.ADMIN,
    "GET /api/admin/audit.csv": Scope.ADMIN,
    "GET /api/admin/audit/verify": Scope.ADMIN,
    # on-duty rosters: read by the centres, written by the admin or a leader above the centre
    "GET /api/duty/shifts": Scope.REFERENCE,
    "GET /api/duty/now": Scope.REFERENCE,
    "POST /api/duty/shifts": Scope.CENTRE,
    "DELETE /api/duty/shifts/{shift_id}": Scope.CENTRE,
    # the dispatcher's choice, 重特大 alerts (each recipient's own), the IOC's emergency view and summons figures
    "GET /api/events/{event_id}/dispatch-options": Scope.CASE,
    "GET /api/events/{event_id}/suggestions": Scope.CASE,
    "GET /api/me/alerts": Scope.SELF,
    "POST /api/alerts/{alert_id}/acknowledge": Scope.SELF,
    "GET /api/dashboard/emergency": Scope.DIVISION_VIEW,
    "GET /api/dashboard/emergency/{event_id}": Scope.CASE,
    "GET /api/dashboard/summons-response": Scope.DIVISION_VIEW,
    # notifications: the caller's own inbox and preferences; templates are the admin's
    "GET /api/notify/inbox": Scope.SELF,
    "GET /api/notify/unread": Scope.SELF,
    "POST /api/notify/read": Scope.SELF,
    "GET /api/notify/preferences": Scope.SELF,
    "PUT /api/notify/preferences": Scope.SELF,
    "GET /api/notify/templates": Scope.ADMIN,
    "PUT /api/notify/templates/{kind}": Scope.ADMIN,
    "DELETE /api/notify/templates/{kind}": Scope.ADMIN,
    "GET /api/me": Scope.SELF,
    "GET /api/org/divisions": Scope.REFERENCE,
    "GET /api/org/divisions/{code}": Scope.REFERENCE,
    "GET /api/org/departments": Scope.REFERENCE,
    "GET /api/users": Scope.ADMIN,
    "POST /api/users": Scope.ADMIN,
    "GET /api/users/{user_id}/phone": Scope.ADMIN,
    "POST /api/users/{user_id}/api-keys": Scope.ADMIN,
    "DELETE /api/api-keys/{key_id}": Scope.ADMIN,
    # catalog and calendar
    "GET /api/catalog": Scope.REFERENCE,
    "PATCH /api/catalog/{code}": Scope.ADMIN,
    "POST /api/catalog/import": Scope.ADMIN,
    "GET /api/calendar": Scope.REFERENCE,
    "PUT /api/calendar/{day}": Scope.ADMIN,
    "GET /api/routing-rules": Scope.REFERENCE,
    "POST /api/routing-rules": Scope.ADMIN,
    "GET /api/choices": Scope.REFERENCE,
    "GET /api/ui-config": Scope.REFERENCE,
    # the address library
    "POST /api/addresses/translate": Scope.REFERENCE,
    "POST /api/addresses/translate/batch": Scope.REFERENCE,
    "POST /api/addresses/parse": Scope.REFERENCE,
    "POST /api/addresses/parse/batch": Scope.REFERENCE,
    "GET /api/addresses/search": Scope.REFERENCE,
    "GET /api/addresses/reverse": Scope.REFERENCE,
    "GET /api/addresses/basemap": Scope.REFERENCE,
    "GET /api/addresses/{code}": Scope.REFERENCE,
    "POST /api/addresses/import": Scope.ADMIN,
    "POST /api/addresses/{code}/rename": Scope.ADMIN,
    "POST /api/addresses/{code}/merge": Scope.ADMIN,
    "POST /api/addresses/{code}/retire": Scope.ADMIN,
    "POST /api/addresses/{code}/aliases": Scope.ADDRESS_AREA,
    "GET /api/addresses/reviews": Scope.REFERENCE,  # the queue itself is filtered by area (see REVIEW)
    "POST /api/addresses/reviews/{review_id}/resolve": Scope.REVIEW,
    "POST /api/addresses/reviews/{review_id}/dismiss": Scope.REVIEW,
    # hazards and IoT early warning
    "POST /api/hazards/telemetry": Scope.DEVICE,
    "GET /api/hazards/classes": Scope.REFERENCE,
    "GET /api/hazards/sources": Scope.HAZARD,
    "GET /api/hazards/alarms": Scope.HAZARD,
    "GET /api/hazards/crowd-heat": Scope.HAZARD,
    "POST /api/hazards/alarms/{alarm_id}/acknowledge": Scope.HAZARD,
    "POST /api/hazards/alarms/{alarm_id}/clear": Scope.HAZARD,
    "GET /api/hazards/rules": Scope.ADMIN,
    "GET /api/hazards/devices": Scope.ADMIN,
    "PUT /api/hazards/rules/{code}": Scope.ADMIN,
    "POST /api/hazards/rules/dry-run": Scope.ADMIN,
    "GET /api/hazards/inspections": Scope.HAZARD,
    "GET /api/hazards/inspections/{inspection_id}": Scope.HAZARD,
    "POST /api/hazards/inspections/{inspection_id}/complete": Scope.HAZARD,
    "POST /api/hazards/inspections/sweep": Scope.ADMIN,
    "GET /api/hazards/risk-grades": Scope.HAZARD,  # a handler: his department's list under its division
    "POST /api/hazards/risk-grades/run": Scope.ADMIN,
    # block data: import, mappings, lookups, the audited reveal, 一楼一档
    "POST /api/blockdata/import": Scope.IMPORTER,
    "GET /api/blockdata/batches": Scope.IMPORTER,
    "GET /api/blockdata/import/progress": Scope.SELF,  # the caller's own running import, by its job key
    "GET /api/blockdata/batches/{batch_id}/errors.csv": Scope.IMPORTER,
    "GET /api/blockdata/mappings/{department}/{kind}": Scope.REFERENCE,
    "PUT /api/blockdata/mappings/{department}/{kind}": Scope.IMPORTER,
    "GET /api/blockdata/people": Scope.BLOCKDATA_LIST,
    "POST /api/blockdata/{record}/{record_id}/reveal": Scope.BLOCKDATA,
    "GET /api/blockdata/profile/{code}": Scope.BLOCKDATA_LIST,
    "GET /api/blockdata/clusters/{key}": Scope.BLOCKDATA_LIST,
    "GET /api/blockdata/person/{person_id}/cluster": Scope.BLOCKDATA,
    "POST /api/blockdata/clusters/merge": Scope.IMPORTER,
    "POST /api/blockdata/clusters/split": Scope.IMPORTER,
    "GET /api/blockdata/waterfall": Scope.BLOCKDATA_LIST,
    "GET /building/{code}": Scope.PAGE,
    # 自主申报 and 核查: the public declaration, the grid worker's queue (scoped in the query), settling one task
    "POST /api/public/declarations": Scope.DECLARATION,
    "GET /api/blockdata/verifications": Scope.BLOCKDATA_LIST,
    "POST /api/blockdata/verifications/{task_id}/settle": Scope.VERIFICATION,
    "POST /api/blockdata/verifications/due": Scope.ADMIN,
    # the pages and the health probe
    **{
        f"GET {path}": Scope.PAGE
        for path in (
            "/",
            "/healthz",
            "/login",
            "/app",
            "/admin",
            "/dispatch",
            "/grid",
            "/handler",
            "/ioc",
            "/resident",
            "/sheet",
            "/mediation",
            "/declare",
            "/legal",
        )
    },
    # mediation: disputes in the caller's area (lists scoped in the query), one dispute or task through its scope
    "GET /api/mediation/types": Scope.REFERENCE,
    "GET /api/mediation/mediators": Scope.REFERENCE,  # the mediators serving the caller's area
    "GET /api/mediation/disputes": Scope.CASE_LIST,
    "GET /api/mediation/stages": Scope.CASE_LIST,
    "POST /api/mediation/disputes": Scope.INTAKE,
    **{
        f"{m} /api/mediation/disputes/{{dispute_id}}{tail}": Scope.DISPUTE
        for m, tail in (
            ("GET", ""),
            ("GET", "/parties"),
            ("GET", "/agreement.{fmt}"),
            ("GET", "/confirmation.{fmt}"),
            ("GET", "/scans"),
            ("POST", "/scans"),
            ("GET", "/scans/{scan_id}"),
            *(("POST", f"/{a}") for a in ("assign", "sessions", "agree", "fail", "confirm", "transfer", "follow-up")),
            ("POST", "/close"),
        )
    },
    "POST /api/mediation/tasks/{task_id}/done": Scope.DISPUTE,
    "GET /api/mediation/figures": Scope.CASE_LIST,  # aggregated over the caller's disputes (scoped in the query)
    "GET /api/mediation/figures.{fmt}": Scope.CASE_LIST,
    "GET /api/mediation/high-risk": Scope.CASE_LIST,
    # 访前甄别 and the advisers' consultations: lists scoped in the query, one row through its scope (else 404)
    "GET /api/mediation/petitions": Scope.CASE_LIST,
    "POST /api/mediation/petitions": Scope.INTAKE,
    "POST /api/mediation/petitions/{screening_id}/screen": Scope.DISPUTE,
    "POST /api/mediation/petitions/{screening_id}/follow-up": Scope.DISPUTE,
    "GET /api/mediation/consultations": Scope.CASE_LIST,
    "POST /api/mediation/consultations/{consultation_id}/answer": Scope.DISPUTE,
    "POST /api/mediation/consultations/{consultation_id}/convert": Scope.DISPUTE,
    # the residents' legal service: advisers are public reference; a booking is an intake; its number + token opens it
    "GET /api/public/legal/advisers": Scope.REFERENCE,
    "POST /api/public/legal/consultations": Scope.INTAKE,
    "GET /api/public/legal/consultations/{number}": Scope.PUBLIC_CASE,
    # the IOC
    **{
        f"GET /api/dashboard/{name}": Scope.DIVISION_VIEW
        for name in ("summary", "trend", "breakdown", "rankings", "warnings", "hotspots", "hot-issues", "map", "stream")
    },
    **{
        f"GET /api/dashboard/{name}": Scope.DIVISION_VIEW
        for name in ("repeat-places",)  # repeats3
    },
}
