"""Weekly opening hours in OpenStreetMap's `opening_hours` syntax, read and written (the subset used by the
demo data and common for community rooms).

Read: rules separated by ";", each `24/7` or days and times: days `Mo`…`Su`, ranges (`Mo-Fr`, also across
the week's end, `Sa-Mo`) and lists (`Tu,Th`); times `HH:MM-HH:MM`, several separated by ",", `24:00` as an
end, an end before the start running past midnight. As in OSM, a later rule replaces what an earlier one said
about the same day (`Mo-Fr 09:00-21:00; Fr 10:00-12:00`). Anything else (holidays, months, `off`, comments)
is refused with a German message, never guessed.

Written: days with equal hours grouped into ranges, in week order: `Mo-Fr 09:00-21:00; Sa 10:00-18:00`.

Hours are (weekday 0 = Monday, opens, closes) as spaces.models.OpeningHours stores them: a closing time at or
before the opening time ends on the next day (00:00 = midnight; opens == closes = 24 hours).
"""

from __future__ import annotations

import re
from datetime import time

DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_TIME = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")

Hours = list[tuple[int, time, time]]


class OpeningHoursSyntaxError(ValueError):
    """A text this reader does not understand; the message says which part, in German."""


def _day(text: str, rule: str) -> int:
    if text not in DAYS:
        raise OpeningHoursSyntaxError(f"„{text}“ in „{rule}“ ist kein Wochentag (Mo, Tu, We, Th, Fr, Sa, Su).")
    return DAYS.index(text)


def _days(text: str, rule: str) -> list[int]:
    days: list[int] = []
    for part in text.split(","):
        if "-" in part:
            first, last = (_day(d, rule) for d in part.split("-", 1))
            span = (last - first) % 7
            days += [(first + i) % 7 for i in range(span + 1)]
        else:
            days.append(_day(part, rule))
    return days


def _clock(text: str, rule: str, *, end: bool) -> time:
    found = _TIME.match(text)
    if not found or (found.group(1) == "24" and (found.group(2) != "00" or not end)):
        raise OpeningHoursSyntaxError(f"„{text}“ in „{rule}“ ist keine Uhrzeit (HH:MM, als Ende auch 24:00).")
    hour = int(found.group(1))
    return time(0) if hour == 24 else time(hour, int(found.group(2)))


def _spans(text: str, rule: str) -> list[tuple[time, time]]:
    spans = []
    for part in text.split(","):
        if part.count("-") != 1:
            raise OpeningHoursSyntaxError(f"„{part}“ in „{rule}“ ist keine Zeitspanne (z. B. 09:00-21:00).")
        opens, closes = part.split("-")
        spans.append((_clock(opens, rule, end=False), _clock(closes, rule, end=True)))
    return spans


def parse(text: str) -> Hours:
    """The weekly hours an `opening_hours` text gives, by weekday and opening time."""
    by_day: dict[int, list[tuple[time, time]]] = {}
    rules = [r.strip() for r in text.split(";") if r.strip()]
    if not rules:
        raise OpeningHoursSyntaxError("Keine Öffnungszeiten angegeben.")
    for rule in rules:
        if rule == "24/7":
            by_day.update({d: [(time(0), time(0))] for d in range(7)})
            continue
        parts = rule.split()
        if len(parts) != 2:
            raise OpeningHoursSyntaxError(
                f"„{rule}“ verstehe ich nicht: erwartet Tage und Zeiten, z. B. „Mo-Fr 09:00-21:00“.")
        spans = _spans(parts[1], rule)
        for day in _days(parts[0], rule):
            by_day[day] = spans
    return sorted((day, opens, closes) for day, spans in by_day.items() for opens, closes in spans)


def _text(t: time, *, end: bool) -> str:
    return "24:00" if end and t == time(0) else f"{t:%H:%M}"


def _day_list(days: list[int]) -> str:
    """Days as OSM writes them: runs of three or more as a range (Mo-Fr), others listed (Tu,Th; Sa,Su)."""
    parts: list[str] = []
    i = 0
    while i < len(days):
        j = i
        while j + 1 < len(days) and days[j + 1] == days[j] + 1:
            j += 1
        if j - i >= 2:
            parts.append(f"{DAYS[days[i]]}-{DAYS[days[j]]}")
        else:
            parts += [DAYS[d] for d in days[i:j + 1]]
        i = j + 1
    return ",".join(parts)


def format_hours(hours: Hours) -> str:
    """The `opening_hours` text of weekly hours (days with equal hours in one rule); "" when there are none."""
    by_day: dict[int, str] = {}
    for day, opens, closes in sorted(hours):
        span = f"{_text(opens, end=False)}-{_text(closes, end=True)}"
        by_day[day] = f"{by_day[day]},{span}" if day in by_day else span
    if sorted(by_day) == list(range(7)) and set(by_day.values()) == {"00:00-24:00"}:
        return "24/7"
    groups: dict[str, list[int]] = {}
    for day in sorted(by_day):
        groups.setdefault(by_day[day], []).append(day)
    return "; ".join(f"{_day_list(days)} {spans}" for spans, days in groups.items())
