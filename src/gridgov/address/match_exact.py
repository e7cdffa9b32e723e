"""The matcher's exact stage: mentions of library names found by the Aho-Corasick automata (also inside a
longer complaint sentence; a mention contained in a longer one is dropped), chains descending from each road,
compound or named-building mention through the numbers written after it (road + ``123号`` → door;
door/compound + ``3栋``/``A栋``/``东1巷3号``/``3-2-501`` → building; unit/floor/room when the library has them),
and their scores: each chain's node explains the mentions on its ancestor chain (division context, road,
compound, numbers); the node explaining the most evidence wins, deeper first on ties."""

from __future__ import annotations

from typing import Final

from gridgov.address.match_index import MatchIndex
from gridgov.address.match_text import DOOR_AFTER, DOOR_AS_BUILDING, TAIL, is_han
from gridgov.address.match_types import (
    DIVISION_LEVELS,
    DOOR_RANK,
    EXACT,
    FUZZY,
    ROAD_RANK,
    SHORT,
    SUB_LEVELS,
    UNKNOWN_RANK,
    Chain,
    Entry,
    Mention,
)

__all__ = ["explain_chain", "find_mentions", "resolve_chains"]

# Evidence weights.
_W_DIV = {"city": 0.3, "district": 1.0, "street": 1.0, "community": 1.5}
_W_SHORT: Final = 0.6  # factor for division names without their suffix
_W_NAME: Final = 2.0  # road / compound / named building
_W_DOOR: Final = 1.5
_W_BUILDING: Final = 1.5
_W_SUB: Final = 0.5  # unit / floor / room
_W_CONFLICT: Final = 0.5
_W_GAP: Final = 1.0  # a number separated from its name by unexplained text ("宝隆花园17栋" read as 宝隆 + 17栋)
_MAX_SEEDS: Final = 64
_MAX_MENTIONS: Final = 48  # per text, in text order: bounds the work on pathological input


def _hit_order(hit: tuple[int, int, str, tuple[Entry, ...], bool, bool]) -> tuple[int, int]:
    return hit[0], -hit[1]  # by start, longest first


def find_mentions(ix: MatchIndex, t: str) -> list[Mention]:
    """Library names in the normalized text ``t``, in text order; a name inside a longer one is dropped."""
    if ix.overlay_dirty:
        ix.refresh_overlay()
    hits: list[tuple[int, int, str, tuple[Entry, ...], bool, bool]] = []
    for auto in (ix.main, ix.overlay):
        if auto is not None:
            for end, (n, key, ents, exact, context) in auto.iter(t):
                hits.append((end - n + 1, end + 1, key, ents, exact, context))
    if not hits:
        return []
    if len(hits) > 1:
        hits.sort(key=_hit_order)
    out: list[Mention] = []
    max_end = -1
    for start, end, key, ents, exact, context in hits:
        if out and out[-1].start == start and out[-1].end == end:
            last = out[-1]
            last.entries = (*last.entries, *ents)
            last.exact = last.exact or exact
            last.context = last.context and context
        elif end > max_end:
            out.append(Mention(start, end, key, ents, exact, context))
            max_end = end
        # else: contained in a longer mention
    if len(out) > _MAX_MENTIONS:
        out = out[:_MAX_MENTIONS]
    if not ix.clean:
        alive, dead = ix.alive, ix.dead
        for m in out:
            m.entries = [e for e in m.entries if alive[e[0]] and (m.key, e[0]) not in dead]
        out = [m for m in out if m.entries]
    return out


