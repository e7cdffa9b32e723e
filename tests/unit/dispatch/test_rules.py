"""The event lifecycle transition table (pure, no database).

The exhaustive part walks every (action, status, role) combination; the readable part spells out the
business meaning so that a change to the table that breaks the workflow fails with an obvious name.
"""

from __future__ import annotations

import itertools
import re

import pytest

from gridgov.common.errors import Conflict, IllegalTransition
from gridgov.common.principal import Role
from gridgov.dispatch.rules import (
    CLOCK_RUNNING,
    DISPATCH_ROLES,
    OPEN,
    TERMINAL,
    TRANSITIONS,
    Action,
    Status,
    allowed_actions,
    check_transition,
)

A, S, R = Action, Status, Role
CJK = re.compile(r"[\u4e00-\u9fff]")
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")

ALL = list(itertools.product(list(Action), list(Status), list(Role)))


def _refusal(action: Action, status: Status, role: Role) -> IllegalTransition:
    with pytest.raises(IllegalTransition) as info:
        check_transition(action, status, role)
    return info.value


# --- exhaustive ---------------------------------------------------------------------------------------


def test_table_covers_every_action() -> None:
    assert set(TRANSITIONS) == set(Action)


@pytest.mark.parametrize(("action", "status", "role"), ALL, ids=[f"{a}-{s}-{r}" for a, s, r in ALL])
def test_every_combination(action: Action, status: Status, role: Role) -> None:
    t = TRANSITIONS[action]
    expected_ok = status in t.sources and role in t.roles
    assert (action in allowed_actions(status, role)) is expected_ok
    if expected_ok:
        assert check_transition(action, status, role) is (t.target if t.target is not None else status)
        return
    exc = _refusal(action, status, role)
    assert isinstance(exc, Conflict)
    assert exc.status == 409
    assert exc.code == "illegal_transition"
    assert exc.extra["allowed"] == [a.value for a in allowed_actions(status, role)]
    assert exc.extra["status"] == status.value
    assert f"“{action.label}”" in exc.message
    # The reason names what is wrong: the status when the action cannot start from it, else the role.
    if status not in t.sources:
        assert f"当前状态“{status.label}”" in exc.message
    else:
        assert f"角色“{role.label}”" in exc.message
    # ...and lists what this role may do instead (or 无).
    allowed_labels = [a.label for a in allowed_actions(status, role)]
    tail = exc.message.split("可执行的操作：", 1)[1]
    assert tail == ("、".join(allowed_labels) or "无")


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("role", list(Role))
def test_allowed_actions_keep_table_order_without_duplicates(status: Status, role: Role) -> None:
    got = allowed_actions(status, role)
    order = list(TRANSITIONS)
    assert got == sorted(got, key=order.index)
    assert len(set(got)) == len(got)


# --- business meaning ---------------------------------------------------------------------------------


def test_resident_can_report_but_not_file() -> None:
    assert check_transition(A.REPORT, S.NEW, R.RESIDENT) is S.REPORTED
    exc = _refusal(A.FILE, S.REPORTED, R.RESIDENT)
    assert "居民" in exc.message and "立案" in exc.message
    assert A.FILE.value not in exc.extra["allowed"]


@pytest.mark.parametrize("role", [R.DISPATCHER, R.COMMUNITY_STAFF, R.ADMIN])
def test_dispatch_roles_file_or_reject_reported_cases(role: Role) -> None:
    assert check_transition(A.FILE, S.REPORTED, role) is S.FILED
    assert check_transition(A.REJECT, S.REPORTED, role) is S.REJECTED
    assert check_transition(A.DISPATCH, S.FILED, role) is S.DISPATCHED
    assert check_transition(A.DISPATCH, S.RETURNED, role) is S.DISPATCHED
    # Filing is a one-off: a filed case cannot be filed or rejected again.
    for action in (A.FILE, A.REJECT):
        with pytest.raises(IllegalTransition):
            check_transition(action, S.FILED, role)


