"""Training the parser from the demo library: the library's own names reach the generator and the gazetteer."""

from __future__ import annotations

from gridgov.address.records import AddressRecord, DivisionRecord
from gridgov.address.synth import AddressGenerator, NameLists
from gridgov.address.training import names_gazetteer


def test_library_names_drive_the_generator_and_the_gazetteer() -> None:
    divisions = [DivisionRecord("4403", "深圳市", "city", None), DivisionRecord("c1", "皇岗社区", "community", "4403")]
    addresses = [
        AddressRecord("r1", "road", "福民路", "福民路", None, "c1", aliases=("福民大道",)),
        AddressRecord("p1", "compound", "皇岗花园", "皇岗花园", "r1", "c1"),
    ]
    names = NameLists.from_records(divisions, addresses)
    assert names.roads == ["福民大道", "福民路"] and names.pois == ["皇岗花园"] and names.communities == ["皇岗社区"]
    gaz = names_gazetteer(names)
    assert "road" in gaz.labels_for("福民路") and "prov" in gaz.labels_for("广西")
    texts = ["".join(tok for tok, _ in s) for s in AddressGenerator(names, seed=2).sequences(400)]
    assert any("福民" in t for t in texts) and any("皇岗花园" in t for t in texts)
