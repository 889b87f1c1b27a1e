"""The service's one notion of now and today (Europe/Berlin); tests set it, nothing else reads the real time.

Every rule that depends on "now" (what has begun, how far ahead a space may be booked, what is
upcoming) asks :func:`now_utc`. Pure modules never call it: they take ``now`` as an argument.

The clock runs in real time unless it is fixed: by :func:`fix` (tests do this for every test,
see ``tests/conftest.py``), or for a whole process by the environment variable
``RAUMFINDER_NOW`` (an ISO 8601 instant with offset), which the test suite sets for the
gunicorn servers it starts. Production leaves it unset. Rate limits are the one exception:
they count real seconds on the database's clock, so that every worker agrees.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")
ENV = "RAUMFINDER_NOW"

_fixed: datetime | None = None


def parse_instant(value: str) -> datetime:
    """An aware instant from ISO 8601 text with an offset (ValueError otherwise)."""
    moment = datetime.fromisoformat(value.strip())
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{ENV} needs an offset or Z, e.g. 2026-11-23T10:00:00+01:00, got {value!r}")
    return moment.astimezone(UTC)


def fix(moment: datetime | None) -> None:
    """Fix the clock at an aware instant (None: back to real time, or to RAUMFINDER_NOW when set)."""
    global _fixed
    if moment is not None and (moment.tzinfo is None or moment.utcoffset() is None):
        raise ValueError(f"the clock needs an aware instant, got {moment!r}")
    _fixed = moment.astimezone(UTC) if moment is not None else None


def now_utc() -> datetime:
    """The current instant, timezone-aware in UTC."""
    if _fixed is not None:
        return _fixed
    from_env = os.environ.get(ENV)
    if from_env:
        return parse_instant(from_env)
    return datetime.now(UTC)


def today_local() -> date:
    """Today's date in Hannover."""
    return now_utc().astimezone(BERLIN).date()
