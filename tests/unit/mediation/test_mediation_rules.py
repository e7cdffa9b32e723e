"""The dispute's pure rules: stage transitions, the routing table (type × place × amount → lead tier and joint
agencies), and the escalation-risk flags with their explanations."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gridgov.common.errors import IllegalTransition
from gridgov.common.levels import Place
from gridgov.common.principal import Role
from gridgov.mediation import risk, routing
from gridgov.mediation.rules import TRANSITIONS, AgencyKind, MediationAction, Stage, allowed_actions, check_transition

A, S = MediationAction, Stage


def test_the_main_path_runs_through_every_stage() -> None:
    path = [
        (A.REGISTER, S.ACCEPTED),
        (A.ASSIGN, S.ASSIGNED),
        (A.HOLD_SESSION, S.MEDIATING),
        (A.HOLD_SESSION, S.MEDIATING),
        (A.AGREE, S.AGREED),
        (A.CONFIRM, S.CONFIRMED),
        (A.FOLLOW_UP, S.FOLLOWED_UP),
        (A.CLOSE, S.CLOSED),
    ]
    stage = S.NEW
    for action, expected in path:
        stage = check_transition(action, stage, Role.COMMUNITY_STAFF)
        assert stage == expected
    stage = check_transition(A.FAIL, S.MEDIATING, Role.DISPATCHER)
    assert check_transition(A.TRANSFER, stage, Role.DISPATCHER) == S.TRANSFERRED
    assert check_transition(A.FOLLOW_UP, S.TRANSFERRED, Role.DISPATCHER) == S.FOLLOWED_UP


def test_an_illegal_transition_lists_the_allowed_actions() -> None:
    with pytest.raises(IllegalTransition) as err:
        check_transition(A.CLOSE, S.MEDIATING, Role.COMMUNITY_STAFF)
    assert err.value.extra["allowed"] == ["hold_session", "agree", "fail"]
    assert err.value.extra["status"] == "mediating"
    assert "调解" in err.value.message and "达成协议、未达成" in err.value.message


def test_a_role_outside_mediation_is_refused_with_nothing_allowed() -> None:
    with pytest.raises(IllegalTransition) as err:
        check_transition(A.AGREE, S.MEDIATING, Role.RESIDENT)
    assert err.value.extra["allowed"] == []
    assert "居民" in err.value.message


def test_closed_is_terminal_and_every_stage_but_new_is_reachable() -> None:
    assert allowed_actions(S.CLOSED, Role.ADMIN) == []
    reached = {t.target for t in TRANSITIONS.values()}
    assert reached == set(S) - {S.NEW}


RULES = routing.parse_rules(
    """# a comment
