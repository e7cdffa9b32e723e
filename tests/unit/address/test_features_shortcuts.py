"""The feature extraction's shortcuts give the features of the plain definitions: the suffix scan that stops at
the first text no suffix ends with, the repeat search over the other occurrences of a token only, the shared
n-grams, and the gazetteer scan that stops at the first text no name starts with."""

from __future__ import annotations

import random
from collections.abc import Sequence

from gridgov.address import features
from gridgov.address.features import SUFFIXES, token_type, tokenize
from gridgov.address.gazetteer import Gazetteer

_MAX = max(len(s) for s in SUFFIXES)
_ALPHABET = [*"路号栋市区村组东西南北中心工业园小区花园省杭州江干秋涛-#", "12", "3", "AB", "１"]


def _texts(n: int, seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    fixed = ["杭州市余杭区杭州市余杭区文一西路969号", "中心中心中心", "工业区工业区", "", "路", "12-3-1001室12-3-1001"]
    out = [tokenize(t) for t in fixed]
    for _ in range(n):
        out.append([rng.choice(_ALPHABET) for _ in range(rng.randint(1, 30))])
    return out


def _suffix_ends_plain(tokens: Sequence[str]) -> list[str | None]:
    out: list[str | None] = []
    for i in range(len(tokens)):
        best, acc = None, ""
        for k in range(i, max(-1, i - _MAX), -1):
            acc = tokens[k] + acc
            if len(acc) > _MAX:
                break
            if acc in SUFFIXES:
                best = acc
        out.append(best)
    return out


def _repeats_plain(tokens: Sequence[str]) -> list[str | None]:
    n = len(tokens)
    out: list[str | None] = [None] * n
    i = 0
    while i < n:
        best_len, best_dir = 0, ""
        for j in range(n):
            if j == i or tokens[j] != tokens[i]:
                continue
            length = 0
            while (
                i + length < n
                and j + length < n
                and tokens[i + length] == tokens[j + length]
                and (j + length < i if j < i else i + length < j)
            ):
                length += 1
            if length > best_len:
                best_len, best_dir = length, "<" if j < i else ">"
        if best_len >= 2 and sum(1 for t in tokens[i : i + best_len] if token_type(t) in ("han", "cnnum")) >= 2:
            for k in range(i, i + best_len):
                out[k] = ("B" if k == i else ("E" if k == i + best_len - 1 else "I")) + best_dir
            i += best_len
        else:
            i += 1
    return out


def test_suffix_and_repeat_scans_match_their_definitions() -> None:
    for tokens in _texts(400, seed=7):
        assert features._suffix_ends(tokens) == _suffix_ends_plain(tokens), tokens
        assert features._repeats(tokens) == _repeats_plain(tokens), tokens


def test_window_ngrams_are_the_tokens_forms_joined() -> None:
    tokens = tokenize("杭州市江干区秋涛路147-2号")
    feats = features.token_features(tokens)
    norm = ["<S>"] * 3 + [features.norm_token(t) for t in tokens] + ["</S>"] * 3
    for i, f in enumerate(feats):
        k = i + 3
        assert "w-1:1=" + norm[k - 1] + norm[k] + norm[k + 1] in f
        assert "w-3:0=" + "".join(norm[k - 3 : k + 1]) in f and "w0:3=" + "".join(norm[k : k + 4]) in f
        assert "w-2:-1=" + norm[k - 2] + norm[k - 1] in f and "w1:2=" + norm[k + 1] + norm[k + 2] in f


def _annotate_plain(names: dict[str, list[str]], tokens: Sequence[str]) -> list[tuple[str, ...]]:
    best: list[dict[str, tuple[int, str]]] = [{} for _ in tokens]
    for i in range(len(tokens)):
        for j in range(i, len(tokens)):
            text = "".join(tokens[i : j + 1])
            length = j - i + 1
            for label, items in names.items():
                if text in items:
                    for k in range(i, j + 1):
                        pos = "S" if length == 1 else ("B" if k == i else ("E" if k == j else "I"))
                        if best[k].get(label, (0, ""))[0] < length:
                            best[k][label] = (length, pos)
    return [tuple(sorted(f"{lab}|{pos}" for lab, (_, pos) in m.items())) for m in best]


def test_gazetteer_scan_matches_its_definition_and_sees_names_added_later() -> None:
    names = {
        "road": ["秋涛路", "秋涛北路", "中心路"],
        "poi": ["中心", "工业园", "杭州工业园区"],
        "city": ["杭州市", "杭州"],
    }
    gaz = Gazetteer(names)
    for tokens in _texts(300, seed=11):
        assert gaz.annotate(tokens) == _annotate_plain(names, tokens), tokens
    tokens = tokenize("杭州市秋涛南路12号")
    assert not any("road|B" in m for m in gaz.annotate(tokens))
    gaz.add("road", "秋涛南路")  # after a scan: the names' prefixes are rebuilt
    assert gaz.annotate(tokens)[3:7] == [("road|B",), ("road|I",), ("road|I",), ("road|E",)]
    merged = gaz.merged(Gazetteer({"poi": ["秋涛南路12号大院"]}))
    assert "poi|B" in merged.annotate(tokenize("秋涛南路12号大院"))[0]


def test_ready_made_strings_are_the_plain_features() -> None:
    # types, lengths, positions from both ends and suffix distances come from tables of prebuilt strings
    for tokens in [*_texts(300, seed=8), tokenize("号" * 20 + "1" * 12), tokenize("A" * 7)]:
        n = len(tokens)
        for i, f in enumerate(features.token_features(tokens)):
            types = ["<S>"] * 3 + [token_type(t) for t in tokens] + ["</S>"] * 3
            k = i + 3
            assert f[2] == "t=" + types[k]
            assert f[3] == "l=" + (str(len(tokens[i])) if len(tokens[i]) <= 4 else "5+")
            assert f[4:6] == [f"p={min(i, 8)}", f"r={min(n - 1 - i, 8)}"]
            assert f[12:17] == [
                "t-2=" + types[k - 2],
                "t-1=" + types[k - 1],
                "t1=" + types[k + 1],
                "t2=" + types[k + 2],
                f"t-1:0:1={types[k - 1]}|{types[k]}|{types[k + 1]}",
            ]
            ends = features._suffix_ends(tokens)
            ahead = [j for j in range(i + 1, n) if ends[j] is not None]
            behind = [j for j in range(i) if ends[j] is not None]
            if ahead:
                assert f"nsd={min(ahead[0] - i, 6)}" in f
            if behind:
                assert f"psd={min(i - behind[-1], 6)}" in f
