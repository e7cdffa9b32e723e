"""The audit log's hash chain, as pure functions: the canonical form of a row, the link, and the walk that finds
the first place where a chain does not hold.

Each row carries its place (`seq`: 1, 2, 3 ... without gaps), the previous row's hash and its own: HMAC-SHA256
under the audit key (var/audit.key, outside the database) over the previous hash and the row's canonical
content. Someone who can write to the database but has not the key can neither edit, delete, insert nor
renumber a row without the walk naming the first row where the chain breaks; a deleted tail shows against the
head row (common/audit.py) and, beyond what the database holds, against an anchor noted elsewhere."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64


def chain_key(secret: str) -> bytes:
    return hashlib.sha256(b"gridgov-audit-chain\n" + secret.encode()).digest()


def canonical(row: Mapping[str, Any]) -> bytes:
    """The content a row's hash covers, in one byte form whatever the backend returns."""
    at: datetime = row["at"]
    body = [
        row["seq"],
        at.astimezone(UTC).isoformat(timespec="microseconds"),
        row["actor_id"],
        row["actor_role"],
        row["action"],
        row["entity"],
        row["entity_id"],
        row["detail"],
    ]
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def link(key: bytes, prev_hash: str, row: Mapping[str, Any]) -> str:
    return hmac.new(key, prev_hash.encode() + b"\n" + canonical(row), hashlib.sha256).hexdigest()


def chain(key: bytes, first_seq: int, prev_hash: str, rows: Iterable[dict[str, Any]]) -> str:
    """Give `rows` their places from `first_seq` on and link them after `prev_hash`; returns the last hash."""
    seq, prev = first_seq, prev_hash
    for row in rows:
        row["seq"], row["prev_hash"] = seq, prev
        prev = row["hash"] = link(key, prev, row)
        seq += 1
    return prev


@dataclass(frozen=True)
class Break:
    """The first place where the chain does not hold (`id`: the row, when there is one)."""

    id: int | None
    seq: int | None
    reason: str


@dataclass(frozen=True)
class Walk:
    rows: int
    last_seq: int
    last_hash: str
    first_bad: Break | None


def walk(
    key: bytes, rows: Iterable[Mapping[str, Any]], head: tuple[int, str], anchor: tuple[int, str] | None = None
) -> Walk:
    """Check `rows` (rows without a place first, then by seq) against each other, the head and the anchor."""
    expected, prev, count, bad = 1, GENESIS, 0, None
    for row in rows:
        count += 1
        seq = row["seq"]
        if seq is None:
            bad = Break(row["id"], None, "有一行不在链上（绕过系统插入）")
        elif seq != expected:
            bad = Break(row["id"], seq, f"第 {expected}–{seq - 1} 条缺失（被删除）")
        elif row["prev_hash"] != prev:
            bad = Break(row["id"], seq, "前一条的哈希不符（其前有行被删除、插入或修改）")
        elif not hmac.compare_digest(link(key, prev, row), str(row["hash"])):
            bad = Break(row["id"], seq, "内容与哈希不符（被修改）")
        elif anchor is not None and seq == anchor[0] and row["hash"] != anchor[1]:
            bad = Break(row["id"], seq, "与外部记录的锚点哈希不符")
        if bad is not None:
            return Walk(count, expected - 1, prev, bad)
        prev, expected = str(row["hash"]), expected + 1
    last = expected - 1
    if head != (last, prev):
        bad = Break(None, expected, f"链尾缺失：链头记录到第 {head[0]} 条，表中只到第 {last} 条")
    elif anchor is not None and anchor[0] > last:
        bad = Break(None, anchor[0], f"锚点第 {anchor[0]} 条已不存在（链尾被删除）")
    return Walk(count, last, prev, bad)
