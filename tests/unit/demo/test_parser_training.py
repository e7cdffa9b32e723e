"""The shipped parser's training text: Shenzhen division names are swapped for other real chains."""

from __future__ import annotations

from gridgov.address.cn_divisions import division_chains
from gridgov.demo.parser_training import diversify_divisions


def test_division_chains_come_from_the_package() -> None:
    chains = division_chains()
    assert len(chains) > 30_000
    assert any(c[0] == "广东省" and c[1] == "深圳市" and c[2] == "福田区" for c in chains)


def test_diversify_keeps_everything_but_the_division_names() -> None:
    seq = [
        ("广", "B-prov"),
        ("东", "I-prov"),
        ("省", "I-prov"),
        ("深", "B-city"),
        ("圳", "I-city"),
        ("市", "I-city"),
        ("福", "B-road"),
        ("民", "I-road"),
        ("路", "I-road"),
        ("12", "B-roadno"),
        ("号", "I-roadno"),
    ]
    out = diversify_divisions([seq] * 50, share=1.0, seed=1)
    tails = {tuple(s[-5:]) for s in out}
    assert tails == {tuple(seq[-5:])}
    heads = {"".join(t for t, tag in s if tag.endswith("prov")) for s in out}
    assert len(heads) > 5
    for s in out:
        for (_, tag), (_, prev) in zip(s[1:], s, strict=False):
            if tag.startswith("I-"):
                assert prev[2:] == tag[2:]
    assert diversify_divisions([seq], share=0.0) == [seq]
