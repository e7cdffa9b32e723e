"""One service function per lifecycle action, each in the shape of `skeleton.perform`: load for update, guard,
scope, apply, record. None commits: the entrypoint's unit of work does, once per action."""

from gridgov.dispatch.lifecycle.closing import (
    escalate,
    escalate_event,
    rate_event,
    reopen_event,
    supervise_event,
    verify_event,
)
from gridgov.dispatch.lifecycle.filing import (
    dispatch_event,
    file_event,
    locate_event,
    merge_event,
    reject_event,
    split_event,
)
from gridgov.dispatch.lifecycle.handling import (
    accept_event,
    approve_extension,
    co_report,
    deny_extension,
    handle_event,
    hold_event,
    request_extension,
    resume_event,
    return_event,
)
from gridgov.dispatch.lifecycle.placing import place_event
from gridgov.dispatch.lifecycle.summons import (
    report_in,
    report_summons_result,
    summon_departments,
    withdraw_summons,
)
from gridgov.dispatch.lifecycle.urgency import set_urgency

__all__ = [
    "accept_event",
    "approve_extension",
    "co_report",
    "deny_extension",
    "dispatch_event",
    "escalate",
    "escalate_event",
    "file_event",
    "handle_event",
    "hold_event",
    "locate_event",
    "merge_event",
    "place_event",
    "rate_event",
    "reject_event",
    "reopen_event",
    "report_in",
    "report_summons_result",
    "request_extension",
    "resume_event",
    "return_event",
    "set_urgency",
    "split_event",
    "summon_departments",
    "supervise_event",
    "verify_event",
    "withdraw_summons",
]