def test_dispatcher_allowed_on_reported_case() -> None:
    assert allowed_actions(S.REPORTED, R.DISPATCHER) == [
        A.FILE,
        A.REJECT,
        A.ESCALATE,
        A.MERGE,
        A.LOCATE,
        A.PLACE,
        A.SET_URGENCY,
    ]


def test_rejecting_needs_a_note_filing_does_not() -> None:
    assert TRANSITIONS[A.REJECT].needs_note
    assert not TRANSITIONS[A.FILE].needs_note
    for action in (A.RETURN, A.HOLD, A.HANDLE, A.VERIFY_FAIL, A.REOPEN, A.REQUEST_EXTENSION):
        assert TRANSITIONS[action].needs_note, action


def test_handler_accepts_dispatched_case_then_handles_it() -> None:
    assert check_transition(A.ACCEPT, S.DISPATCHED, R.HANDLER) is S.ACCEPTED
    assert check_transition(A.HANDLE, S.ACCEPTED, R.HANDLER) is S.HANDLED
    assert check_transition(A.RETURN, S.DISPATCHED, R.HANDLER) is S.RETURNED
    # Handling cannot skip signing for the case.
    exc = _refusal(A.HANDLE, S.DISPATCHED, R.HANDLER)
    assert exc.extra["allowed"] == ["accept", "return", "co_report", "escalate", "report_in", "summons_result"]
    # A resident never signs for a case.
    with pytest.raises(IllegalTransition):
        check_transition(A.ACCEPT, S.DISPATCHED, R.RESIDENT)


def test_request_and_decide_extension_keep_status() -> None:
    assert check_transition(A.REQUEST_EXTENSION, S.ACCEPTED, R.HANDLER) is S.ACCEPTED
    assert check_transition(A.APPROVE_EXTENSION, S.ACCEPTED, R.LEADER) is S.ACCEPTED
    assert check_transition(A.DENY_EXTENSION, S.ACCEPTED, R.DISPATCHER) is S.ACCEPTED
    with pytest.raises(IllegalTransition):
        check_transition(A.APPROVE_EXTENSION, S.ACCEPTED, R.HANDLER)  # nobody approves their own request


def test_hold_and_resume() -> None:
    assert check_transition(A.HOLD, S.ACCEPTED, R.LEADER) is S.ON_HOLD
    assert check_transition(A.RESUME, S.ON_HOLD, R.LEADER) is S.ACCEPTED
    with pytest.raises(IllegalTransition):
        check_transition(A.HOLD, S.ACCEPTED, R.HANDLER)


@pytest.mark.parametrize("role", [R.GRID_WORKER, R.COMMUNITY_STAFF])
def test_verification(role: Role) -> None:
    assert check_transition(A.VERIFY_PASS, S.HANDLED, role) is S.CLOSED
    assert check_transition(A.VERIFY_FAIL, S.HANDLED, role) is S.ACCEPTED


def test_handler_cannot_verify_own_work() -> None:
    exc = _refusal(A.VERIFY_PASS, S.HANDLED, R.HANDLER)
    assert "角色“部门处置人员”不能执行“复核通过”" in exc.message


def test_rate_only_from_closed() -> None:
    assert check_transition(A.RATE, S.CLOSED, R.RESIDENT) is S.RATED
    assert check_transition(A.RATE, S.CLOSED, R.GRID_WORKER) is S.RATED
    for status in Status:
        if status is not S.CLOSED:
            with pytest.raises(IllegalTransition):
                check_transition(A.RATE, status, R.RESIDENT)
    assert [s for s in Status if A.RATE in allowed_actions(s, R.RESIDENT)] == [S.CLOSED]


@pytest.mark.parametrize("status", [S.CLOSED, S.RATED])
@pytest.mark.parametrize("role", [R.RESIDENT, R.DISPATCHER, R.ADMIN])
def test_reopen_from_closed_or_rated_goes_back_to_filed(status: Status, role: Role) -> None:
    assert check_transition(A.REOPEN, status, role) is S.FILED


