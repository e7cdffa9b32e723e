from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from gridgov.blockdata.linkage import engine, explain, pipeline, records
from gridgov.blockdata.linkage import model as person_model
from gridgov.blockdata.linkage.decisions import apply_merge, apply_split
from gridgov.blockdata.linkage.quality import pairwise
from gridgov.common.errors import InvalidInput


@pytest.fixture(scope="module")
def first_run(people: pd.DataFrame) -> pipeline.LinkResult:
    return pipeline.link(people.drop(columns="person"))


def truth(people: pd.DataFrame) -> pd.Series:
    return people.set_index("record_id")["person"]


def cluster_of(result: pipeline.LinkResult, record_id: str) -> str:
    return str(result.clusters.set_index("record_id").at[record_id, "cluster_id"])


def test_the_damaged_duplicates_are_found(people: pd.DataFrame, first_run: pipeline.LinkResult) -> None:
    precision, recall = pairwise(first_run.clusters, truth(people))
    assert precision >= 0.99 and recall >= 0.95, (precision, recall)
    # person 0: a homophone (damage 0) with a new phone and a moved address, ID kept
    assert cluster_of(first_run, "GA00000") == cluster_of(first_run, "ZJ00000")
    # person 15: a homophone without an ID
    assert cluster_of(first_run, "GA00015") == cluster_of(first_run, "ZJ00015")
    assert first_run.clusters["cluster_id"].str.fullmatch(r"P\d{9}").all()


def test_golden_record_prefers_a_valid_id_and_the_newest_phone(
    people: pd.DataFrame, first_run: pipeline.LinkResult
) -> None:
    golden = first_run.golden.set_index("cluster_id")
    row = golden.loc[cluster_of(first_run, "GA00012")]  # person 12: an ID typo from 住建, a new phone from 住建
    original = people.set_index("record_id").loc["GA00012"]
    assert row["id_number"] == original["id_number"] and row["id_number_from"] == "GA00012"
    assert "校验通过" in row["id_number_why"]
    assert row["phone"] == people.set_index("record_id").at["ZJ00012", "phone"]
    assert row["phone_from"] == "ZJ00012" and "最近更新" in row["phone_why"]
    assert row["dob_why"] == "由有效身份证号推出出生日期" and row["record_count"] == 2


def test_waterfall_adds_up_to_the_pair_weight(people: pd.DataFrame, first_run: pipeline.LinkResult) -> None:
    pair = first_run.prepared.set_index("unique_id").loc[["GA00000", "ZJ00000"]].reset_index()
    scored = engine.score_pair(pair, first_run.model, context=first_run.prepared)
    fall = explain.waterfall(scored, first_run.model)
    assert fall.match_weight == pytest.approx(float(scored["match_weight"]), abs=1e-6)
    name = next(s for s in fall.steps if s.column == "name")
    assert name.label == "同音（拼音相同）" and name.log2_bayes_factor > 0
    phone = next(s for s in fall.steps if s.column == "phone")
    assert phone.label == "其他" and phone.log2_bayes_factor < 0
    assert fall.steps[0].label.startswith("先验") and fall.match_probability > 0.9


