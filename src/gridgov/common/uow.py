"""The unit of work: services never commit; the entrypoint (a route, a CLI command, a worker job) runs one
action in one transaction and commits once, so that an action is whole or absent.

    with UnitOfWork(session):
        lifecycle.dispatch_event(session, actor, event_id, CategoryIn())

Work that must only happen once the transaction is durable — updating a process-wide cache or the in-memory
address engines — is registered with `after_commit` and dropped when the transaction rolls back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import TracebackType
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)
T = TypeVar("T")
P = ParamSpec("P")
_AFTER_COMMIT = "gridgov.after_commit"


class UnitOfWork:
    """Commits the session when the block ends normally, rolls it back when it raises."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def __enter__(self) -> Session:
        return self.session

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.session.commit()
        else:
            self.session.rollback()


def atomic_retrying_a_race(session: Session, work: Callable[[], T]) -> T:
    """`work` as one unit of work, run once more when the commit loses a race on a unique key (two requests with
    the same idempotency key): the second run finds what the first one wrote. A second violation is not that race."""
    try:
        with UnitOfWork(session):
            return work()
    except IntegrityError:
        with UnitOfWork(session):
            return work()


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` once the session's current transaction has committed; never if it rolls back."""
    if not session.in_transaction():
        session.begin()  # so that its end, whichever it is, is seen
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    for callback in session.info.pop(_AFTER_COMMIT, ()):
        try:
            callback()
        except Exception:  # the data is committed; a stale cache heals by its time-to-live
            log.exception("after-commit callback failed")


@event.listens_for(Session, "after_transaction_end")
def _drop_after_commit(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the whole transaction is over: committed (and run), rolled back or closed
        session.info.pop(_AFTER_COMMIT, None)


def one_action(service: Callable[Concatenate[Session, P], T], session: Session, *args: P.args, **kwargs: P.kwargs) -> T:
    """Call one service as a unit of work of its own: ``one_action(lifecycle.accept_event, session, actor, id, cmd)``
    (for entrypoints that run a single action, and for tests that play the entrypoint)."""
    with UnitOfWork(session):
        return service(session, *args, **kwargs)