def resolve_chains(ix: MatchIndex, t: str, mentions: list[Mention], btoks: list[tuple[int, int, str]]) -> list[Chain]:
    """The readings of ``t``, best first: one chain per final node reached from a road, compound or named
    building mention (or, with none, per division mention), with its weight of evidence."""
    if not mentions:
        return []
    rank, level = ix.rank, ix.level
    ends = {m.end for m in mentions if not m.fuzzy_from}
    chains: dict[int, Chain] = {}
    seeds = 0
    # Nodes on a fully resolved chain: a seed there (the road of "福民路123号福民新村3栋" after the
    # compound seed, or the other way round) reaches the same node again.
    settled: set[int] = set()
    for mi, m in enumerate(mentions):
        for node, _kind, q in m.entries:
            if rank[node] < ROAD_RANK or rank[node] >= UNKNOWN_RANK:
                continue
            if node in settled and level[node] != "road":  # a road may still lead to another door
                continue
            seeds += 1
            if seeds > _MAX_SEEDS:
                break
            chain = _descend(ix, t, node, m.start, m.end, btoks, ends)
            chain.quality = q
            _score(ix, chain, mentions, mi)
            if level[node] != "road" and rank[chain.node] > DOOR_RANK:
                _door_credit(ix, t, chain)
            if not chain.unresolved and not chain.gap:
                settled.update(chain.path)
            old = chains.get(chain.node)
            if old is None or (chain.weight, chain.quality) > (old.weight, old.quality):
                chains[chain.node] = chain
    if not chains:
        # Division-only text: each division mention, weighted by its agreeing context.
        for mi, m in enumerate(mentions):
            for node, _kind, q in m.entries:
                if rank[node] >= ROAD_RANK:
                    continue
                chain = Chain(node, m.end, quality=q)
                _score(ix, chain, mentions, mi)
                old = chains.get(node)
                if old is None or chain.weight > old.weight:
                    chains[node] = chain
    code = ix.code
    return sorted(chains.values(), key=lambda c: (-c.weight, -rank[c.node], -c.quality, code[c.node]))


def _descend(
    ix: MatchIndex,
    t: str,
    node: int,
    start: int,
    pos: int,
    btoks: list[tuple[int, int, str]],
    ends: set[int],
) -> Chain:
    level, child = ix.level, ix.child
    chain = Chain(node, pos)
    if level[node] == "road":
        door = -1
        dm = DOOR_AFTER.match(t, pos)
        if dm:
            num = dm.group(1)
            door = child.get((node, num + "号"), -1)
            if door < 0 and "-" in num:
                door = child.get((node, num.split("-", 1)[0] + "号"), -1)
        else:
            dm = DOOR_AS_BUILDING.match(t, pos)
            if dm:
                num = dm.group(1)
                door = child.get((node, num + "号"), -1)
        if dm:
            if door >= 0 and ix.alive[door]:
                node, pos = door, dm.end()
                chain.weight += _W_DOOR
                chain.corroboration += _W_DOOR
                chain.steps.append(("door", door))
            elif dm.group(0).endswith("号") or not btoks:
                chain.unresolved = True
                chain.misses.append(("door", dm.group(1) + "号", node))
    if btoks:
        lv = level[node]
        found = False
        if lv == "door" or lv == "compound":
            # Numbers after the last consumed element first, then any before the seed mention.
            for s, e, key in [b for b in btoks if b[0] >= pos] + [b for b in btoks if b[1] <= start]:
                b = child.get((node, key), -1)
                if b < 0 and lv == "door":
                    for c in ix.compound_kids.get(node, ()):
                        b = child.get((c, key), -1)
                        if b >= 0:
                            break
                if b >= 0 and ix.alive[b] and level[b] == "building":
                    if s > pos and s not in ends and is_han(t[s - 1]):
                        chain.gap = True
                        chain.weight -= _W_GAP
                    node, pos = b, e
                    chain.weight += _W_BUILDING
                    chain.corroboration += _W_BUILDING
                    chain.steps.append(("building", b))
                    found = True
                    break
        if not found and lv != "building" and level[node] not in SUB_LEVELS:
            chain.unresolved = True
            chain.misses.append(("building", btoks[0][2], node))
    if ix.has_sub_levels and level[node] in ("building", "unit", "floor"):
        node, pos = _descend_sub(ix, t, node, pos, chain)
    chain.node, chain.pos = node, pos
    return chain


def _door_credit(ix: MatchIndex, t: str, chain: Chain) -> None:
    """A chain seeded below its door (compound "福民新村" of "福民路123号福民新村") still explains the house
    number written after its road."""
    level, name = ix.level, ix.name
    door = next((i for i in chain.path if level[i] == "door"), -1)
    if door < 0:
        return
    road = ix.parent[door]
    for m, (node, _, _) in chain.hits:
        if node == road:
            dm = DOOR_AFTER.match(t, m.end) or DOOR_AS_BUILDING.match(t, m.end)
            if dm and dm.group(1) + "号" == name[door]:
                chain.weight += _W_DOOR
                chain.corroboration += _W_DOOR
                chain.steps.insert(0, ("door", door))
            return


