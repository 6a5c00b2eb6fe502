"""When a job is due: fixed slots in UTC, every N minutes from midnight or once a day.

A slot is a moment the job should run at. At any time the job's current slot is the last
one that has begun; the job is due when the slot it last ran for is older than that. Slots
missed while no runner was up therefore collapse into the current one: a runner that comes
back at 09:00 runs a 07:00 job once, for today's 07:00, not once per missed slot.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

MINUTES_PER_DAY = 24 * 60
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Schedule:
    """Slots every ``period`` minutes, ``offset`` minutes after each UTC midnight.

    ``period`` divides a day, so every day has the same slots (no drift across midnight).
    """

    period: int
    offset: int = 0

    def __post_init__(self):
        if self.period <= 0 or MINUTES_PER_DAY % self.period:
            raise ValueError(f"a period of {self.period} minutes does not divide a day")
        if not 0 <= self.offset < self.period:
            raise ValueError(f"offset {self.offset} is not within the period {self.period}")

    @property
    def step(self) -> timedelta:
        return timedelta(minutes=self.period)

    def slot(self, now: datetime) -> datetime:
        """The latest slot at or before ``now``."""
        since = now - _EPOCH - timedelta(minutes=self.offset)
        return _EPOCH + timedelta(minutes=self.offset) + (since // self.step) * self.step

    def due(self, last_slot: datetime | None, now: datetime) -> datetime | None:
        """The slot to run now, or None when the current slot has already run."""
        current = self.slot(now)
        return current if last_slot is None or last_slot < current else None

    def next_due(self, last_slot: datetime | None, now: datetime) -> datetime:
        """When the job is next due: its current slot if that has not run, else the next."""
        return self.due(last_slot, now) or self.slot(now) + self.step

    def describe(self) -> str:
        hours, minutes = divmod(self.offset, 60)
        if self.period == MINUTES_PER_DAY:
            return f"daily at {hours:02d}:{minutes:02d} UTC"
        if self.period == 60:
            return f"hourly at :{minutes:02d}"
        if self.offset:
            return f"every {self.period} min from {hours:02d}:{minutes:02d}"
        return f"every {self.period} min"


def daily(at: str) -> Schedule:
    """Once a day at ``HH:MM`` UTC."""
    hours, _, minutes = at.partition(":")
    hour, minute = int(hours), int(minutes)
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise ValueError(f"{at!r} is not a time of day (HH:MM)")
    return Schedule(MINUTES_PER_DAY, hour * 60 + minute)


def every(minutes: int, at: int = 0) -> Schedule:
    """Every ``minutes`` minutes, ``at`` minutes past each slot boundary from midnight."""
    return Schedule(minutes, at)
