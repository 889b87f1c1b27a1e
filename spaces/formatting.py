"""Dates, times and numbers as the visitor reads them, in German or English (Flask-Babel), in Berlin time.

Registered as Jinja filters by spaces.extensions: ``{{ booking.start|date }}``, ``|time``,
``|datetime``, ``|weekday``, ``|number(1)``. Python code (mails, CSV) calls the functions.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from flask_babel import format_date, format_decimal, format_percent, format_time, get_locale, gettext

from spaces.clock import BERLIN
from spaces.phrasing import said


def _local(value):
    return value.astimezone(BERLIN) if isinstance(value, datetime) and value.tzinfo else value


def local_date(value: date | datetime | None, style: str = "medium") -> str:
    """A day: 01.12.2026 (German), 1 Dec 2026 (English); a datetime is taken in Berlin time."""
    if value is None:
        return "–"
    value = _local(value)
    return format_date(value.date() if isinstance(value, datetime) else value, style)


def local_time(value: datetime | time | None) -> str:
    """A wall-clock time to the minute, 24 hours in both languages: 18:00."""
    if value is None:
        return "–"
    return format_time(_local(value), "HH:mm") if isinstance(value, datetime) else value.strftime("%H:%M")


def local_datetime(value: datetime | None) -> str:
    """A day and a time: 01.12.2026, 18:00 (German), 1 Dec 2026, 18:00 (English), in Berlin time."""
    if value is None:
        return "–"
    return f"{local_date(value)}, {local_time(value)}"


def weekday(value: date | datetime) -> str:
    """The weekday's name: Dienstag / Tuesday."""
    return format_date(_local(value), "EEEE")


def month(value: date | datetime | None) -> str:
    """A month: Sept. 2027 (German), Sep 2027 (English)."""
    return "–" if value is None else format_date(_local(value), "MMM yyyy")


def slot(interval) -> str:
    """A booked or wanted time: 'Di 07.12.2027 18:00–20:00' in German (as in mails), 'Tue 7 Dec 2027,
    18:00–20:00' in English; a slot past midnight says so in either language."""
    from spaces.booking.rules import local_text, runs_past_midnight

    if str(get_locale()) == "de":
        return local_text(interval)
    start, end = interval.start, interval.end
    end_text = "24:00" if local_time(end) == "00:00" and not runs_past_midnight(interval) else local_time(end)
    text = f"{format_date(_local(start), 'EEE d MMM yyyy')}, {local_time(start)}–{end_text}"
    return text + (" " + gettext("(endet am Folgetag)") if runs_past_midnight(interval) else "")


def number(value: float | int | Decimal | None, digits: int = 0) -> str:
    """A number with the visitor's separators: 1.234,5 (German), 1,234.5 (English); rounded to `digits`."""
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(round(float(value), digits) if digits else round(float(value)), pattern)


def percent(value: float | None) -> str:
    """A share as a whole percentage with the visitor's spacing: 75 % (German), 75% (English)."""
    return "–" if value is None else format_percent(round(float(value), 2))


def quarter(value: date) -> str:
    """A calendar quarter by its first day: '2. Quartal 2027' (German), 'Q2 2027' (English)."""
    return gettext("%(q)s. Quartal %(y)s", q=(value.month - 1) // 3 + 1, y=value.year)


FILTERS = {"date": local_date, "time": local_time, "datetime": local_datetime, "weekday": weekday,
           "month": month, "number": number, "slot": slot, "percent": percent, "quarter": quarter,
           "first_error": lambda errors: first_error(errors), "said": lambda text: said(text)}


def first_error(errors) -> str:
    """The first message of a form field's errors, also of a field list's (lists and dicts of lists)."""
    for error in errors.values() if isinstance(errors, dict) else errors:
        if isinstance(error, list | tuple | dict):
            if found := first_error(error):
                return found
        elif error:
            return str(error)
    return ""
