"""The IOC (指挥大屏) data API: exact counters on a controlled set of cases, rates, breakdowns, rankings,
warnings, hotspots, the map, data scope and the live stream.

The demo database is shared by every test, so this module writes only to three communities of one street
(the second-to-last street by code; others use the first streets and fixed grid indexes) and asserts exact
numbers only for those communities:

* C1 (grid g1), on a fixed Wednesday D = 2026-09-16 (Asia/Shanghai), driven through the services with `now=`:
    E1 01001 resident1 photo    reported D 09:00, dispatched, handled 10:00 (on time), closed 10:30, rated 5
    E2 01001 hotline            reported D 09:05, dispatched, handled D+1 17:00 (late), closed D+1 17:30
    E3 03001 hotline            reported D 10:00, accepted by the street, escalated 11:00 → district; red
    E4 01002 resident2 photo    reported D 11:00, dispatched, returned 11:30, dispatched again 11:40; yellow
    E5 01001 resident2 photo    reported D 12:00, rejected (不立案) 12:10
    E6 —     resident3 photo    reported D 13:00, not filed
    S  01001 grid worker        self-handled D 14:00, closed 14:30
    E7 01001 grid worker        reported D−2 (Monday) 09:00, handled 10:00, closed D 09:00
    E8 01001 resident1 photo    reported D−1 09:00, closed 10:30, rated 2 at 11:00, reopened D 12:00
* C2 (grid g2): two 01001 cases reported on D, closed on time the same morning.
* C3 (grid g3): two cases reported now (real clock), one of them dispatched, for the HTTP "today" figures.

The red and yellow lights are written directly (as the sweeper would), with a deadline far ahead so that a
sweep run by another test module leaves them alone. Period figures on the fixed day are checked through the
query functions (the HTTP handlers call the same functions with the current period); the HTTP tests check
what does not depend on the date (open cases, warnings, map counts) and today's figures of C3.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from gridgov.catalog.models import EventCategory
from gridgov.common.principal import Principal
from gridgov.common.timeutil import SHANGHAI, to_local, utcnow
from gridgov.common.uow import one_action
from gridgov.dashboard import api as dashboard_api
from gridgov.dashboard import breakdowns, maps, rankings, summary
from gridgov.dashboard.cache import TTLCache, cached, clear_caches
from gridgov.dashboard.schemas import BreakdownBy, Period, RankingBy
from gridgov.dashboard.view import View, Window, child_level, divisions_at, period_window, resolve_view
from gridgov.db import session_factory
from gridgov.demo.loader import DemoResult
from gridgov.dispatch import lifecycle as lc
from gridgov.dispatch.commands import IntakeCommand
from gridgov.dispatch.models import Channel, Event, EventTask, EventTransition
from gridgov.dispatch.rules import OPEN
from gridgov.dispatch.schemas import CategoryIn, NoteIn, RateIn, ResultIn, VerifyIn
from gridgov.org.models import Department, Division, User
from gridgov.org.services import principal_for
from support import report as report_event

Login = Callable[[str], dict[str, str]]

D = (2026, 9, 16)  # a Wednesday, an ordinary working day


def at(day_offset: int, hour: int, minute: int = 0) -> datetime:
    base = datetime(*D, hour, minute, tzinfo=SHANGHAI) + timedelta(days=day_offset)
    return base.astimezone(UTC)


NOON_D = at(0, 12)


@dataclass
class World:
    street: Division
    c1: Division
    c2: Division
    c3: Division
    g1: Division
    g2: Division
    g3: Division
    other_street: Division
    district: Division
    ids: dict[str, int]
    district_zhujian: Department
    street_chengguan: Department


def _who(session: Session, username: str) -> Principal:
    user = session.scalar(select(User).where(User.username == username))
    assert user is not None, username
    return principal_for(session, user)


def _children(session: Session, parent: Division) -> list[Division]:
    return list(session.scalars(select(Division).where(Division.parent_id == parent.id).order_by(Division.code)))


@pytest.fixture(scope="module")
def world(engine: Engine, demo: DemoResult) -> World:

    with session_factory(engine)() as s:
        streets = list(s.scalars(select(Division).where(Division.level == "street").order_by(Division.code)))
        assert len(streets) >= 3
        street = streets[-2]
        communities = _children(s, street)
        assert len(communities) >= 3
        c3, c2, c1 = communities[-3:]
        g1, g2, g3 = (_children(s, c)[0] for c in (c1, c2, c3))
        district = s.get(Division, street.parent_id)
        assert district is not None
        for c in (c1, c2, c3):  # these communities are this module's alone
            n = s.scalar(select(func.count()).select_from(Event).where(Event.division_path.startswith(c.path)))
            assert n == 0, f"community {c.code} already has cases: pick other communities"

        dsp = _who(s, f"dsp_{street.code}")
        res1, res2, res3 = (_who(s, f"resident{i}") for i in (1, 2, 3))
        gw1, gw2 = _who(s, f"gw_{g1.code}"), _who(s, f"gw_{g2.code}")
        cs1, cs2 = _who(s, f"cs_{c1.code}"), _who(s, f"cs_{c2.code}")

        def report(who: Principal, grid: Division, title: str, when: datetime, **kw: object) -> int:
            body = IntakeCommand(title=title, grid_code=grid.code, lon=grid.center_lon, lat=grid.center_lat, **kw)  # type: ignore[arg-type]
            ev, _ = report_event(s, who, body, now=when)
            return ev.id

        def to_dispatched(
            eid: int, when: datetime, category: str | None = None, after: timedelta = timedelta(minutes=10)
        ) -> None:
            one_action(lc.file_event, s, dsp, eid, CategoryIn(category_code=category), now=when)
            one_action(lc.dispatch_event, s, dsp, eid, CategoryIn(), now=when + after)

        def grid_loop(
            eid: int, gw: Principal, cs: Principal, accepted: datetime, handled: datetime, closed: datetime
        ) -> None:
            one_action(lc.accept_event, s, gw, eid, NoteIn(), now=accepted)
            one_action(lc.handle_event, s, gw, eid, ResultIn(note="已处置"), now=handled)
            one_action(lc.verify_event, s, cs, eid, VerifyIn(passed=True), now=closed)

        ids: dict[str, int] = {}
        hot, photo, patrol = Channel.HOTLINE, Channel.PHOTO, Channel.GRID_PATROL

        ids["E1"] = report(res1, g1, "看板 E1 暴露垃圾", at(0, 9), channel=photo, category_code="01001")
        to_dispatched(ids["E1"], at(0, 9, 10))
        grid_loop(ids["E1"], gw1, cs1, at(0, 9, 30), at(0, 10), at(0, 10, 30))
        one_action(lc.rate_event, s, res1, ids["E1"], RateIn(rating=5), now=at(0, 11))

        ids["E2"] = report(dsp, g1, "看板 E2 暴露垃圾", at(0, 9, 5), channel=hot, category_code="01001")
        to_dispatched(ids["E2"], at(0, 9, 15))
        grid_loop(ids["E2"], gw1, cs1, at(0, 9, 40), at(1, 17), at(1, 17, 30))

        ids["E3"] = report(dsp, g1, "看板 E3 施工扰民", at(0, 10), channel=hot, category_code="03001")
        to_dispatched(ids["E3"], at(0, 10, 10))
        one_action(lc.accept_event, s, _who(s, f"h_{street.code}_zhujian"), ids["E3"], NoteIn(), now=at(0, 10, 40))
        one_action(lc.escalate_event, s, dsp, ids["E3"], NoteIn(note="街道无力解决，上报区级"), now=at(0, 11))

        ids["E4"] = report(res2, g1, "看板 E4 积存垃圾渣土", at(0, 11), channel=photo, category_code="01002")
        to_dispatched(ids["E4"], at(0, 11, 5))
        handler = _who(s, f"h_{street.code}_chengguan")
        one_action(lc.return_event, s, handler, ids["E4"], NoteIn(note="非本单位职责"), now=at(0, 11, 30))
        one_action(lc.dispatch_event, s, dsp, ids["E4"], CategoryIn(), now=at(0, 11, 40))

        ids["E5"] = report(res2, g1, "看板 E5 重复", at(0, 12), channel=photo, category_code="01001")
        one_action(lc.reject_event, s, dsp, ids["E5"], NoteIn(note="重复上报"), now=at(0, 12, 10))

        ids["E6"] = report(res3, g1, "看板 E6 未分类", at(0, 13), channel=photo)

        sh, _ = report_event(
            s,
            gw1,
            IntakeCommand(
                title="看板 S 自行处置",
                channel=patrol,
                category_code="01001",
                grid_code=g1.code,
                lon=g1.center_lon,
                lat=g1.center_lat,
                result_note="现场处置完毕",
                self_handle=True,
            ),
            now=at(0, 14),
        )
        ids["S"] = sh.id
        one_action(lc.verify_event, s, cs1, ids["S"], VerifyIn(passed=True), now=at(0, 14, 30))

        ids["E7"] = report(gw1, g1, "看板 E7 暴露垃圾", at(-2, 9), channel=patrol, category_code="01001")
        to_dispatched(ids["E7"], at(-2, 9, 10))
        grid_loop(ids["E7"], gw1, cs1, at(-2, 9, 30), at(-2, 10), at(0, 9))

        ids["E8"] = report(res1, g1, "看板 E8 暴露垃圾", at(-1, 9), channel=photo, category_code="01001")
        to_dispatched(ids["E8"], at(-1, 9, 10))
        grid_loop(ids["E8"], gw1, cs1, at(-1, 9, 30), at(-1, 10), at(-1, 10, 30))
        one_action(lc.rate_event, s, res1, ids["E8"], RateIn(rating=2), now=at(-1, 11))
        one_action(lc.reopen_event, s, res1, ids["E8"], NoteIn(note="问题反弹"), now=at(0, 12))

        for i, minute in enumerate((0, 30)):
            key = f"C2-{i}"
            ids[key] = report(res3, g2, f"看板 {key}", at(0, 9, minute), channel=photo, category_code="01001")
            to_dispatched(ids[key], at(0, 9, minute + 5))
            grid_loop(ids[key], gw2, cs2, at(0, 9, minute + 20), at(0, 10, minute), at(0, 10, minute + 20))

        # The lights, as the sweeper writes them (deadline moved far ahead: later sweeps leave them alone).
        far = utcnow() + timedelta(days=60)
        s.execute(
            update(Event)
            .where(Event.id == ids["E3"])
            .values(sla_state="red", ever_overdue=True, warn_at=far, deadline_at=far)
        )
        s.execute(
            update(Event)
            .where(Event.id == ids["E4"])
            .values(sla_state="yellow", warn_at=utcnow() - timedelta(hours=1), deadline_at=far)
        )
        s.commit()

        now = utcnow()
        ids["N1"] = report(res1, g3, "看板 N1 今日", now, channel=photo, category_code="01001")
        ids["N2"] = report(dsp, g3, "看板 N2 今日", now, channel=hot, category_code="01002")
        # dispatched at once: ten minutes later would be tomorrow for a run shortly before midnight (Asia/Shanghai)
        to_dispatched(ids["N2"], now, after=timedelta(0))

        dz = s.scalar(
            select(Department).where(Department.division_id == district.id, Department.dept_type == "zhujian")
        )
        sc = s.scalar(
            select(Department).where(Department.division_id == street.id, Department.dept_type == "chengguan")
        )
        assert dz is not None and sc is not None
        lead_e3 = s.scalar(
            select(EventTask.department_id)
            .where(EventTask.event_id == ids["E3"], EventTask.role == "lead", EventTask.status != "cancelled")
            .order_by(EventTask.id.desc())
        )
        assert lead_e3 == dz.id, "E3 should now be led by the district's 住房和建设局"
        return World(street, c1, c2, c3, g1, g2, g3, streets[0], district, ids, dz, sc)


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    clear_caches()
    yield
    clear_caches()


def view_of(session: Session, username: str, code: str | None) -> View:
    return resolve_view(session, _who(session, username), code)


# --- periods --------------------------------------------------------------------------------------------


def test_period_windows_follow_the_shanghai_calendar() -> None:
    # Sunday 2026-11-22 00:30 in Shanghai is still Saturday in UTC.
    now = datetime(2026, 11, 22, 0, 30, tzinfo=SHANGHAI).astimezone(UTC)
    today = period_window(Period.TODAY, now)
    assert today.start == datetime(2026, 11, 21, 16, 0, tzinfo=UTC)
    assert today.end - today.start == timedelta(days=1)
    week = period_window(Period.WEEK, now)
    assert to_local(week.start) == datetime(2026, 11, 16, tzinfo=SHANGHAI)  # Monday
    assert week.end - week.start == timedelta(days=7)
    month = period_window(Period.MONTH, datetime(2026, 12, 31, 17, 0, tzinfo=UTC))  # 1 Jan 01:00 local
    assert to_local(month.start) == datetime(2027, 1, 1, tzinfo=SHANGHAI)
    assert to_local(month.end) == datetime(2027, 2, 1, tzinfo=SHANGHAI)


# --- exact figures on the fixed day ---------------------------------------------------------------------


def test_summary_counts_on_the_fixed_day(session: Session, world: World) -> None:
    view = view_of(session, f"dsp_{world.street.code}", world.c1.code)
    out = summary.summary(session, view, period_window(Period.TODAY, NOON_D))
    assert out.division.code == world.c1.code and out.division.level == "community"
    assert (out.reported, out.filed, out.dispatched, out.handled, out.closed) == (7, 4, 4, 2, 3)
    assert out.on_time_rate == 1.0  # E1, E7 in time; S never on the clock
    assert out.closure_rate == 0.5  # E1, E2, S of six (E5 rejected does not count)
    assert (out.open, out.overdue, out.warning) == (4, 1, 1)  # E3 red, E4 yellow, E6, E8
    assert out.escalated == 1
    assert out.satisfaction == 5.0


def test_summary_counts_over_the_week(session: Session, world: World) -> None:
    view = view_of(session, f"dsp_{world.street.code}", world.c1.code)
    out = summary.summary(session, view, period_window(Period.WEEK, NOON_D))
    assert out.reported == 9 and out.closed == 4  # E1, E2, E7, S (E8's close was undone by the reopen)
    assert out.on_time_rate == 0.75  # E2 was handled after its first deadline
    assert out.closure_rate == 0.5  # four of eight
    assert out.satisfaction == 3.5  # 5 (E1) and 2 (E8)
    assert out.escalated == 1


def test_trend_per_local_day(session: Session, world: World) -> None:
    view = view_of(session, f"dsp_{world.street.code}", world.c1.code)
    out = summary.trend(session, view, 4, now=at(1, 20))
    assert out.days == ["2026-09-14", "2026-09-15", "2026-09-16", "2026-09-17"]
    assert out.reported == [1, 1, 7, 0]
    assert out.closed == [0, 0, 3, 1]  # E8 (closed on the 15th) was reopened
    assert out.overdue == [0, 0, 0, 0]  # the red light was written without a sweep


def test_breakdowns_add_up(session: Session, world: World) -> None:
    view = view_of(session, f"dsp_{world.street.code}", world.c1.code)
    win = period_window(Period.TODAY, NOON_D)

    def items(by: BreakdownBy) -> dict[str, tuple[str, int, int]]:
        out = breakdowns.breakdown(session, view, win, by)
        assert out.by == by
        assert sum(i.count for i in out.items) == 7, by
        return {i.key: (i.label, i.count, i.closed) for i in out.items}

    assert items(BreakdownBy.MAJOR) == {
        "01": ("市容环境", 5, 3),
        "03": ("施工管理", 1, 0),
        "uncategorized": ("未分类", 1, 0),
    }
    assert items(BreakdownBy.CHANNEL) == {
        "photo": ("随手拍", 4, 1),
        "hotline_12345": ("12345热线", 2, 1),
        "grid_patrol": ("网格巡查", 1, 1),
    }
    assert items(BreakdownBy.CHILD) == {world.g1.code: (world.g1.name, 7, 3)}
    assert items(BreakdownBy.DEPARTMENT) == {
        "grid": ("网格自办", 3, 3),
        world.district_zhujian.code: (world.district_zhujian.name, 1, 0),
        world.street_chengguan.code: (world.street_chengguan.name, 1, 0),
        "unassigned": ("未派遣", 2, 0),
    }


def test_a_grid_has_no_children_and_keeps_its_own_cases(session: Session, world: World) -> None:
    view = view_of(session, f"cs_{world.c1.code}", world.g1.code)
    win = period_window(Period.TODAY, NOON_D)
    items = breakdowns.breakdown(session, view, win, BreakdownBy.CHILD).items
    assert [(i.key, i.count, i.closed) for i in items] == [(world.g1.code, 7, 3)]
    ranked = rankings.rankings(session, view, win, RankingBy.CHILD).items
    assert [(i.key, i.total, i.score) for i in ranked] == [(world.g1.code, 7, 70.0)]
    assert maps.map_level(view, None) == "grid"
    features = maps.map_data(session, view, "grid", now=NOON_D).divisions["features"]
    assert [f["properties"]["code"] for f in features] == [world.g1.code]


def test_street_breakdown_by_child_and_hotspots(session: Session, world: World) -> None:
    view = view_of(session, f"dsp_{world.street.code}", None)
    win = period_window(Period.TODAY, NOON_D)
    out = breakdowns.breakdown(session, view, win, BreakdownBy.CHILD)
    by_key = {i.key: i for i in out.items}
    assert {c.code for c in _children(session, world.street)} <= set(by_key)  # every community, zeros too
    assert (by_key[world.c1.code].count, by_key[world.c1.code].closed) == (7, 3)
    assert (by_key[world.c2.code].count, by_key[world.c2.code].closed) == (2, 2)
    assert [i.count for i in out.items] == sorted((i.count for i in out.items), reverse=True)

    hot = maps.hotspots(session, view, win, 10).items
    assert [(h.grid_code, h.count, h.open) for h in hot[:2]] == [(world.g1.code, 7, 3), (world.g2.code, 2, 0)]
    assert hot[0].grid_name == world.g1.name and hot[0].lon is not None


def test_rankings_score_and_order(session: Session, world: World) -> None:
    view = view_of(session, f"dsp_{world.street.code}", None)
    win = period_window(Period.TODAY, NOON_D)
    out = rankings.rankings(session, view, win, RankingBy.CHILD)
    keys = [i.key for i in out.items]
    first, second = out.items[keys.index(world.c2.code)], out.items[keys.index(world.c1.code)]
    assert keys.index(world.c2.code) < keys.index(world.c1.code)
    assert (first.total, first.closed, first.closure_rate, first.on_time_rate, first.score) == (2, 2, 1.0, 1.0, 100.0)
    assert (second.total, second.closed, second.returns, second.overdue) == (7, 3, 1, 1)
    assert second.closure_rate == 0.5 and second.on_time_rate == pytest.approx(0.6667)
    assert second.reopen_rate == 0.0
    # 100 × (0.4 × 2/3 + 0.3 × 1/2 + 0.2 × 1 + 0.1 × (1 − 1/6)) = 70.0
    assert second.score == 70.0
    scores = [i.score for i in out.items]
    scored = [s for s in scores if s is not None]
    assert scored == sorted(scored, reverse=True)
    assert all(s is None for s in scores[len(scored) :])  # communities without cases come last

    depts = rankings.rankings(session, view, win, RankingBy.DEPARTMENT).items
    by_key = {i.key: i for i in depts}
    assert by_key["grid"].total == 5 and by_key["grid"].closed == 5  # E1, E2, S and the two C2 cases
    assert by_key[world.district_zhujian.code].overdue == 1
    assert "unassigned" not in by_key


def test_map_of_a_community(session: Session, world: World) -> None:
    view = view_of(session, f"dsp_{world.street.code}", world.c1.code)
    level = maps.map_level(view, None)
    assert level == "grid"
    out = maps.map_data(session, view, level, now=NOON_D)
    features = out.divisions["features"]
    assert [f["properties"]["code"] for f in features] == [world.g1.code]
    assert features[0]["properties"]["open"] == 4 and features[0]["properties"]["red"] == 1
    assert features[0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    got = {e.id: e.status for e in out.events}
    ids = world.ids
    assert got == {
        ids["E3"]: "dispatched",
        ids["E4"]: "dispatched",
        ids["E6"]: "reported",
        ids["E8"]: "filed",
        ids["E1"]: "rated",
        ids["E7"]: "closed",
        ids["S"]: "closed",
    }
    assert [e.id for e in out.events] == sorted(got, reverse=True)


# --- through HTTP ---------------------------------------------------------------------------------------


def test_http_summary_now(app_client: TestClient, login: Login, world: World) -> None:
    headers = login(f"dsp_{world.street.code}")
    r = app_client.get("/api/dashboard/summary", params={"division_code": world.c1.code}, headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {
        "period",
        "from",
        "to",
        "division",
        "reported",
        "filed",
        "dispatched",
        "handled",
        "closed",
        "closure_rate",
        "on_time_rate",
        "overdue",
        "warning",
        "escalated",
        "satisfaction",
        "open",
        "first_time_right",
        "mean_transfers",
    }
    assert body["period"] == "today" and body["division"]["code"] == world.c1.code
    assert (body["open"], body["overdue"], body["warning"]) == (4, 1, 1)
    start = datetime.fromisoformat(body["from"].replace("Z", "+00:00"))
    assert to_local(start).hour == 0 and to_local(start).date() == to_local(utcnow()).date()

    r = app_client.get("/api/dashboard/summary", params={"division_code": world.c3.code}, headers=headers)
    c3 = r.json()
    assert (c3["reported"], c3["filed"], c3["dispatched"], c3["open"]) == (2, 1, 1, 2)
    assert c3["closure_rate"] == 0.0 and c3["on_time_rate"] is None and c3["satisfaction"] is None

    for period in ("week", "month"):
        r = app_client.get("/api/dashboard/summary", params={"period": period}, headers=headers)
        assert r.status_code == 200 and r.json()["division"]["code"] == world.street.code
        assert r.json()["reported"] >= 2
    assert app_client.get("/api/dashboard/summary", params={"period": "year"}, headers=headers).status_code == 422


def test_http_breakdowns_sum_to_reported(app_client: TestClient, login: Login, world: World) -> None:
    headers = login(f"ldr_{world.district.code}")
    for period in ("today", "month"):
        total = app_client.get("/api/dashboard/summary", params={"period": period}, headers=headers).json()
        for by in ("major", "channel", "child", "department"):
            r = app_client.get("/api/dashboard/breakdown", params={"period": period, "by": by}, headers=headers)
            assert r.status_code == 200, r.text
            assert r.json()["by"] == by
            assert sum(i["count"] for i in r.json()["items"]) == total["reported"], (period, by)
            assert all(set(i) == {"key", "label", "count", "closed"} for i in r.json()["items"])


def test_http_trend_rankings_hotspots(app_client: TestClient, login: Login, world: World) -> None:
    headers = login(f"dsp_{world.street.code}")
    r = app_client.get("/api/dashboard/trend", params={"days": 7}, headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["days"]) == len(body["reported"]) == len(body["closed"]) == len(body["overdue"]) == 7
    assert body["days"][-1] == to_local(utcnow()).date().isoformat()
    assert body["reported"][-1] >= 2  # N1, N2

    r = app_client.get("/api/dashboard/rankings", params={"by": "department", "period": "month"}, headers=headers)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    scores = [i["score"] for i in items if i["score"] is not None]
    assert scores == sorted(scores, reverse=True)
    assert all(
        set(i) >= {"key", "label", "total", "closed", "closure_rate", "on_time_rate", "returns", "reopen_rate"}
        for i in items
    )

    r = app_client.get("/api/dashboard/hotspots", params={"division_code": world.c3.code, "limit": 5}, headers=headers)
    assert r.json()["items"] == [
        {
            "grid_code": world.g3.code,
            "grid_name": world.g3.name,
            "count": 2,
            "open": 2,
            "lon": world.g3.center_lon,
            "lat": world.g3.center_lat,
        }
    ]


def test_http_warnings_red_first(app_client: TestClient, login: Login, world: World) -> None:
    headers = login(f"cs_{world.c1.code}")  # community staff, own community by default
    r = app_client.get("/api/dashboard/warnings", headers=headers)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [(i["id"], i["sla_state"]) for i in items] == [(world.ids["E3"], "red"), (world.ids["E4"], "yellow")]
    red = items[0]
    assert red["grid_code"] == world.g1.code and red["category_name"] == "施工扰民"
    assert red["escalation_count"] == 1 and red["level"] == "district" and red["number"]

    district = app_client.get("/api/dashboard/warnings", params={"limit": 500}, headers=login("admin")).json()
    states = [i["sla_state"] for i in district["items"]]
    assert world.ids["E3"] in {i["id"] for i in district["items"]}
    assert states == sorted(states, key=lambda s: s != "red")  # red first


def test_http_map(app_client: TestClient, login: Login, world: World, session: Session) -> None:
    headers = login(f"dsp_{world.street.code}")
    r = app_client.get("/api/dashboard/map", headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["divisions"]["type"] == "FeatureCollection"
    props = {f["properties"]["code"]: f["properties"] for f in body["divisions"]["features"]}
    assert set(props) == {c.code for c in _children(session, world.street)}
    assert (props[world.c1.code]["open"], props[world.c1.code]["red"]) == (4, 1)
    assert props[world.c1.code]["level"] == "community"
    ids = {e["id"] for e in body["events"]}
    assert {world.ids[k] for k in ("E3", "E4", "E6", "E8", "N1", "N2")} <= ids
    assert world.ids["E1"] not in ids  # closed, but not today

    grids = app_client.get("/api/dashboard/map", params={"level": "grid"}, headers=headers).json()
    codes = {f["properties"]["code"] for f in grids["divisions"]["features"]}
    assert {world.g1.code, world.g2.code, world.g3.code} <= codes
    bad = app_client.get("/api/dashboard/map", params={"level": "district"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "level"


# --- scope ----------------------------------------------------------------------------------------------


ENDPOINTS = [
    ("summary", {}),
    ("trend", {}),
    ("breakdown", {"by": "major"}),
    ("rankings", {}),
    ("warnings", {}),
    ("hotspots", {}),
    ("map", {}),
]


def test_scope_other_street_is_not_found(app_client: TestClient, login: Login, world: World) -> None:
    other = login(f"dsp_{world.other_street.code}")
    for name, params in ENDPOINTS:
        r = app_client.get(f"/api/dashboard/{name}", params={**params, "division_code": world.c1.code}, headers=other)
        assert r.status_code == 404, (name, r.text)
        assert r.json()["error"]["message"] == "区划不存在或无权查看"
        assert r.json()["error"]["field"] == "division_code"
    # a community's staff cannot look up to the street either; unknown codes are 404 too
    cs = login(f"cs_{world.c1.code}")
    assert (
        app_client.get("/api/dashboard/summary", params={"division_code": world.street.code}, headers=cs).status_code
        == 404
    )
    assert (
        app_client.get("/api/dashboard/summary", params={"division_code": "999999999999"}, headers=cs).status_code
        == 404
    )
    # the other street's own figures do not include ours
    mine = app_client.get("/api/dashboard/summary", headers=other).json()
    assert mine["division"]["code"] == world.other_street.code


def test_scope_roles_without_a_screen_are_forbidden(app_client: TestClient, login: Login, world: World) -> None:
    for username in (f"h_{world.street.code}_chengguan", "resident1", f"gw_{world.g1.code}"):
        headers = login(username)
        for name, params in ENDPOINTS:
            r = app_client.get(f"/api/dashboard/{name}", params=params, headers=headers)
            assert r.status_code == 403, (username, name, r.text)
            assert "无权" in r.json()["error"]["message"]
    assert app_client.get("/api/dashboard/summary").status_code == 401


def test_defaults_per_role(app_client: TestClient, login: Login, world: World) -> None:
    admin = app_client.get("/api/dashboard/summary", headers=login("admin")).json()
    assert admin["division"]["level"] == "city"
    leader = app_client.get("/api/dashboard/summary", headers=login(f"ldr_{world.district.code}")).json()
    assert leader["division"]["code"] == world.district.code
    assert admin["open"] >= leader["open"] >= 4 and admin["reported"] >= leader["reported"]
    r = app_client.get(
        "/api/dashboard/summary", params={"division_code": world.c1.code}, headers=login(f"ldr_{world.district.code}")
    )
    assert r.json()["open"] == 4


# --- cache ----------------------------------------------------------------------------------------------


def test_results_are_cached_briefly(session: Session, world: World) -> None:
    cache = TTLCache(ttl=60)
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert cache.get_or_compute("k", compute) == 1
    assert cache.get_or_compute("k", compute) == 1
    assert cache.get_or_compute("other", compute) == 2
    cache.clear()
    assert cache.get_or_compute("k", compute) == 3
    assert TTLCache(ttl=0).get_or_compute("k", compute) == 4  # disabled

    # the same viewer scope and parameters share one result; another division does not
    v1 = view_of(session, f"dsp_{world.street.code}", world.c1.code)
    win = period_window(Period.TODAY, NOON_D)
    a = cached("summary", v1, (win.start,), lambda: summary.summary(session, v1, win))
    b: object = cached("summary", v1, (win.start,), lambda: pytest.fail("should have been cached"))
    assert a is b


# --- live stream ----------------------------------------------------------------------------------------


def _first_event(app_client: TestClient, params: dict[str, str]) -> tuple[int, dict[str, str]]:
    with app_client.stream("GET", "/api/dashboard/stream", params=params) as r:
        if r.status_code != 200:
            r.read()
            return r.status_code, {"body": r.text}
        assert r.headers["content-type"].startswith("text/event-stream")
        fields: dict[str, str] = {}
        for line in r.iter_lines():
            if not line:
                if "event" in fields:
                    return 200, fields
                continue
            name, _, value = line.partition(":")
            fields[name] = value.strip()
    raise AssertionError("stream ended before the first event")


def test_stream_sends_the_summary_first(app_client: TestClient, login: Login, world: World) -> None:
    token = login(f"dsp_{world.street.code}")["Authorization"].removeprefix("Bearer ")
    status, fields = _first_event(app_client, {"access_token": token, "division_code": world.c1.code})
    assert status == 200 and fields["event"] == "summary"
    data = json.loads(fields["data"])
    assert data["division"]["code"] == world.c1.code and data["open"] == 4 and data["period"] == "today"
    assert int(fields["id"]) > 0


def test_stream_pushes_on_change_and_ends(
    app_client: TestClient, login: Login, world: World, monkeypatch: pytest.MonkeyPatch, session: Session
) -> None:
    monkeypatch.setattr(dashboard_api, "POLL_SECONDS", 0.05)
    monkeypatch.setattr(dashboard_api, "STREAM_MAX_SECONDS", 5.0)
    token = login(f"dsp_{world.street.code}")["Authorization"].removeprefix("Bearer ")
    events: list[dict[str, object]] = []
    with app_client.stream(
        "GET", "/api/dashboard/stream", params={"access_token": token, "division_code": world.c3.code}
    ) as r:
        assert r.status_code == 200
        for line in r.iter_lines():
            if line.startswith("data:"):
                events.append(json.loads(line[5:]))
                if len(events) == 1:  # a change anywhere moves the outbox: the summary is pushed again
                    report_event(
                        session,
                        _who(session, "resident2"),
                        IntakeCommand(title="看板 N3 推送", grid_code=world.g3.code),
                    )
                if len(events) == 2:
                    break
    assert [e["reported"] for e in events][-1] == events[0]["reported"] + 1  # type: ignore[operator]


def test_stream_rejects_bad_tokens(app_client: TestClient, login: Login, world: World) -> None:
    status, body = _first_event(app_client, {"access_token": "not-a-token"})
    assert status == 401 and "登录凭据无效" in body["body"]
    assert _first_event(app_client, {})[0] == 401
    resident = login("resident1")["Authorization"].removeprefix("Bearer ")
    assert _first_event(app_client, {"access_token": resident})[0] == 403
    other = login(f"dsp_{world.other_street.code}")["Authorization"].removeprefix("Bearer ")
    assert _first_event(app_client, {"access_token": other, "division_code": world.c1.code})[0] == 404


# --- the same figures computed the plain way ------------------------------------------------------------
#
# A reference for the SQL: the cases of a view loaded as ORM rows (with their transitions and lead tasks) and
# every figure computed in Python straight from the definitions in summary.py, breakdowns.py and rankings.py,
# over everything in the test database (this module's cases and those other modules left), for several viewers
# and periods.

CLOSED, NOT_CASES, OPEN_NOW = {"closed", "rated"}, {"rejected", "merged"}, {s.value for s in OPEN}


@dataclass
class Plain:
    view: View
    events: list[Event]
    transitions: list[EventTransition]
    lead: dict[int, int]  # case id → its newest non-cancelled lead task's department (0: the grid itself)


def plain(session: Session, view: View) -> Plain:
    events = list(session.scalars(select(Event).where(view.where())))
    ids = [e.id for e in events]
    transitions = list(session.scalars(select(EventTransition).where(EventTransition.event_id.in_(ids))))
    lead: dict[int, int] = {}
    tasks = session.scalars(
        select(EventTask)
        .where(EventTask.event_id.in_(ids), EventTask.role == "lead", EventTask.status != "cancelled")
        .order_by(EventTask.id)
    )
    for t in tasks:
        lead[t.event_id] = t.department_id or 0
    return Plain(view, events, transitions, lead)


def _in(ts: datetime | None, start: datetime, end: datetime) -> bool:
    return ts is not None and start <= ts < end


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _on_time(e: Event) -> bool:
    done = e.handled_at or e.closed_at
    return e.first_deadline_at is None or (done is not None and done <= e.first_deadline_at)


def plain_summary(p: Plain, win: Window) -> dict[str, object]:
    rep = [e for e in p.events if _in(e.reported_at, win.start, win.end)]
    rejected = sum(e.status in NOT_CASES for e in rep)
    closed = [e for e in p.events if _in(e.closed_at, win.start, win.end) and e.status in CLOSED]
    open_now = [e for e in p.events if e.status in OPEN_NOW]
    rating = {e.id: e.rating for e in p.events}
    in_period = [t for t in p.transitions if _in(t.at, win.start, win.end)]
    ratings = [r for t in in_period if t.action == "rate" and (r := rating[t.event_id]) is not None]
    routed = [e for e in p.events if _in(e.dispatched_at, win.start, win.end)]
    return {
        "reported": len(rep),
        "filed": sum(_in(e.filed_at, win.start, win.end) for e in p.events),
        "dispatched": sum(_in(e.dispatched_at, win.start, win.end) for e in p.events),
        "handled": sum(_in(e.handled_at, win.start, win.end) for e in p.events),
        "closed": len(closed),
        "closure_rate": _rate(sum(e.status in CLOSED for e in rep), len(rep) - rejected),
        "on_time_rate": _rate(sum(_on_time(e) for e in closed), len(closed)),
        "overdue": sum(e.sla_state == "red" for e in open_now),
        "warning": sum(e.sla_state == "yellow" for e in open_now),
        "escalated": sum(t.action == "escalate" for t in in_period),
        "satisfaction": round(sum(ratings) / len(ratings), 2) if ratings else None,
        "open": len(open_now),
        "first_time_right": _rate(sum(e.return_count == 0 for e in routed), len(routed)),
        "mean_transfers": round(sum(e.return_count for e in routed) / len(routed), 3) if routed else None,
    }


def plain_trend(p: Plain, labels: list[str]) -> tuple[list[int], list[int], list[int]]:
    def per_day(days: list[str]) -> list[int]:
        return [days.count(d) for d in labels]

    def day(ts: datetime) -> str:
        return to_local(ts).date().isoformat()

    return (
        per_day([day(e.reported_at) for e in p.events]),
        per_day([day(e.closed_at) for e in p.events if e.closed_at is not None and e.status in CLOSED]),
        per_day([day(t.at) for t in p.transitions if t.action == "warn_red"]),
    )


def _child(p: Plain, path: str) -> str:
    """The code of the division one level below the view's that a case path falls in (a grid: itself)."""
    level = child_level(p.view)
    if level is None:
        return p.view.division.code
    for part in path.strip("/").split("/"):
        info = p.view.snap.divisions.get(int(part))
        if info is not None and info.level == level:
            return info.code
    return "unlocated"