def test_reopen_not_from_open_or_rejected() -> None:
    for status in [*OPEN, S.REJECTED, S.NEW]:
        with pytest.raises(IllegalTransition):
            check_transition(A.REOPEN, status, R.DISPATCHER)


@pytest.mark.parametrize("action", [A.WARN_YELLOW, A.WARN_RED])
def test_only_the_system_warns_and_only_while_the_clock_runs(action: Action) -> None:
    assert {S.DISPATCHED, S.ACCEPTED} == CLOCK_RUNNING
    for status in Status:
        for role in Role:
            ok = role is R.SYSTEM and status in (S.DISPATCHED, S.ACCEPTED)
            assert (action in allowed_actions(status, role)) is ok, (status, role)
    assert check_transition(action, S.DISPATCHED, R.SYSTEM) is S.DISPATCHED
    assert check_transition(action, S.ACCEPTED, R.SYSTEM) is S.ACCEPTED
    # The clock is stopped on hold and once handled.
    for status in (S.ON_HOLD, S.HANDLED, S.FILED, S.RETURNED):
        with pytest.raises(IllegalTransition):
            check_transition(action, status, R.SYSTEM)
    with pytest.raises(IllegalTransition):
        check_transition(action, S.ACCEPTED, R.ADMIN)


def test_self_handle_only_grid_worker_from_new() -> None:
    assert check_transition(A.SELF_HANDLE, S.NEW, R.GRID_WORKER) is S.HANDLED
    for role in Role:
        if role is not R.GRID_WORKER:
            with pytest.raises(IllegalTransition):
                check_transition(A.SELF_HANDLE, S.NEW, role)
    for status in Status:
        if status is not S.NEW:
            with pytest.raises(IllegalTransition):
                check_transition(A.SELF_HANDLE, status, R.GRID_WORKER)


def test_terminal_statuses_allow_nothing_but_reopen_from_rated_and_split_of_a_merged_report() -> None:
    assert {S.REJECTED, S.RATED, S.MERGED} == TERMINAL
    for role in Role:
        assert allowed_actions(S.REJECTED, role) == [], role
        assert allowed_actions(S.MERGED, role) == ([A.SPLIT] if role in DISPATCH_ROLES else []), role
        assert allowed_actions(S.RATED, role) in ([], [A.REOPEN]), role
    assert allowed_actions(S.RATED, R.RESIDENT) == [A.REOPEN]
    exc = _refusal(A.DISPATCH, S.REJECTED, R.ADMIN)
    assert exc.extra["allowed"] == []
    assert exc.message.endswith("可执行的操作：无")


def test_every_open_status_has_a_way_forward() -> None:
    for status in OPEN:
        assert any(allowed_actions(status, role) for role in Role), status


def test_every_stored_status_is_reachable() -> None:
    targets = {t.target for t in TRANSITIONS.values() if t.target is not None}
    assert targets == set(Status) - {S.NEW}


def test_new_is_only_a_starting_point() -> None:
    assert {a for a, t in TRANSITIONS.items() if S.NEW in t.sources} == {A.REPORT, A.SELF_HANDLE}


@pytest.mark.parametrize("action", list(Action))
def test_every_action_has_a_chinese_label_and_colour(action: Action) -> None:
    assert CJK.search(action.label), action
    assert action.label != action.value
    assert COLOUR.match(action.color), action


@pytest.mark.parametrize("status", list(Status))
def test_every_status_has_a_chinese_label_and_colour(status: Status) -> None:
    assert CJK.search(status.label), status
    assert COLOUR.match(status.color), status
    assert status.color != "#888888"  # the ChoiceSet default: a colour was actually chosen


def test_labels_are_distinct() -> None:
    assert len({a.label for a in Action}) == len(Action)
    assert len({s.label for s in Status}) == len(Status)