type,district,min_amount,max_amount,level,agencies,deadline_days
labour,440304000000,100000,,district,labour;justice;court,10
labour,*,0,100000,street,labour,7
family,*,0,,street,police;court;justice;women,5
*,*,0,,community,,10
"""
)


def test_rules_choose_by_type_place_and_amount() -> None:
    big = routing.choose_rule(RULES, "labour", "440304000000", Decimal(186000))
    assert (big.line, big.level, big.agencies) == (
        3,
        "district",
        (AgencyKind.LABOUR, AgencyKind.JUSTICE, AgencyKind.COURT),
    )
    elsewhere = routing.choose_rule(RULES, "labour", "440305000000", Decimal(186000))
    assert elsewhere.dispute_type == "*"  # the big-labour rule is Futian's; no other labour rule fits this amount
    small = routing.choose_rule(RULES, "labour", "440305000000", Decimal(500))
    assert (small.line, small.agencies) == (4, (AgencyKind.LABOUR,))
    assert routing.choose_rule(RULES, "neighbour", "x", Decimal(0)).level == "community"


def test_a_bad_rule_line_is_named() -> None:
    with pytest.raises(ValueError, match="line 2"):
        routing.parse_rules("type,district,min_amount,max_amount,level,agencies,deadline_days\nx,*,0,,planet,,1\n")


def test_the_builtin_table_parses_and_ends_with_a_catch_all() -> None:
    rules = routing.builtin_rules()
    assert rules[-1].dispute_type == "*" and rules[-1].district == "*"


ANCESTRY = [Place(30, "grid"), Place(20, "community"), Place(10, "street"), Place(1, "district")]
PATHS = {1: "/1/", 10: "/1/10/", 20: "/1/10/20/", 30: "/1/10/20/30/"}


def test_joint_routing_takes_each_agency_at_the_lowest_division_that_has_it() -> None:
    agencies = {
        (10, AgencyKind.POLICE): 101,
        (10, AgencyKind.JUSTICE): 102,
        (1, AgencyKind.COURT): 103,
        (1, AgencyKind.JUSTICE): 104,
    }
    mediators = [
        routing.MediatorInfo(1, "/1/10/20/", frozenset({"neighbour"}), 0),  # community, wrong skill
        routing.MediatorInfo(2, "/1/10/", frozenset({"family"}), 5),
        routing.MediatorInfo(3, "/1/10/", frozenset({"family"}), 1),
    ]
    family = routing.choose_rule(RULES, "family", "440304000000", Decimal(0))
    decision = routing.route(family, ANCESTRY, PATHS, agencies, mediators, "family")
    assert decision.lead_division_id == 10
    assert decision.mediator_id == 3  # the lighter load of the two street mediators with the skill
    assert decision.agency_ids == ((AgencyKind.POLICE, 101), (AgencyKind.COURT, 103), (AgencyKind.JUSTICE, 102))
    assert decision.missing == (AgencyKind.WOMEN,)


def test_a_single_mediator_rule_makes_no_tasks_and_prefers_the_community() -> None:
    mediators = [
        routing.MediatorInfo(7, "/1/10/", frozenset(), 0),
        routing.MediatorInfo(8, "/1/10/20/", frozenset(), 9),
    ]
    rule = routing.choose_rule(RULES, "neighbour", "x", Decimal(0))
    decision = routing.route(rule, ANCESTRY, PATHS, {}, mediators, "neighbour")
    assert (decision.lead_division_id, decision.mediator_id, decision.agency_ids) == (20, 8, ())


CONFIG = risk.builtin_config()


def test_threats_and_violence_are_flagged_with_the_words_quoted() -> None:
    found = risk.assess(CONFIG, ["对方扬言要报复", "昨天在楼下动手推搡"], "family", Decimal(0), 1)
    assert found.level == risk.RiskLevel.HIGH
    by_code = {f.code: f for f in found.flags}
    assert set(by_code) == {"threat", "violence"}
    assert "“报复”" in by_code["threat"].explanation
    assert "“动手”" in by_code["violence"].explanation and "“推搡”" in by_code["violence"].explanation
    assert found.score == CONFIG.weights["threat"] + CONFIG.weights["violence"]


def test_repeat_visits_and_large_debts_are_explained_with_their_thresholds() -> None:
    found = risk.assess(CONFIG, ["工资拖欠"], "labour", Decimal(186000), 3)
    by_code = {f.code: f for f in found.flags}
    assert "第 3 次来访" in by_code["repeat"].explanation and "阈值 3 次" in by_code["repeat"].explanation
    assert "186,000 元" in by_code["debt"].explanation and "100,000 元" in by_code["debt"].explanation
    assert found.level == risk.RiskLevel.HIGH


def test_a_quiet_small_dispute_is_low_risk_and_a_large_neighbour_claim_is_no_debt() -> None:
    quiet = risk.assess(CONFIG, ["楼上漏水"], "neighbour", Decimal(500000), 1)
    assert (quiet.level, quiet.flags) == (risk.RiskLevel.LOW, ())
    one = risk.assess(CONFIG, ["欠款"], "debt", Decimal(100000), 2)
    assert one.level == risk.RiskLevel.MEDIUM and [f.code for f in one.flags] == ["debt"]