def _unit(p: Plain, e: Event, by: str, session: Session) -> str | None:
    if by == "child":
        return _child(p, e.division_path)
    if by == "channel":
        return e.channel
    if by == "major":
        if e.category_id is None:
            return "uncategorized"
        cat = session.get(EventCategory, e.category_id)
        assert cat is not None
        major = session.get(EventCategory, cat.parent_id) if cat.parent_id is not None else cat
        assert major is not None
        return major.code
    lead = p.lead.get(e.id)
    if lead is None:
        return "unassigned" if by == "department" else None
    if lead == 0:
        return "grid"
    dept = session.get(Department, lead)
    assert dept is not None
    return dept.code


def plain_breakdown(p: Plain, win: Window, by: str, session: Session) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    if by == "child" and child_level(p.view) is not None:
        out = {d.code: (0, 0) for d in divisions_at(p.view, child_level(p.view) or "")}
    for e in p.events:
        if _in(e.reported_at, win.start, win.end):
            key = _unit(p, e, by, session)
            assert key is not None
            n, c = out.get(key, (0, 0))
            out[key] = (n + 1, c + (e.status in CLOSED))
    return out


def plain_rankings(p: Plain, win: Window, by: str, session: Session) -> dict[str, tuple[object, ...]]:
    units: dict[str, list[Event]] = {}
    if by == "child" and child_level(p.view) is not None:
        units = {d.code: [] for d in divisions_at(p.view, child_level(p.view) or "")}
    for e in p.events:
        key = _unit(p, e, "child" if by == "child" else "lead", session)
        if _in(e.reported_at, win.start, win.end) and key is not None:
            units.setdefault(key, []).append(e)
    out: dict[str, tuple[object, ...]] = {}
    for key, es in units.items():
        cases = len(es) - sum(e.status in NOT_CASES for e in es)
        closed = [e for e in es if e.status in CLOSED]
        out[key] = (
            len(es),
            len(closed),
            _rate(len(closed), cases),
            _rate(sum(_on_time(e) for e in closed), len(closed)),
            sum(e.return_count for e in es),
            _rate(sum(e.reopen_count > 0 for e in es), cases),
            sum(bool(e.ever_overdue) for e in es),
        )
    return out


