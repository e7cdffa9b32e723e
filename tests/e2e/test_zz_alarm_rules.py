"""The admin page's 告警规则 tab in a real browser: the rules as data, a spec refused with the field named, a dry
run of the edited spec on a device's recorded telemetry (nothing written), and a save. (Named to run after the
hazard layer, whose replay recorded the telemetry; it adds the hazards demo when missing.)"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect


def test_the_admin_edits_an_alarm_rule_with_a_dry_run(
    run_script: Callable[[str], Any], server: str, login: Callable[..., Page], artifacts: Path
) -> None:
    run_script("inspections_seed.py")  # the hazards demo (classes, rules, devices) is there
    page = login("admin", "/admin#alarmrules", viewport={"width": 1440, "height": 1000})
    form = page.locator('form.alarm-rule[data-code="water-high"]')
    expect(form).to_be_visible()
    expect(form.locator('select[name="device"] option').first).not_to_have_text("正在加载设备…")
    spec = json.loads(form.locator('textarea[name="spec"]').input_value())
    assert spec["alarm_type"] == "积水水位超警戒"
    bad = {**spec, "create": {"minor": {"kind": "simple", "key": "water_level", "op": "≈", "value": 0.1}}}
    form.locator('textarea[name="spec"]').fill(json.dumps(bad, ensure_ascii=False))
    form.locator('button[type="submit"]').click()
    expect(form.locator(".rule-msg")).to_contain_text("比较符")
    form.locator('textarea[name="spec"]').fill("{not json")
    form.locator("[data-dry]").click()
    expect(form.locator(".rule-msg")).to_contain_text("JSON 格式有误")
    looser = {**spec, "create": {"minor": {"kind": "simple", "key": "water_level", "op": ">", "value": 0.0}}}
    looser["clear"] = {"kind": "simple", "key": "water_level", "op": "<", "value": 0.0}
    form.locator('textarea[name="spec"]').fill(json.dumps(looser, ensure_ascii=False, indent=2))
    with page.expect_response(lambda r: "/api/hazards/rules/dry-run" in r.url) as got:
        form.locator("[data-dry]").click()
    result = got.value.json()
    expect(form.locator(".rule-dry")).to_contain_text(f"回放 {result['samples']} 条历史遥测")
    if result["samples"]:
        expect(form.locator(".rule-dry tbody tr").first).to_contain_text("触发告警")
    page.screenshot(path=str(artifacts / "admin-alarm-rules.png"), full_page=False)
    form.locator('textarea[name="spec"]').fill(json.dumps(spec, ensure_ascii=False, indent=2))  # saved as it was
    form.locator('input[name="name"]').fill("积水水位超警戒（已复核）")
    with page.expect_response(lambda r: "/api/hazards/rules/water-high" in r.url) as saved:
        form.locator('button[type="submit"]').click()
    assert saved.value.status == 200
    expect(form.locator(".rule-msg")).to_have_text("已保存")
