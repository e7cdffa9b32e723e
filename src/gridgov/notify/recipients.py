"""Who an audience is for one case (reads only): the reporter, the people holding its lead task, the leaders
above it, or the users an event names. Read once per batch of outbox events."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from gridgov.catalog.models import EventCategory
from gridgov.common.principal import Role
from gridgov.common.scope import is_ancestor
from gridgov.dispatch.models import Event, EventTask, TaskRole, TaskStatus
from gridgov.notify.models import NotifyPreference
from gridgov.notify.rules import Audience, ChannelName, QuietHours, parse_hhmm
from gridgov.org.models import Department, Division, GridAssignment, User


@dataclass(frozen=True)
class Recipient:
    key: str  # "user:<id>" or "phone:<blind index>"
    user_id: int | None
    name: str
    phone_enc: str | None
    email_enc: str | None
    channels: Mapping[str, list[str]] | None  # his choice per kind; None: the defaults
    quiet: QuietHours | None
    home: str  # the page his links open

    def reachable(self, configured: frozenset[ChannelName]) -> frozenset[ChannelName]:
        have = {ChannelName.IN_APP} if self.user_id is not None else set()
        if self.phone_enc:
            have.add(ChannelName.SMS)
        if self.email_enc:
            have.add(ChannelName.EMAIL)
        return frozenset(have) & configured


HOMES = {
    Role.RESIDENT.value: "/resident",
    Role.HANDLER.value: "/handler",
    Role.GRID_WORKER.value: "/grid",
    Role.LEADER.value: "/ioc",
    Role.ADMIN.value: "/admin",
}


@dataclass
class Directory:
    """The cases of one batch and the people they concern, loaded once."""

    session: Session
    cases: dict[int, Event] = field(default_factory=dict)
    categories: dict[int, str] = field(default_factory=dict)
    departments: dict[int, str] = field(default_factory=dict)
    places: dict[int, str] = field(default_factory=dict)  # grid id -> name
    _users: dict[int, Recipient] = field(default_factory=dict)
    _absent: set[int] = field(default_factory=set)  # ids asked for that are no (active) user
    _leaders: list[tuple[str, int]] | None = None
    # the handlers of each lead department and the grid workers of each lead grid of the loaded cases
    _dept_handlers: dict[int, list[int]] = field(default_factory=dict)
    _grid_workers: dict[int, list[int]] = field(default_factory=dict)

    def load(self, case_ids: Iterable[int], user_ids: Iterable[int] = ()) -> None:
        ids = set(case_ids) - set(self.cases)
        if ids:
            stmt = select(Event).where(Event.id.in_(ids)).options(selectinload(Event.tasks))
            self.cases.update({e.id: e for e in self.session.scalars(stmt)})
        cats = {e.category_id for e in self.cases.values() if e.category_id} - set(self.categories)
        if cats:
            rows = self.session.execute(select(EventCategory.id, EventCategory.name).where(EventCategory.id.in_(cats)))
            self.categories.update({i: n for i, n in rows})
        depts = {t.department_id for e in self.cases.values() for t in e.tasks if t.department_id}
        if depts - set(self.departments):
            rows = self.session.execute(select(Department.id, Department.name).where(Department.id.in_(depts)))
            self.departments.update({i: n for i, n in rows})
        grids = {e.grid_id for e in self.cases.values() if e.grid_id} - set(self.places)
        if grids:
            rows = self.session.execute(select(Division.id, Division.name).where(Division.id.in_(grids)))
            self.places.update({i: n for i, n in rows})
        leads = [t for e in self.cases.values() for t in _lead_tasks(e.tasks)]
        self._load_task_holders(leads)
        # everyone the batch's cases may concern, read at once: their reporters and the holders of their tasks
        holders = {u for t in leads if t.department_id is not None for u in self._dept_handlers[t.department_id]}
        holders |= {u for t in leads if t.grid_id is not None for u in self._grid_workers[t.grid_id]}
        reporters = {e.reporter_id for e in self.cases.values() if e.reporter_id is not None}
        self._load_users({*user_ids, *holders, *reporters})

    def _load_task_holders(self, leads: Sequence[EventTask]) -> None:
        """Who holds these lead tasks (those not known yet), in two queries for a whole batch of cases."""
        depts = {t.department_id for t in leads if t.department_id is not None} - set(self._dept_handlers)
        grids = {t.grid_id for t in leads if t.grid_id is not None} - set(self._grid_workers)
        if depts:
            self._dept_handlers.update({d: [] for d in depts})
            handlers = self.session.execute(
                select(User.department_id, User.id)
                .where(User.department_id.in_(depts), User.role == Role.HANDLER.value)
                .order_by(User.id)
            )
            for dept, uid in handlers:
                if dept is not None:
                    self._dept_handlers[dept].append(uid)
        if grids:
            self._grid_workers.update({g: [] for g in grids})
            workers = self.session.execute(
                select(GridAssignment.grid_id, GridAssignment.user_id)
                .where(GridAssignment.grid_id.in_(grids))
                .order_by(GridAssignment.user_id)
            )
            for grid, uid in workers:
                self._grid_workers[grid].append(uid)

    def _load_users(self, user_ids: Iterable[int]) -> None:
        wanted = {i for i in user_ids if i not in self._users and i not in self._absent}
        if not wanted:
            return
        self._absent |= wanted  # until found active below
        prefs = {
            p.user_id: p
            for p in self.session.scalars(select(NotifyPreference).where(NotifyPreference.user_id.in_(wanted)))
        }
        columns = (User.id, User.display_name, User.phone_enc, User.role)
        for u in self.session.execute(select(*columns).where(User.id.in_(wanted), User.active.is_(True))):
            self._absent.discard(u.id)
            p = prefs.get(u.id)
            quiet = None
            if p is not None and p.quiet_start and p.quiet_end:
                quiet = QuietHours(parse_hhmm(p.quiet_start, "quiet_start"), parse_hhmm(p.quiet_end, "quiet_end"))
            self._users[u.id] = Recipient(
                key=f"user:{u.id}",
                user_id=u.id,
                name=u.display_name,
                phone_enc=u.phone_enc,
                email_enc=p.email_enc if p else None,
                channels=p.channels if p else None,
                quiet=quiet,
                home=HOMES.get(u.role, "/dispatch"),
            )

    def users(self, ids: Iterable[int]) -> list[Recipient]:
        ids = list(dict.fromkeys(ids))
        self._load_users(ids)
        return [self._users[i] for i in ids if i in self._users]

    def resolve(self, audience: Audience, case: Event | None, payload: Mapping[str, Any]) -> list[Recipient]:
        if audience is Audience.NAMED:
            named = [*payload.get("recipients", ()), *([payload["recipient_id"]] if "recipient_id" in payload else [])]
            return self.users(int(i) for i in named)
        if case is None:
            return []
        if audience is Audience.REPORTER:
            return self._reporter(case)
        if audience is Audience.REPEAT_REPORTERS:  # everyone whose report joined the case, each once
            told = {r.key for r in self._reporter(case)}
            out: dict[str, Recipient] = {}
            for repeat in self.session.scalars(select(Event).where(Event.merged_into_id == case.id)):
                out.update({r.key: r for r in self._reporter(repeat) if r.key not in told})
            return list(out.values())
        if audience is Audience.HANDLERS:
            return self.users(self._task_holders(case.tasks))
        return self.users(i for path, i in self._leader_paths() if is_ancestor(path, case.division_path))

    def _reporter(self, case: Event) -> list[Recipient]:
        if case.reporter_id is not None:
            found = self.users([case.reporter_id])
            # staff who report what they found on patrol are not sent receipts for it; a resident without a
            # phone on his account is texted at the number he gave with the report
            return [
                r if r.phone_enc or not case.reporter_phone_enc else replace(r, phone_enc=case.reporter_phone_enc)
                for r in found
                if r.home == "/resident"
            ]
        if case.reporter_phone_enc and case.reporter_phone_index:
            anonymous = Recipient(
                f"phone:{case.reporter_phone_index}", None, "", case.reporter_phone_enc, None, None, None, "/resident"
            )
            return [anonymous]
        return []

    def _task_holders(self, tasks: Sequence[EventTask]) -> list[int]:
        # the case's lead as it stands when the event is planned (a re-dispatch cancels the old lead's task)
        lead = _lead_tasks(tasks)
        depts = [t.department_id for t in lead if t.department_id is not None]
        grids = [t.grid_id for t in lead if t.grid_id is not None]
        self._load_task_holders(lead)
        ids = [u for d in sorted(set(depts)) for u in self._dept_handlers[d]]
        return ids + [u for g in sorted(set(grids)) for u in self._grid_workers[g]]

    def _leader_paths(self) -> list[tuple[str, int]]:
        if self._leaders is None:
            rows = self.session.execute(
                select(Division.path, User.id)
                .join(Division, Division.id == User.division_id)
                .where(User.role == Role.LEADER.value, User.active.is_(True))
                .order_by(User.id)
            )
            self._leaders = [(p, i) for p, i in rows]
        return self._leaders


def _lead_tasks(tasks: Sequence[EventTask]) -> list[EventTask]:
    return [t for t in tasks if t.role == TaskRole.LEAD.value and t.status != TaskStatus.CANCELLED.value]
