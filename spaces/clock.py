"""The service's notion of now and today, in Europe/Berlin."""

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")


def now_utc() -> datetime:
    """The current instant, timezone-aware in UTC."""
    return datetime.now(timezone.utc)


def today_local() -> date:
    """Today's date in Hannover."""
    return now_utc().astimezone(BERLIN).date()
