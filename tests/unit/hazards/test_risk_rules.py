"""Enterprise risk scoring: every point comes with its factor, the grade thresholds at their boundaries, the
regulators from the industry and the hazard classes, and the grade shortening (never lengthening) a plan."""

from __future__ import annotations

import copy

from gridgov.hazards.risk_rules import RiskGrade, Subject, inspection_days, score, table


def test_the_score_is_the_sum_of_its_factors_each_explained() -> None:
    graded = score(
        Subject(
            industry="制造业",
            sources=(("一号仓库", "high", "高风险", "hazchem"), ("配电房", "low", "低风险", "fire")),
            open_findings=2,
            rectified_findings=1,
            cases=3,
        )
    )
    assert [(f.name, f.points) for f in graded.factors] == [
        ("行业", 20),
        ("隐患源", 20),
        ("隐患源", 5),
        ("巡查发现", 20),
        ("巡查发现", 3),
        ("事件", 6),
    ]
    assert graded.score == 74 and graded.grade == RiskGrade.HIGH
    assert graded.factors[1].detail == "一号仓库（高风险）" and "2 项未整改" in graded.factors[3].detail
    assert graded.regulators == ("xiaofang", "yingji") and graded.inspection_days == 7


def test_cases_are_capped_and_an_unknown_industry_takes_the_default() -> None:
    graded = score(Subject(industry="某新兴行业", cases=40))
    assert [(f.name, f.points) for f in graded.factors] == [("行业", 5), ("事件", 20)]
    assert graded.regulators == ("shichang",) and graded.grade == RiskGrade.LOW


def test_grade_boundaries() -> None:
    t = copy.deepcopy(table())
    t["cases"] = {"points": 1, "cap": 1000}
    assert score(Subject(cases=29), t).grade == RiskGrade.LOW
    assert score(Subject(cases=30), t).grade == RiskGrade.MEDIUM
    assert score(Subject(cases=59), t).grade == RiskGrade.MEDIUM
    assert score(Subject(cases=60), t).grade == RiskGrade.HIGH


def test_an_address_without_an_entity_is_graded_by_its_sources_alone() -> None:
    graded = score(Subject(sources=(("边坡", "major", "重大风险", "geology"),)))
    assert [f.name for f in graded.factors] == ["隐患源"] and graded.score == 35
    assert graded.grade == RiskGrade.MEDIUM and graded.regulators == ("guihua",)


def test_the_grade_shortens_the_inspection_plan_but_never_lengthens_it() -> None:
    assert inspection_days(30, RiskGrade.HIGH) == 7
    assert inspection_days(30, RiskGrade.MEDIUM) == 14
    assert inspection_days(5, RiskGrade.LOW) == 5
    assert inspection_days(30, None) == 30
