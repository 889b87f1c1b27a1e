"""Words for stored codes, and dates as a resident reads them: German, or English when chosen."""

from datetime import date
from functools import lru_cache

from flask import has_request_context
from flask_babel import get_locale, gettext, pgettext
from flask_babel import lazy_gettext as _l


def N_(message: str) -> str:
    """Marks a German source string for pybabel; it is translated where it is shown."""
    return message


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

# Translators: month abbreviations as in "ab Sept. 2027" (from Sept 2027).
MONTHS = (N_("Jan."), N_("Feb."), N_("März"), N_("Apr."), N_("Mai"), N_("Juni"), N_("Juli"), N_("Aug."),
          N_("Sept."), N_("Okt."), N_("Nov."), N_("Dez."))


def label(table: dict, code: str | None) -> str:
    """The word for a code in the current language, or the code itself when it has none."""
    return _translated(id(table), str(get_locale() or "de")).get(code, code or "")


_TABLES = {}


@lru_cache(maxsize=64)
def _translated(table_id: int, locale: str) -> dict:
    # Lazy strings are translated on every str(); labels are asked for per row, so translate a
    # table once per language (translations do not change while the process runs).
    return {code: str(word) for code, word in _TABLES[table_id].items()}


def kind_letters() -> dict:
    """The letter on a space's map marker, per kind (static/js/map.js); the kind's name is its tooltip."""
    return {
        "room": pgettext("Kartenbuchstabe für Raum", "R"),
        "hall": pgettext("Kartenbuchstabe für Saal", "S"),
        "kitchen": pgettext("Kartenbuchstabe für Küche", "K"),
        "workshop": pgettext("Kartenbuchstabe für Werkstatt", "W"),
        "coworking": pgettext("Kartenbuchstabe für Coworking", "C"),
        "studio": pgettext("Kartenbuchstabe für Studio", "St"),
        "outdoor": pgettext("Kartenbuchstabe für Treffpunkt im Freien", "T"),
    }


def date_words() -> tuple:
    """Month abbreviations and the 'from'/'until' patterns of this request's language (German outside one)."""
    return _date_words_in(str(get_locale() or "de") if has_request_context() else "de")


@lru_cache(maxsize=8)
def _date_words_in(locale: str) -> tuple:
    # Called per row by the API, so translate once per language. Outside a request there is no
    # language to ask for: the German source strings are the German words.
    if not has_request_context():
        return MONTHS, "ab %(date)s", "bis %(date)s"
    return (tuple(gettext(m) for m in MONTHS),
            # Translators: a planned space exists from this month on, e.g. "ab Sept. 2027".
            gettext("ab %(date)s"),
            # Translators: a temporary space exists until this month, e.g. "bis Dez. 2026".
            gettext("bis %(date)s"))


def month_year(day: date) -> str:
    """A date as month and year, e.g. 'Sept. 2027' (English: 'Sept 2027')."""
    return f"{date_words()[0][day.month - 1]} {day.year}"


def period(available_from: date | None, available_until: date | None, today: date) -> str:
    """How long a temporary or planned space exists, e.g. 'ab Sept. 2027' or 'bis Dez. 2026'; '' if always."""
    months, from_, until = date_words()
    parts = []
    if available_from and available_from > today:
        parts.append(from_ % {"date": f"{months[available_from.month - 1]} {available_from.year}"})
    if available_until:
        parts.append(until % {"date": f"{months[available_until.month - 1]} {available_until.year}"})
    return ", ".join(parts)


for _table in (KINDS, PHASE_STATUS, BOOKING_MODES, EQUIPMENT):
    _TABLES[id(_table)] = _table
