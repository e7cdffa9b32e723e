"""Build the e2e demo database in a fresh var dir (run in a subprocess with its own GRIDGOV_* environment, so it
never touches the settings of the in-process test suite) and print what the browser tests need as JSON:
the demo logins, a grid with its worker, street and centre, and three prepared cases — one returned by its
department and one overdue (dispatched in the past, then swept) for the dispatcher's queues, and one reported
anonymously (随手拍 without an account) and already closed, with its case number and follow-up token."""

from __future__ import annotations

import json
import random
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gridgov.address.models import Address
from gridgov.blockdata import importing
from gridgov.blockdata.idcodes import resident_id_check_char, uscc_check_char
from gridgov.blockdata.linkage import store
from gridgov.common.principal import Principal
from gridgov.common.security import hash_password, pii_cipher
from gridgov.common.timeutil import utcnow
from gridgov.common.uow import one_action
from gridgov.config import get_settings
from gridgov.db import make_engine, session_factory
from gridgov.demo.geography import build_demo_geography
from gridgov.demo.loader import NO_PASSWORD, load_demo
from gridgov.dispatch import lifecycle as lc
from gridgov.dispatch.commands import IntakeCommand
from gridgov.dispatch.intake import submit
from gridgov.dispatch.models import Channel, Event
from gridgov.dispatch.public_api import _digest, _public_principal
from gridgov.dispatch.schemas import CategoryIn, NoteIn, ResultIn, VerifyIn
from gridgov.dispatch.sweeper import sweep
from gridgov.migrate import upgrade
from gridgov.org import cache
from gridgov.org.models import Division, GridAssignment, User
from gridgov.org.services import principal_for

TEST_PASSWORD = "test-only-password-7c1e"


def _principal(session: Session, username: str) -> Principal:
    user = session.scalar(select(User).where(User.username == username))
    assert user is not None, username
    return principal_for(session, user)


def _lead_handler(session: Session, event: Event) -> Principal:
    lead = next(t for t in reversed(event.tasks) if t.role == "lead" and t.status != "cancelled")
    if lead.department_id is not None:
        name = session.scalars(select(User.username).where(User.department_id == lead.department_id)).first()
    else:
        name = session.scalars(
            select(User.username)
            .join(GridAssignment, GridAssignment.user_id == User.id)
            .where(GridAssignment.grid_id == lead.grid_id)
        ).first()
    assert name is not None
    return _principal(session, name)


