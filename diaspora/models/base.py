"""Shared column helpers."""

from datetime import UTC, datetime

import sqlalchemy as sa


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp stored naive in UTC and always read back timezone-aware.

    SQLite drops the zone; PostgreSQL keeps it. Reading both as aware UTC avoids
    comparing naive with aware datetimes.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given for a UTC column")
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None:
            value = value.replace(tzinfo=UTC)
        return value