def _split_batches(people: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    later = people["record_id"].str.startswith("ZJ") & (people["person"] >= 300)
    return people[~later].drop(columns="person"), people[later].drop(columns="person")


def test_a_new_batch_links_without_renumbering(people: pd.DataFrame) -> None:
    old, new = _split_batches(people)
    before = pipeline.link(old)
    after = pipeline.link_new(new, old, before.clusters, trained=before.model)
    kept = after.clusters.merge(before.clusters, on="record_id", suffixes=("", "_before"))
    assert len(kept) == len(old) and (kept["cluster_id"] == kept["cluster_id_before"]).all()
    joined = after.clusters.set_index("record_id")["cluster_id"]
    found = sum(joined[f"ZJ{p:05d}"] == joined[f"GA{p:05d}"] for p in range(300, 600, 3))
    assert found >= 95  # 100 later duplicates, each joins its person's existing cluster
    precision, recall = pairwise(after.clusters, truth(people))
    assert precision >= 0.99 and recall >= 0.95


def test_a_split_survives_relinking_and_new_batches(people: pd.DataFrame, first_run: pipeline.LinkResult) -> None:
    target = cluster_of(first_run, "GA00003")
    clusters, split = apply_split(first_run.clusters, ["ZJ00003"])
    assert (
        cluster_of(pipeline.LinkResult(clusters, first_run.golden, first_run.edges, {}, first_run.prepared), "GA00003")
        == target
    )
    batch = people.drop(columns="person")
    relinked = pipeline.link(batch, trained=first_run.model, previous=clusters, decisions=[split])
    assert cluster_of(relinked, "GA00003") == target
    assert cluster_of(relinked, "ZJ00003") != target
    assert cluster_of(relinked, "ZJ00003") == str(clusters.set_index("record_id").at["ZJ00003", "cluster_id"])
    untouched = relinked.clusters.merge(clusters, on="record_id", suffixes=("", "_before"))
    assert (untouched["cluster_id"] == untouched["cluster_id_before"]).all()


def test_a_merge_survives_relinking(people: pd.DataFrame, first_run: pipeline.LinkResult) -> None:
    a, b = cluster_of(first_run, "GA00001"), cluster_of(first_run, "GA00002")
    assert a != b
    clusters, merge = apply_merge(first_run.clusters, [b, a])
    relinked = pipeline.link(
        people.drop(columns="person"), trained=first_run.model, previous=clusters, decisions=[merge]
    )
    assert cluster_of(relinked, "GA00001") == cluster_of(relinked, "GA00002") == min(a, b)
    # a later split of the same records overrides the merge
    clusters, split = apply_split(relinked.clusters, ["GA00002"])
    again = pipeline.link(
        people.drop(columns="person"), trained=first_run.model, previous=clusters, decisions=[merge, split]
    )
    assert cluster_of(again, "GA00001") != cluster_of(again, "GA00002")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"drop": "name"}, "name"),
        ({"record_id": [None, "b"]}, "record_id"),
        ({"record_id": ["a", "a"]}, "record_id"),
        ({"name": ["张三", " "]}, "name"),
    ],
)
def test_bad_batches_are_refused_naming_the_field(change: dict[str, Any], field: str) -> None:
    frame = pd.DataFrame({"record_id": ["a", "b"], "source": ["公安", "住建"], "name": ["张三", "李四"]})
    if "drop" in change:
        frame = frame.drop(columns=change["drop"])
    else:
        for column, values in change.items():
            frame[column] = values
    with pytest.raises(InvalidInput) as caught:
        records.prepare(frame)
    assert caught.value.field == field


def test_steward_decisions_refuse_what_cannot_be_done(first_run: pipeline.LinkResult) -> None:
    with pytest.raises(InvalidInput, match="同一个聚类"):
        apply_split(first_run.clusters, ["GA00001", "GA00002"])
    with pytest.raises(InvalidInput, match="至少一条"):
        apply_split(first_run.clusters, ["GA00001"])
    with pytest.raises(InvalidInput, match="不存在"):
        apply_merge(first_run.clusters, ["P999999999", cluster_of(first_run, "GA00001")])


def test_an_em_pass_driven_to_zero_is_skipped_and_the_others_still_train(
    people: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Splink 5 raises when EM drives an m or u below 1e-300 (a level almost never seen among a rule's pairs, as in
    a small or lopsided batch): that pass is skipped, the model still trains and links; other errors still raise."""
    from splink.internals.linker_components.training import LinkerTraining

    original = LinkerTraining.estimate_parameters_using_expectation_maximisation
    calls: list[str] = []

    def first_pass_underflows(self: LinkerTraining, rule: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(str(rule))
        if len(calls) == 1:
            raise ValueError("m_probability value 1.2e-303 is below the minimum allowed value of 1e-300.")
        return original(self, rule, *args, **kwargs)

    monkeypatch.setattr(LinkerTraining, "estimate_parameters_using_expectation_maximisation", first_pass_underflows)
    result = pipeline.link(people.drop(columns="person"))
    assert len(calls) == len(person_model.TRAINING_RULES) > 1
    precision, recall = pairwise(result.clusters, truth(people))
    assert precision > 0.9 and recall > 0.9

    def broken(self: LinkerTraining, rule: Any, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("something else")

    monkeypatch.setattr(LinkerTraining, "estimate_parameters_using_expectation_maximisation", broken)
    with pytest.raises(ValueError, match="something else"):
        pipeline.link(people.drop(columns="person"))


def test_records_sharing_a_valid_id_are_paired_whatever_the_weights() -> None:
    prepared = pd.DataFrame(
        {
            "unique_id": ["a", "b", "c", "d", "e"],
            "id_number": ["X1", "X1", "X1", "X2", "X2"],
            "id_valid": [True, True, True, False, False],  # d and e share an invalid number: no pair
        }
    )
    every = pipeline.same_id_edges(prepared)
    assert sorted(zip(every["unique_id_l"], every["unique_id_r"], strict=True)) == [("a", "b"), ("a", "c")]
    assert (every["match_probability"] == 1.0).all()
    only_new = pipeline.same_id_edges(prepared, new={"c"})
    assert list(zip(only_new["unique_id_l"], only_new["unique_id_r"], strict=True)) == [("a", "c")]