def main() -> None:
    settings = get_settings()
    engine = make_engine(settings.db_url)
    upgrade(engine)
    factory = session_factory(engine)
    geo = build_demo_geography(["福田区"], grids_target=60)
    with factory() as session:
        demo = load_demo(
            session,
            settings.var_dir,
            geography=geo,
            buildings_per_community=30,
            parser_sequences=0,
            blockdata_people=800,
            classifier_texts=0,
        )
        # the accounts the demo prints have their own passwords; the others get this one (tests only)
        session.execute(
            update(User).where(User.password_hash == NO_PASSWORD).values(password_hash=hash_password(TEST_PASSWORD))
        )
        session.commit()
    cache.invalidate()
    with factory() as session:
        row = session.execute(
            select(Division, User.username)
            .join(GridAssignment, GridAssignment.grid_id == Division.id)
            .join(User, User.id == GridAssignment.user_id)
            .order_by(Division.code)
        ).first()
        assert row is not None
        grid, worker = row
        community = session.get(Division, grid.parent_id)
        assert community is not None
        street = session.get(Division, community.parent_id)
        assert street is not None
        dispatcher = _principal(session, f"dsp_{street.code}")
        resident = _principal(session, "resident3")
        now = utcnow()

        def case(title: str, at_days_ago: float) -> Event:
            at = now - timedelta(days=at_days_ago)
            ev = one_action(submit, session, resident, IntakeCommand(title=title, grid_code=grid.code), now=at)
            one_action(lc.file_event, session, dispatcher, ev.event_id, CategoryIn(category_code="01001"), now=at)
            return one_action(
                lc.dispatch_event, session, dispatcher, ev.event_id, CategoryIn(), now=at + timedelta(minutes=5)
            )

        returned = case("非本部门职责的占道经营（退回演示）", 0.01)
        handler = _lead_handler(session, returned)
        one_action(lc.accept_event, session, handler, returned.id, NoteIn())
        one_action(lc.return_event, session, handler, returned.id, NoteIn(note="不属于本部门职责，请重新派遣"))

        overdue = case("暴露垃圾久未清理（超时演示）", 40)
        start = now - timedelta(days=40)
        for day in range(1, 41):  # sweep day by day: escalates tier by tier until the top tier stays red
            sweep(session, now=start + timedelta(days=day))
            session.expire_all()
            if session.get(Event, overdue.id).sla_state == "red":  # type: ignore[union-attr]
                break
        sweep(session, now=now)

        # an anonymous 随手拍 report (as POST /api/public/events makes it), handled and verified: closed
        phone, token = "13900001111", secrets.token_urlsafe(24)
        anon = _public_principal(scope=pii_cipher(settings.pii_secret).blind_index(phone)[:32])
        at = now - timedelta(hours=3)
        report = IntakeCommand(
            title="路灯不亮（匿名上报演示）",
            channel=Channel.PHOTO,
            grid_code=grid.code,
            reporter_phone=phone,
            followup_token_digest=_digest(token),
        )
        reported = one_action(submit, session, anon, report, now=at)
        one_action(lc.file_event, session, dispatcher, reported.event_id, CategoryIn(category_code="01001"), now=at)
        public = one_action(
            lc.dispatch_event, session, dispatcher, reported.event_id, CategoryIn(), now=at + timedelta(minutes=5)
        )
        lead = _lead_handler(session, public)
        one_action(lc.accept_event, session, lead, public.id, NoteIn(), now=at + timedelta(minutes=30))
        one_action(
            lc.handle_event,
            session,
            lead,
            public.id,
            ResultIn(note="已更换灯泡，路灯恢复照明"),
            now=at + timedelta(hours=1),
        )
        verifier = _principal(session, f"cs_{community.code}")  # the lead may be the grid worker himself
        one_action(lc.verify_event, session, verifier, public.id, VerifyIn(passed=True), now=at + timedelta(hours=2))
        closed = session.get(Event, public.id)
        assert closed is not None and closed.status == "closed", closed and closed.status

        # 一楼一档: a building of the grid with three residents (one moved out), a company, a closed case with
        # its outcome and an open one waiting in the dispatcher's 待立案 queue
        building = session.scalars(
            select(Address).where(Address.grid_id == grid.id, Address.level == "building").order_by(Address.code)
        ).first()
        assert building is not None
        admin = _principal(session, "admin")
        people = [
            ("林晓梅", "19510304002", "13900002222", "2001-05-01", ""),
            ("林国强", "19800712003", "", "2012-09-01", ""),
        ]
        people.append(("黄小军", "19920101005", "13900003333", "2015-01-01", "2020-06-30"))
        ids: list[str] = []
        rows: list[dict[str, str]] = []
        for name, tail, phone, moved_in, moved_out in people:
            first17 = "440304" + tail
            number = first17 + resident_id_check_char(first17)
            ids.append(number)
            address = building.full_name + "1单元" + str(301 + len(rows))
            tags = "独居老人" if len(rows) == 0 else ""
            rows.append(
                {"name": name, "id_number": number, "phone": phone, "address": address, "move_in": moved_in}
                | {"move_out": moved_out, "tags": tags}
            )
        imported = one_action(
            importing.import_records, session, admin, department="公安", kind="person", filename="e2e.csv", rows=rows
        )
        assert imported.ok, imported.errors
        code17 = "91440304MA5DEN12E"
        company = {
            "name": "深圳市演示便利店有限公司",
            "uscc": code17 + uscc_check_char(code17),
            "address": building.full_name,
        }
        imported = one_action(
            importing.import_records,
            session,
            admin,
            department="市场监管",
            kind="entity",
            filename="e2e-co.csv",
            rows=[company | {"legal_rep": "林国强", "industry": "批发和零售业"}],
        )
        assert imported.ok, imported.errors
        at = now - timedelta(days=2)
        placed = IntakeCommand(
            title="楼道堆放杂物（一楼一档演示）", address_text=building.full_name, grid_code=grid.code
        )
        done = one_action(submit, session, resident, placed, now=at)
        one_action(lc.file_event, session, dispatcher, done.event_id, CategoryIn(category_code="01001"), now=at)
        ev = one_action(lc.dispatch_event, session, dispatcher, done.event_id, CategoryIn(), now=at)
        lead = _lead_handler(session, ev)
        one_action(lc.accept_event, session, lead, ev.id, NoteIn(), now=at + timedelta(minutes=30))
        result = ResultIn(note="已清理楼道杂物，通道畅通")
        one_action(lc.handle_event, session, lead, ev.id, result, now=at + timedelta(hours=1))
        one_action(lc.verify_event, session, verifier, ev.id, VerifyIn(passed=True), now=at + timedelta(hours=2))
        waiting = IntakeCommand(
            title="外墙渗水（一楼一档待立案）", address_text=building.full_name, grid_code=grid.code
        )
        open_case = one_action(submit, session, resident, waiting)
        opened = session.get(Event, open_case.event_id)
        assert opened is not None and opened.address_id == building.id, opened and opened.address_id

        _linked_people(session, admin, building, rows[0])

        final = session.get(Event, overdue.id)
        assert final is not None
        # 自主申报: another building of the same grid, so that a declaration confirmed there leaves 一楼一档's alone
        declare_building = session.scalars(
            select(Address)
            .where(Address.grid_id == grid.id, Address.level == "building", Address.id != building.id)
            .order_by(Address.code)
        ).first()
        assert declare_building is not None
        out = {
            "logins": {u: {"password": p, "role": r} for u, p, r, _s in demo.logins},
            "test_password": TEST_PASSWORD,
            "grid": {"code": grid.code, "name": grid.name, "lon": grid.center_lon, "lat": grid.center_lat},
            "grid_worker": worker,
            "community": community.code,
            "street": street.code,
            "district": street.parent.code if street.parent is not None else None,
            "returned_id": returned.id,
            "overdue_id": overdue.id,
            "overdue_state": [final.status, final.sla_state, final.level],
            "public_case": {"number": closed.number, "token": token, "title": closed.title, "phone": phone},
            "declare_building": {"code": declare_building.code, "full_name": declare_building.full_name},
            "building": {
                "code": building.code,
                "name": building.name,
                "full_name": building.full_name,
                "ids": ids,
                "closed_title": placed.title,
                "open_title": waiting.title,
            },
        }
    print("SEED-JSON " + json.dumps(out, ensure_ascii=False))
    engine.dispose()


