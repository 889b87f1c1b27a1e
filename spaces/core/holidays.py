"""Public holidays in Niedersachsen (Lower Saxony), from the maintained `holidays` library.

Pure: no Flask, no database. A series "ohne Feiertage" leaves these dates out
(spaces.core.recurrence.expand_series); the names are German, as people read them here.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays as holiday_data

__all__ = ["between", "niedersachsen"]

COUNTRY, SUBDIVISION = "DE", "NI"


@lru_cache(maxsize=64)
def niedersachsen(year: int) -> dict[date, str]:
    """The public holidays of one year in Niedersachsen: date -> German name ("Erster Weihnachtstag")."""
    found = holiday_data.country_holidays(COUNTRY, subdiv=SUBDIVISION, years=year, language="de")
    return {day: str(name) for day, name in sorted(found.items())}


def between(first: date, last: date) -> dict[date, str]:
    """The Niedersachsen public holidays from `first` to `last` (both inclusive), in date order."""
    out: dict[date, str] = {}
    for year in range(first.year, last.year + 1):
        out.update({day: name for day, name in niedersachsen(year).items() if first <= day <= last})
    return out