def _descend_sub(ix: MatchIndex, t: str, node: int, pos: int, chain: Chain) -> tuple[int, int]:
    tm = TAIL.match(t, pos)
    if not tm or not tm.group(1):
        return node, pos
    for g, suffixes in ((2, ("单元",)), (3, ("层", "楼")), (4, ("", "室", "号"))):
        val = tm.group(g)
        if not val:
            continue
        nxt = -1
        for suf in suffixes:
            nxt = ix.child.get((node, val + suf), -1)
            if nxt >= 0:
                break
        if nxt < 0 or not ix.alive[nxt]:
            break
        node, pos = nxt, tm.end(g)
        chain.weight += _W_SUB
        chain.steps.append((ix.level[nxt], nxt))
    return node, pos


def _score(ix: MatchIndex, chain: Chain, mentions: list[Mention], seed_mi: int) -> None:
    """Add the weight of every mention explained by the chain's ancestors; note conflicting divisions."""
    level, parent = ix.level, ix.parent
    on_chain = chain.path  # leaf → root
    i = chain.node
    while i >= 0:
        on_chain.append(i)
        i = parent[i]
    div_seen: set[str] = set()
    keys_seen: set[str] = set()
    conflicts = chain.conflicts
    hits = chain.hits
    quality = chain.quality
    fuzzy_spans: list[tuple[int, int]] = []
    div_hits: list[tuple[int, int, float]] = []
    for mi, m in enumerate(mentions):
        hit: Entry | None = None
        index: dict[int, Entry] | None = None
        if len(m.entries) == 1:
            if m.entries[0][0] in on_chain:
                hit = m.entries[0]
        else:
            index = m.index
            if index is None:
                index = m.index = {}
                for e in reversed(m.entries):
                    index[e[0]] = e
            for c in on_chain:  # the deepest node the name denotes
                hit = index.get(c)
                if hit is not None:
                    break
        if hit is None:
            if m.context:
                conflicts.append(m.key)
            continue
        if m.key in keys_seen:
            continue  # the same name written twice ("南山南山") is one piece of evidence
        keys_seen.add(m.key)
        lv = level[hit[0]]
        if lv in DIVISION_LEVELS:
            if index is not None:
                # A name of several divisions ("莲塘": 莲塘街道 and 莲塘社区) takes the highest free level,
                # leaving the lower ones to the names written after it.
                pick: Entry | None = None
                for c in reversed(on_chain):
                    cand = index.get(c)
                    if cand is not None and level[c] in DIVISION_LEVELS and level[c] not in div_seen:
                        pick = cand
                        break
                if pick is None:
                    continue
                hit = pick
                lv = level[hit[0]]
            elif lv in div_seen:
                continue
            div_seen.add(lv)
            w = _W_DIV[lv] * (_W_SHORT if hit[1] == SHORT else 1.0)
        else:
            q = hit[2]
            w = _W_NAME * q
            if q < quality:
                quality = q
        hits.append((m, hit))
        chain.weight += w
        if mi != seed_mi:
            chain.corroboration += w
        if hit[1] == FUZZY:
            fuzzy_spans.append((m.start, m.end))
        elif lv in DIVISION_LEVELS:
            div_hits.append((m.start, m.end, w))
    chain.quality = quality
    if conflicts:
        chain.weight -= _W_CONFLICT * len(conflicts)
    if fuzzy_spans and div_hits:
        # A division name inside or across a misspelled name ("光明" in 光明石新村) is not extra evidence.
        for ds, de, dw in div_hits:
            if any(fs < de and ds < fe for fs, fe in fuzzy_spans):
                chain.weight -= dw


def explain_chain(ix: MatchIndex, chain: Chain) -> list[str]:
    """Short phrases of what the chain matched and what it could not."""
    level, name = ix.level, ix.name
    out: list[str] = []
    for m, (node, kind, q) in chain.hits:
        lv = level[node]
        if kind == SHORT:
            out.append(f"{lv} {name[node]} (short)")
        elif lv in DIVISION_LEVELS:
            out.append(f"{lv} {name[node]}" if kind == EXACT else f"{lv} alias {m.key} → {name[node]}")
        elif kind == EXACT:
            out.append(f"{lv} {name[node]} exact")
        elif kind == FUZZY:
            out.append(f"fuzzy {m.fuzzy_from}→{name[node]} ({round(q * 100)})")
        else:
            out.append(f"{lv} alias {m.key} → {name[node]}")
    out.extend(f"{lv} {name[node]}" for lv, node in chain.steps)
    out.extend(f"{lv} {number} not found under {name[parent]}" for lv, number, parent in chain.misses)
    out.extend(f"context {k} disagrees" for k in chain.conflicts)
    return out
