"""The matcher's fuzzy stage, run only when the exact reading is missing or weak (no address element, an
unexplained number, a division named in the text that the reading does not lie in, an alias shared with a
division name, unexplained text before a number or closing the text): edit-distance-1 look-ups (substitution,
missing, extra or swapped character; the index's wildcard/deletion dictionaries) of the spans before a name
suffix or a number, scored with ``rapidfuzz`` (OSA similarity, a sound-alike substitution such as 锐/瑞 counting
a quarter edit) and filtered by the division context; with a small division context and nothing found,
``rapidfuzz.process`` (partial_ratio) over that context's names as a last resort."""

from __future__ import annotations

from typing import Final

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from gridgov.address.match_index import MatchIndex
from gridgov.address.match_text import DOOR_AFTER, DOOR_TOKEN, LANE_TOKEN, before_assist, is_han
from gridgov.address.match_types import (
    BUILDING_RANK,
    CONTEXT_LEVELS,
    EXACT,
    FUZZY,
    MAX_FUZZY_SPAN,
    MIN_FUZZY_KEY,
    NAMED_LEVELS,
    ROAD_RANK,
    Chain,
    Entry,
    Mention,
)

__all__ = ["fuzzy_mentions", "needs_fuzzy"]

_FUZZY_SPAN_BUDGET: Final = 240  # spans tried per text
_MAX_FUZZY_SEEDS: Final = 12
_FUZZY_MIN_SIM: Final = 0.6
_PROCESS_CHOICES_MAX: Final = 600


def needs_fuzzy(ix: MatchIndex, t: str, chains: list[Chain], mentions: list[Mention]) -> bool:
    """Whether the exact reading is missing or weak enough to look for misspelled names."""
    if not chains or ix.rank[chains[0].node] < ROAD_RANK:
        return True
    best = chains[0]
    if best.unresolved or best.gap or best.conflicts or best.quality < 0.9:
        return True
    # A district/street/community named in the text that the reading does not lie in ("观澜下竹溪路":
    # 竹溪路 exists, but not in 观澜; 下竹西路 does).
    level, path = ix.level, best.path
    for m in mentions:
        if all(level[e[0]] in CONTEXT_LEVELS for e in m.entries) and not any(e[0] in path for e in m.entries):
            return True
    # A short unexplained name right after the address, closing the text ("华民路12号源山庄").
    p, n = best.pos, len(t)
    if p < n and is_han(t[p]):
        j = p
        while j < n and j - p <= MAX_FUZZY_SPAN and is_han(t[j]):
            j += 1
        if (
            MIN_FUZZY_KEY <= j - p <= MAX_FUZZY_SPAN
            and (j == n or not is_han(t[j]))
            and (t[j - 1] in ix.suffix_chars or t[p : p + 2] in ix.prefix2)
            and not any(m.exact and m.start < j and m.end > p for m in mentions)
        ):
            return True
    # A house number that the reading does not explain: its road may be misspelled.
    if "号" in t and ix.rank[best.node] < BUILDING_RANK:
        doors = {ix.name[i] for i in path if level[i] == "door"}
        return any(dm.group(1) + "号" not in doors for dm in DOOR_TOKEN.finditer(t))
    return False


