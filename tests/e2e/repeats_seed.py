"""Seed repeats for the browser test (run in a subprocess with the e2e GRIDGOV_* environment, after seed.py; the
e2e server runs with repeats off, so this script turns them on for its own session): a resident's report and a
neighbour's repeat of it (attached by the intake port: 重复 +1 on the case), three reports of one noise problem
(a hot issue) and, at one standard address, the reports of an address with repeated complaints. Prints
{"title", "number", "dispatcher", "leader"} of the attached case."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select, update

from gridgov.address.models import Address
from gridgov.common.timeutil import utcnow
from gridgov.common.uow import one_action
from gridgov.config import get_settings
from gridgov.db import make_engine, session_factory
from gridgov.dispatch.commands import IntakeCommand
from gridgov.dispatch.intake import submit
from gridgov.dispatch.models import Event
from gridgov.org.models import Division, User
from gridgov.org.services import principal_for
from gridgov.wiring import wire


def main() -> None:
    wire()
    settings = get_settings()
    factory = session_factory(make_engine(settings.db_url))
    with factory() as s:
        s.info["settings"] = settings.model_copy(update={"repeat_attach": True, "repeat_radius_m": 100.0})
        grid = s.scalars(select(Division).where(Division.level == "grid").order_by(Division.code)).all()[5]
        community = s.get(Division, grid.parent_id)
        assert community is not None and grid.center_lon is not None and grid.center_lat is not None
        street = s.get(Division, community.parent_id)
        assert street is not None and street.parent_id is not None
        district = s.get(Division, street.parent_id)
        assert district is not None
        lon, lat, now = grid.center_lon, grid.center_lat, utcnow()

        def report(who: str, title: str, code: str, dlon: float, hours_ago: float) -> int:
            user = s.scalar(select(User).where(User.username == who))
            assert user is not None
            cmd = IntakeCommand(title=title, category_code=code, lon=lon + dlon, lat=lat)
            return one_action(submit, s, principal_for(s, user), cmd, now=now - timedelta(hours=hours_ago)).event_id

        title = "小区东门井盖缺失，夜里有人踩空（重复诉求演示）"
        main_id = report("resident1", title, "01001", 0.0, 2)
        report("resident2", "小区东门井盖缺失，很危险（重复诉求演示）", "01001", 0.0002, 1)
        noise = [
            report(who, text, "10001", 0.003 + i * 0.0001, 3 - i)
            for i, (who, text) in enumerate(
                [
                    ("resident1", "搅拌站夜间施工噪音扰民严重"),
                    ("resident2", "搅拌站噪音扰民，晚上睡不着"),
                    ("resident3", "附近搅拌站夜间噪音扰民"),
                ]
            )
        ]
        # the noise reports came by position only: placed at the standard address nearest the grid's centre
        address = s.scalars(select(Address).order_by(Address.id)).first()
        assert address is not None
        s.execute(update(Event).where(Event.id.in_(noise)).values(address_id=address.id))
        s.commit()
        number = s.scalar(select(Event.number).where(Event.id == main_id))
    print(
        json.dumps(
            {"title": title, "number": number, "dispatcher": f"dsp_{street.code}", "leader": f"ldr_{district.code}"},
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