def _linked_people(session: Session, admin: Principal, building: Address, resident: dict[str, str]) -> None:
    """一人一档: the same resident again from 住建 (a homophone of her name, another building), beside a made-up
    background population at other buildings (some of it delivered twice), all linked by the real link run."""
    others = session.scalars(
        select(Address).where(Address.level == "building", Address.id != building.id).order_by(Address.code).limit(8)
    ).all()
    rng = random.Random(5)
    background: list[dict[str, str]] = []
    for i in range(150):
        first17 = "440305" + f"{rng.randint(1950, 2004)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{i:03d}"
        name = rng.choice("王李张刘陈杨黄赵吴周") + "".join(rng.choice("伟芳娜敏静丽强磊军洋") for _ in range(2))
        place = others[i % len(others)].full_name
        background.append({"name": name, "id_number": first17 + resident_id_check_char(first17), "address": place})
    again = [dict(row, name=row["name"].replace("芳", "方").replace("静", "靖")) for row in background[:50]]
    copy = resident | {"name": "林晓玫", "address": others[0].full_name, "tags": "", "move_in": "", "move_out": ""}
    for department, batch in (("公安", background), ("住建", [copy, *again])):
        done = one_action(
            importing.import_records, session, admin, department=department, kind="person", filename="p.csv", rows=batch
        )
        assert done.ok, done.errors[:3]
    one_action(store.run_link, session, admin, full=True)


if __name__ == "__main__":
    main()