def fuzzy_mentions(
    ix: MatchIndex, t: str, mentions: list[Mention], best: Chain | None, btoks: list[tuple[int, int, str]]
) -> list[Mention]:
    """Mentions of library names at edit distance 1 from the spans of ``t`` no exact name covers (or, with a
    small division context and none found, the best partial matches among that context's names)."""
    n = len(t)
    covered = bytearray(n)
    context: set[int] = set()
    # The names of a reading that left a number unexplained may themselves be misspelled ("益隆路11号"
    # for 益隆一路11号): they do not cover their span.
    weak = {id(m) for m, _ in best.hits} if best is not None and (best.unresolved or best.conflicts) else set()
    exact_nodes: set[int] = set()
    for m in mentions:
        if m.exact and id(m) not in weak:  # aliases and short names do not cover either
            covered[m.start : m.end] = b"\x01" * (m.end - m.start)
        for node, kind, _ in m.entries:
            if ix.level[node] in CONTEXT_LEVELS:  # the city is everyone's ancestor: no context
                context.add(node)
            elif kind == EXACT and id(m) not in weak:
                exact_nodes.add(node)
    lane_starts: set[int] = set()
    if "巷" in t:
        for lm in LANE_TOKEN.finditer(t):
            lane_starts.add(lm.start())
            covered[lm.start() : lm.end()] = b"\x01" * (lm.end() - lm.start())
    # Uncovered runs of Chinese characters.
    segments: list[tuple[int, int]] = []
    s0 = -1
    for j in range(n):
        ok = not covered[j] and is_han(t[j])
        if ok and s0 < 0:
            s0 = j
        elif not ok and s0 >= 0:
            segments.append((s0, j))
            s0 = -1
    if s0 >= 0:
        segments.append((s0, n))
    found: dict[str, tuple[float, int, int]] = {}  # key -> (similarity, start, end) of its best span
    suffix_chars = ix.suffix_chars
    budget = _FUZZY_SPAN_BUDGET
    for s0, e0 in segments:
        ends = {e0}
        ends.update(j + 1 for j in range(s0, e0) if t[j] in suffix_chars)
        for end in ends:
            # A two-character span only right before a number ("西盛21号" for 西盛街).
            structural = end == e0 and (end in lane_starts or (e0 < n and t[e0].isdigit()))
            for length in range(2 if structural else MIN_FUZZY_KEY, min(MAX_FUZZY_SPAN, end - s0) + 1):
                budget -= 1
                if budget < 0:
                    break
                span = t[end - length : end]
                for key in _edit1(ix, span):
                    sim = _similarity(ix, span, key)
                    if sim >= _FUZZY_MIN_SIM:
                        prev = found.get(key)
                        if prev is None or (sim, length) > (prev[0], prev[2] - prev[1]):
                            found[key] = (sim, end - length, end)
    if not found:
        found = _process_fallback(ix, t, context, segments)
    return _fuzzy_to_mentions(ix, t, found, context, btoks, exact_nodes)


def _similarity(ix: MatchIndex, span: str, key: str) -> float:
    """OSA similarity in [0, 1]; a substituted character that sounds the same (拼音, ignoring tones and
    the zh/z, ch/c, sh/s, -ng/-n confusions) costs a quarter of an edit: 锐居花园 is nearer to 瑞居花园
    than to 万居花园."""
    sim = OSA.normalized_similarity(span, key)
    if len(span) == len(key) and ix.phonetic is not None:
        diff = [j for j in range(len(span)) if span[j] != key[j]]
        if len(diff) == 1:
            j = diff[0]
            if ix.phonetic.same_sound(span[j], key[j]):
                sim = 1.0 - 0.25 / len(span)
    return float(sim)


