"""UTCDateTime's SQLite bind processor writes exactly the text SQLAlchemy's own DATETIME would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import DateTime
from sqlalchemy.dialects import sqlite

from gridgov.db import UTCDateTime


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 11, 22, 1, 2, 3, 456789, tzinfo=UTC),
        datetime(2026, 11, 22, 1, 2, 3, tzinfo=UTC),  # no microseconds: still six digits
        datetime(2026, 1, 1, 7, 59, 59, 1, tzinfo=timezone(timedelta(hours=8))),  # Shanghai: the UTC day before
        datetime(999, 3, 4, 5, 6, 7, tzinfo=UTC),  # the year zero-padded
    ],
)
def test_same_text_as_sqlalchemy(value: datetime) -> None:
    dialect = sqlite.dialect()
    ours = UTCDateTime().bind_processor(dialect)
    theirs = DateTime().dialect_impl(dialect).bind_processor(dialect)
    assert ours is not None and theirs is not None
    assert ours(value) == theirs(value.astimezone(UTC).replace(tzinfo=None))
    assert ours(None) is None


def test_naive_refused() -> None:
    process = UTCDateTime().bind_processor(sqlite.dialect())
    assert process is not None
    with pytest.raises(ValueError, match="naive"):
        process(datetime(2026, 11, 22, 1, 2, 3))