def plain_hotspots(p: Plain, win: Window, limit: int) -> list[tuple[str, int, int]]:
    grids: dict[str, list[int]] = {}
    for e in p.events:
        info = p.view.snap.divisions.get(int(e.division_path.strip("/").split("/")[-1]))
        if _in(e.reported_at, win.start, win.end) and info is not None and info.level == "grid":
            slot = grids.setdefault(info.code, [0, 0])
            slot[0] += 1
            slot[1] += e.status in OPEN_NOW
    return sorted(((code, n, o) for code, (n, o) in grids.items()), key=lambda g: (-g[1], g[0]))[:limit]


def plain_map_counts(p: Plain, level: str) -> dict[str, tuple[int, int]]:
    targets = divisions_at(p.view, level) if level != p.view.division.level else [p.view.division]
    out = {d.code: (0, 0) for d in targets}
    for e in p.events:
        if e.status not in OPEN_NOW:
            continue
        for part in e.division_path.strip("/").split("/"):
            info = p.view.snap.divisions.get(int(part))
            if info is not None and info.code in out:
                n, red = out[info.code]
                out[info.code] = (n + 1, red + (e.sla_state == "red"))
    return out


VIEWERS = [
    ("street dispatcher, own street", lambda w: (f"dsp_{w.street.code}", None)),
    ("street dispatcher, a community", lambda w: (f"dsp_{w.street.code}", w.c1.code)),
    ("community staff, a grid", lambda w: (f"cs_{w.c1.code}", w.g1.code)),
    ("district leader", lambda w: (f"ldr_{w.district.code}", None)),
    ("admin, the city", lambda w: ("admin", None)),
]