def _fuzzy_to_mentions(
    ix: MatchIndex,
    t: str,
    found: dict[str, tuple[float, int, int]],
    context: set[int],
    btoks: list[tuple[int, int, str]],
    exact_nodes: set[int],
) -> list[Mention]:
    """Turn (span → key → similarity) into mentions. Entries the division context supports come first,
    then those under which the number written after the span exists, then by similarity."""
    level, div, child = ix.level, ix.div, ix.child
    after: dict[int, tuple[str | None, str | None]] = {}  # span end -> (door key, building key) after it
    scored: list[tuple[int, int, float, int, int, int]] = []  # (agrees, resolves, sim, node, start, end)
    for key, (sim, s, e) in found.items():
        nxt = after.get(e)
        if nxt is None:
            dm = DOOR_AFTER.match(t, e)
            bkey = next((b[2] for b in btoks if b[0] >= e), None)
            nxt = after[e] = (dm.group(1) + "号" if dm else None, bkey)
        door_key, bkey = nxt
        for node, _k in ix.entries_for(key):
            lv = level[node]
            if lv not in NAMED_LEVELS or node in exact_nodes:  # already read exactly elsewhere
                continue
            agrees = 1 if context and not context.isdisjoint(ix.division_ancestors(div[node])) else 0
            resolves = 0
            if lv == "road" and door_key is not None:
                resolves = 1 if (node, door_key) in child else 0
            elif lv == "compound" and bkey is not None:
                resolves = 1 if (node, bkey) in child else 0
            scored.append((agrees, resolves, sim, node, s, e))
    if not scored:
        return []
    if any(x[0] for x in scored):
        scored = [x for x in scored if x[0]]
    # Each node once, at its best span (overlapping spans must not count the same name twice). The node id
    # breaks ties: ``found`` is filled from sets of strings, whose order changes with the hash seed.
    scored.sort(key=lambda x: (-x[1], -x[2], x[4] - x[5], x[4], x[3]))
    seen: set[int] = set()
    by_span: dict[tuple[int, int], list[Entry]] = {}
    for _, _, sim, node, s, e in scored:
        if node in seen:
            continue
        seen.add(node)
        if len(seen) > _MAX_FUZZY_SEEDS:
            break
        by_span.setdefault((s, e), []).append((node, FUZZY, sim))
    return [Mention(s, e, t[s:e], ents, fuzzy_from=t[s:e]) for (s, e), ents in by_span.items()]


def _edit1(ix: MatchIndex, span: str) -> set[str]:
    """Library keys at edit distance 1 from ``span`` (substitution, deletion, insertion, transposition)."""
    out: set[str] = set()
    n = len(span)
    if n < MIN_FUZZY_KEY:
        hit = ix.fz_del2.get(span)
        if hit:
            out.update(hit)
        return out
    keys, ov, sub = ix.key_entries, ix.overlay_keys, ix.fz_sub
    for j in range(n):
        hit = sub.get(span[:j] + "\x00" + span[j + 1 :])
        if hit:
            out.update(hit)
        d = span[:j] + span[j + 1 :]
        if len(d) >= MIN_FUZZY_KEY and (d in keys or d in ov):
            out.add(d)
        if j + 1 < n and span[j] != span[j + 1]:
            sw = span[:j] + span[j + 1] + span[j] + span[j + 2 :]
            if sw in keys or sw in ov:
                out.add(sw)
    hit = ix.fz_del.get(span)
    if hit:
        out.update(hit)
    out.discard(span)
    return out


def _process_fallback(
    ix: MatchIndex, t: str, context: set[int], segments: list[tuple[int, int]]
) -> dict[str, tuple[float, int, int]]:
    """Last resort with a small division context: rapidfuzz.process over that context's names."""
    communities: set[int] = set()
    for node in context:
        lv = ix.level[node]
        if lv == "community":
            communities.add(node)
        elif lv == "street":
            communities.update(ix.communities_of(node))
    choices: list[str] = []
    for c in communities:
        keys = ix.choices_of.get(c)
        if keys is None:
            keys = [k for k, _ in ix.community_names.get(c, ()) if len(k) >= MIN_FUZZY_KEY]
            ix.choices_of[c] = keys
        choices.extend(keys)
    found: dict[str, tuple[float, int, int]] = {}
    if not choices or len(choices) > _PROCESS_CHOICES_MAX:
        return found
    for s0, end in segments:
        e0 = before_assist(t, s0, end)  # "…网格附近": the vague locating word is no part of a name
        seg = t[s0:e0]
        if len(seg) < MIN_FUZZY_KEY:
            continue
        for key, _score, _ in process.extract(seg, choices, scorer=fuzz.partial_ratio, limit=3, score_cutoff=70):
            al = fuzz.partial_ratio_alignment(key, seg)
            if al is None:
                continue
            s, e = s0 + al.dest_start, s0 + al.dest_end
            sim = OSA.normalized_similarity(t[s:e], key)
            if sim >= _FUZZY_MIN_SIM and (key not in found or found[key][0] < sim):
                found[key] = (sim, s, e)
    return found
