"""The subtree scope, written once: the SQL predicates and their Python twins say the same thing."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import Column, MetaData, String, Table, create_engine, insert, select

from gridgov.common import scope
from gridgov.common.principal import Principal, Role

PATHS = ["/1/", "/1/3/", "/1/3/17/", "/1/30/", "/1/3/170/", "/1/4/", "/2/", "/1/3/17/99/", "/10/"]


@pytest.fixture(scope="module")
def table() -> tuple[Table, object]:
    engine = create_engine("sqlite://")
    t = Table("place", MetaData(), Column("path", String, primary_key=True))
    t.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(t), [{"path": p} for p in PATHS])
    return t, engine


@pytest.mark.parametrize("root", PATHS)
def test_sql_and_python_agree_on_every_pair(table: tuple[Table, object], root: str) -> None:
    t, engine = table
    with engine.connect() as conn:  # type: ignore[attr-defined]
        below = set(conn.scalars(select(t.c.path).where(scope.subtree(t.c.path, root))))
        above = set(conn.scalars(select(t.c.path).where(scope.ancestors_of(t.c.path, root))))
    assert below == {p for p in PATHS if scope.in_subtree(p, root)}
    assert above == {p for p in PATHS if scope.is_ancestor(p, root)}


def test_a_sibling_with_a_longer_number_is_not_inside() -> None:
    assert scope.in_subtree("/1/3/17/", "/1/3/")
    assert not scope.in_subtree("/1/30/", "/1/3/")
    assert not scope.in_subtree("/1/3/", None) and not scope.in_subtree("/1/3/", "")


def test_may_see_by_role() -> None:
    centre = Principal(1, "dsp", Role.DISPATCHER, division_path="/1/3/")
    assert scope.may_see(centre, "/1/3/17/")
    assert not scope.may_see(centre, "/1/4/")
    assert not scope.may_see(centre, "/1/")  # a placed case above the centre is not its own
    for role in (Role.ADMIN, Role.SYSTEM):
        assert scope.may_see(Principal(None, "x", role), "/9/")
    for role in (Role.HANDLER, Role.GRID_WORKER, Role.RESIDENT):
        assert not scope.may_see(Principal(2, "x", role, division_path="/1/3/"), "/1/3/17/")
    assert not scope.may_see(Principal(3, "nobody", Role.LEADER), "/1/")


def test_every_pair_of_paths_is_either_related_or_apart() -> None:
    for a, b in itertools.product(PATHS, PATHS):
        related = scope.in_subtree(a, b) or scope.in_subtree(b, a)
        assert related == (a.startswith(b) or b.startswith(a))
