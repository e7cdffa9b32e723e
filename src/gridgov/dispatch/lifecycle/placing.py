"""补充位置: the reporter of a case that could not be placed marks the place on the map, and the case moves to
the grid there (from the centre that was holding it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from gridgov.common.errors import Conflict
from gridgov.common.principal import Principal
from gridgov.dispatch.guards import note_for, require_reporter
from gridgov.dispatch.lifecycle.skeleton import Step, perform
from gridgov.dispatch.locate import place_point
from gridgov.dispatch.models import Event
from gridgov.dispatch.rules import Action
from gridgov.dispatch.schemas import PointIn


def place_event(session: Session, actor: Principal, event_id: int, cmd: PointIn, now: datetime | None = None) -> Event:
    def check(actor: Principal, event: Event) -> None:
        require_reporter(actor, event, "只有上报人可以补充位置")
        if event.grid_id is not None:
            raise Conflict("该事件已定位，无需补充位置", field="lon")

    def apply(event: Event, _at: datetime) -> Step:
        note = note_for(Action.PLACE, cmd.note)
        return Step(note=note, data=place_point(session, event, cmd.lon, cmd.lat, cmd.coord_system))

    return perform(session, actor, event_id, Action.PLACE, apply, check=check, now=now)
