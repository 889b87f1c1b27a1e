"""German words for stored codes, and dates as a resident reads them."""

from datetime import date

from functools import lru_cache

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

KINDS = {
    "room": _l("Raum"),
    "hall": _l("Saal"),
    "kitchen": _l("Küche"),
    "workshop": _l("Werkstatt"),
    "coworking": _l("Coworking"),
    "studio": _l("Studio"),
    "outdoor": _l("Treffpunkt im Freien"),
}

PHASE_STATUS = {
    "planned": _l("geplant"),
    "building": _l("im Bau"),
    "occupied": _l("bewohnt"),
}

BOOKING_MODES = {
    "instant": _l("sofort buchbar"),
    "on_request": _l("auf Anfrage"),
    "not_bookable": _l("nicht buchbar"),
}

EQUIPMENT = {
    "kitchen": _l("Küche"),
    "projector": _l("Beamer"),
    "screen": _l("Bildschirm"),
    "chairs": _l("Stühle"),
    "tables": _l("Tische"),
    "wifi": _l("WLAN"),
    "stage": _l("Bühne"),
    "sound": _l("Tonanlage"),
    "mats": _l("Matten"),
    "desks": _l("Schreibtische"),
    "tools": _l("Werkzeug"),
    "camera": _l("Kamera"),
    "lights": _l("Licht"),
    "benches": _l("Bänke"),
}

WEEKDAYS = (_l("Montag"), _l("Dienstag"), _l("Mittwoch"), _l("Donnerstag"), _l("Freitag"), _l("Samstag"),
            _l("Sonntag"))

MONTHS = ("Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.", "Dez.")


def label(table: dict, code: str | None) -> str:
    """The word for a code in the current language, or the code itself when it has none."""
    return _translated(id(table), str(get_locale() or "de")).get(code, code or "")


_TABLES = {}


@lru_cache(maxsize=64)
def _translated(table_id: int, locale: str) -> dict:
    # Lazy strings are translated on every str(); labels are asked for per row, so translate a
    # table once per language (translations do not change while the process runs).
    return {code: str(word) for code, word in _TABLES[table_id].items()}


def month_year(day: date) -> str:
    """A date as month and year, e.g. 'Sept. 2027'."""
    return f"{MONTHS[day.month - 1]} {day.year}"


def period(available_from: date | None, available_until: date | None, today: date) -> str:
    """How long a temporary or planned space exists, e.g. 'ab Sept. 2027' or 'bis Dez. 2026'; '' if always."""
    parts = []
    if available_from and available_from > today:
        parts.append(f"ab {month_year(available_from)}")
    if available_until:
        parts.append(f"bis {month_year(available_until)}")
    return ", ".join(parts)


for _table in (KINDS, PHASE_STATUS, BOOKING_MODES, EQUIPMENT):
    _TABLES[id(_table)] = _table