@pytest.mark.parametrize("viewer", [v[1] for v in VIEWERS], ids=[v[0] for v in VIEWERS])
def test_figures_match_the_plain_computation(
    session: Session, world: World, viewer: Callable[[World], tuple[str, str | None]]
) -> None:
    username, code = viewer(world)
    view = view_of(session, username, code)
    p = plain(session, view)
    assert p.events, "the reference needs cases in the view"
    windows = [period_window(period, when) for period in Period for when in (NOON_D, utcnow())]
    for win in windows:
        got = summary.summary(session, view, win).model_dump()
        assert {k: got[k] for k in plain_summary(p, win)} == plain_summary(p, win), (username, win)
        for by in BreakdownBy:
            items = breakdowns.breakdown(session, view, win, by).items
            assert {i.key: (i.count, i.closed) for i in items} == plain_breakdown(p, win, by.value, session), by
        for rby in RankingBy:
            ranked = {
                i.key: (i.total, i.closed, i.closure_rate, i.on_time_rate, i.returns, i.reopen_rate, i.overdue)
                for i in rankings.rankings(session, view, win, rby).items
            }
            assert ranked == plain_rankings(p, win, rby.value, session), rby
        for limit in (10, 200):
            hot = [(h.grid_code, h.count, h.open) for h in maps.hotspots(session, view, win, limit).items]
            assert hot == plain_hotspots(p, win, limit)
    for when in (at(1, 20), utcnow()):
        out = summary.trend(session, view, 14, now=when)
        assert (out.reported, out.closed, out.overdue) == plain_trend(p, out.days)
    level = maps.map_level(view, None)
    features = maps.map_data(session, view, level).divisions["features"]
    got_counts = {f["properties"]["code"]: (f["properties"]["open"], f["properties"]["red"]) for f in features}
    assert got_counts == plain_map_counts(p, level)
