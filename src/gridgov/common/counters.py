"""Counters that many requests bump at once: one INSERT .. ON CONFLICT DO UPDATE .. RETURNING statement, so two
concurrent bumps never lose one (SQLite and PostgreSQL both speak it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import DeclarativeBase, Session


def increment(
    db: Session | Connection, model: type[DeclarativeBase], keys: dict[str, Any], column: str, **values: Any
) -> int:
    """Add 1 to `column` of the row with primary key `keys` (created at 1 when missing; `values` set on both
    paths) and return the new count."""
    dialect = db.get_bind().dialect.name if isinstance(db, Session) else db.dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    table = model.__table__
    stmt = module.insert(table).values(**keys, **{column: 1}, **values)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys), set_={column: table.c[column] + 1, **values}
    ).returning(table.c[column])
    count: int = db.execute(stmt).scalar_one()
    return count
