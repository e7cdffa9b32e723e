"""The demo load links its block data: after the three department files are imported, the person records are
linked into people by the real service (store.run_link), so clusters with golden records and stable keys exist;
and every building of a small demo (fewer people than buildings) has a room."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from gridgov.address.models import Address
from gridgov.blockdata.linkage.tables import LinkCluster, LinkMember
from gridgov.blockdata.models import PersonRecord, RoomRecord
from gridgov.db import make_engine, session_factory
from gridgov.demo.geography import DemoGeography
from gridgov.demo.loader import load_demo
from gridgov.migrate import upgrade


def test_the_demo_load_links_the_person_records(tmp_path: Path, geography: DemoGeography) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    upgrade(engine)
    try:
        with session_factory(engine)() as session:
            result = load_demo(
                session,
                tmp_path / "var",
                geography=geography,
                buildings_per_community=10,
                parser_sequences=0,
                blockdata_people=400,
                classifier_texts=0,
            )
            assert result.blockdata is not None and result.blockdata.link is not None
            summary = result.blockdata.link
            records = session.scalar(select(func.count()).select_from(PersonRecord)) or 0
            members = session.scalar(select(func.count()).select_from(LinkMember)) or 0
            stored = session.scalar(select(func.count()).select_from(LinkCluster).where(LinkCluster.record_count > 0))
            assert summary.mode == "full" and summary.records == records > 0
            assert 0 < summary.clusters < records  # some people appear in more than one department's file
            assert members == records and stored == summary.clusters
            assert result.blockdata.link_seconds > 0
            golden = session.scalar(select(LinkCluster.golden).where(LinkCluster.record_count > 1).limit(1))
            assert golden and golden.get("name")
            assert "*" in str(golden.get("id_number", "*"))  # stored masked
            # fewer people than buildings, and still every building of the library has a room (some vacant)
            every = set(session.scalars(select(Address.id).where(Address.level == "building")))
            roomed = set(session.scalars(select(RoomRecord.address_id).where(RoomRecord.address_id.is_not(None))))
            assert len(every) > 400 * 0.7 and every <= roomed
            assert session.scalar(select(func.count()).select_from(RoomRecord).where(RoomRecord.tenant_id.is_(None)))
    finally:
        engine.dispose()
