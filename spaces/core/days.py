"""The days the service speaks about: 2000 to 2099. A date outside is a typo, and 9999-12-31 would
overflow the arithmetic of the day after; every form, parameter and series checks against this range."""

from __future__ import annotations

from datetime import date

FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)


def plausible(day: date) -> bool:
    """Whether `day` lies in the range the service handles."""
    return FIRST_DAY <= day <= LAST_DAY


def range_text() -> str:
    """The range in German, for messages: 'zwischen 01.01.2000 und 31.12.2099'."""
    return f"zwischen {FIRST_DAY:%d.%m.%Y} und {LAST_DAY:%d.%m.%Y}"
