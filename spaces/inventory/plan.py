"""The import plan's checks of one row, without the database: every value read as the spaces table wants it,
or the reasons (German Phrases) why the row is refused. spaces.inventory.service matches the checked rows
against the database and writes them.

What a cell may say (README "Bestand importieren"):
- numbers with a decimal point or comma ("48,5"); capacity a whole number from 1 to 10,000;
- yes/no as ja/nein, yes/no, true/false, wahr/falsch, 1/0, x (yes) or "-" (no); for step-free access also OSM's
  `wheelchair`: yes and designated mean step-free, limited and no do not (limited is noted in the preview);
- kind, booking mode, who may book and equipment as the stored codes or their German words ("Saal", "sofort",
  "auf Anfrage", "nicht buchbar", "alle", "Mitglieder", "Beamer");
- opening hours in OSM syntax (spaces.core.osm_hours; German day abbreviations Di, Mi, Do, So accepted too),
  refused with its message when not readable.
An empty cell says nothing: an update keeps the stored value, a new space gets the default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from spaces.core.osm_hours import OpeningHoursSyntaxError, parse
from spaces.core.phrases import Phrase, phrase
from spaces.inventory.rows import RawRow
from spaces.labels import BOOKING_MODES, EQUIPMENT, KINDS

MAX_CAPACITY = 10_000  # as the space form (spaces.manage.forms)
MAX_AREA = Decimal("100000")
MAX_COST = Decimal("100000")
LENGTHS = {"external_id": 200, "name": 200, "provider": 200, "address": 300, "floor": 16, "description": 5000,
           "house_rules": 5000}
FLAGS = ("step_free", "accessible_wc", "lift", "hearing_loop")

# Field names as the preview and the reasons say them
FIELD_WORDS = {
    "external_id": "Kennung", "name": "Name", "provider": "Träger", "address": "Adresse", "lat": "Breite",
    "lon": "Länge", "kind": "Art", "capacity": "Kapazität", "area_m2": "Fläche", "floor": "Etage",
    "step_free": "stufenlos", "accessible_wc": "barrierefreies WC", "lift": "Aufzug",
    "hearing_loop": "Induktionsschleife", "equipment": "Ausstattung", "booking_mode": "Buchung",
    "bookable_by": "Wer darf buchen", "cost_eur": "Kosten", "opening_hours": "Öffnungszeiten",
    "description": "Beschreibung", "house_rules": "Hausordnung", "location": "Ort",
    "available_from": "Verfügbar ab", "available_until": "Verfügbar bis",
}
FIRST_YEAR, LAST_YEAR = 2000, 2100  # a space's period lies in the years the service plans for

# German day abbreviations in opening hours ("Di,Do 10:00-18:00") read as OSM's; Mo, Fr and Sa are the same
_DAY_NAMES = {"Di": "Tu", "Mi": "We", "Do": "Th", "So": "Su"}
_GERMAN_DAYS = re.compile(r"\b(Di|Mi|Do|So)\b")

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # control characters but tab and line breaks

YES = {"ja", "j", "yes", "y", "true", "wahr", "1", "x", "designated"}
NO = {"nein", "n", "no", "false", "falsch", "0", "-"}


def _german(word) -> str:
    """The German source text of a label (a lazy string keeps it as its argument)."""
    args = getattr(word, "_args", None)
    return args[0] if args else str(word)


def _words(table: dict, extra: dict[str, str]) -> dict[str, str]:
    words = {code.lower(): code for code in table}
    words.update({_german(label).lower(): code for code, label in table.items()})
    words.update(extra)
    return words


KIND_WORDS = _words(KINDS, {"draußen": "outdoor", "treffpunkt": "outdoor", "küche": "kitchen"})
MODE_WORDS = _words(BOOKING_MODES, {"sofort": "instant", "anfrage": "on_request", "auf anfrage": "on_request",
                                    "nicht buchbar": "not_bookable", "nein": "not_bookable"})
BOOKABLE_WORDS = {"everyone": "everyone", "alle": "everyone", "listed": "listed", "members": "listed",
                  "mitglieder": "listed", "nur mitglieder": "listed"}
EQUIPMENT_WORDS = _words(EQUIPMENT, {})


@dataclass
class Checked:
    """One row read: `values` holds what the row says (stored types), `reasons` why it is refused (if at all)."""

    ref: str
    values: dict[str, object] = field(default_factory=dict)
    hours: list[tuple[int, time, time]] | None = None  # None: the row says nothing about opening hours
    reasons: list[Phrase] = field(default_factory=list)
    notes: list[Phrase] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return bool(self.reasons)


def _text(raw: dict, name: str) -> str | None:
    value = raw.get(name)
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _number(text: str) -> Decimal | None:
    """A decimal as people write it here ("48,5", "48.5", "1.234,5" is not accepted: no thousands separators)."""
    cleaned = text.replace(" ", "").replace(",", ".")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def check_row(row: RawRow, bounds: tuple[float, float, float, float]) -> Checked:
    """Every value of `row` read and checked, with all the reasons at once; `bounds` = (west, south, east, north)."""
    raw = row.values or {}
    out = Checked(ref=row.ref)
    for name, limit in LENGTHS.items():
        value = _text(raw, name)
        if value is None:
            continue
        if _CONTROL.search(value):
            out.reasons.append(phrase("%(field)s enthält Steuerzeichen.", field=FIELD_WORDS[name]))
            continue
        if name not in ("description", "house_rules"):
            value = " ".join(value.split())
        if len(value) > limit:
            out.reasons.append(phrase("%(field)s ist länger als %(max)s Zeichen.", field=FIELD_WORDS[name],
                                      max=limit))
            continue
        out.values[name] = value
    if "name" not in out.values and not any(r.values.get("field") == "Name" for r in out.reasons):
        out.reasons.append(phrase("Der Name fehlt."))
    _check_point(raw, bounds, out)
    _check_choices(raw, out)
    _check_numbers(raw, out)
    _check_flags(raw, out)
    _check_period(raw, out)
    hours = _text(raw, "opening_hours")
    if hours is not None:
        try:
            out.hours = list(_hours(hours))
        except OpeningHoursSyntaxError as err:
            out.reasons.append(phrase("Öffnungszeiten: %(message)s", message=str(err)))
    return out


def _check_point(raw: dict, bounds, out: Checked) -> None:
    lat_text, lon_text = _text(raw, "lat"), _text(raw, "lon")
    if lat_text is None or lon_text is None:
        out.reasons.append(phrase("Keine Koordinaten – Adressen werden nicht geocodiert."))
        return
    lat, lon = _number(lat_text), _number(lon_text)
    if lat is None:
        out.reasons.append(phrase("Breite „%(value)s“ ist keine Zahl.", value=lat_text))
    if lon is None:
        out.reasons.append(phrase("Länge „%(value)s“ ist keine Zahl.", value=lon_text))
    if lat is None or lon is None:
        return
    west, south, east, north = bounds
    if not (west <= float(lon) <= east and south <= float(lat) <= north):
        out.reasons.append(phrase(
            "Der Ort %(lat)s, %(lon)s liegt außerhalb der Stadt (Länge %(west)s bis %(east)s, Breite %(south)s "
            "bis %(north)s).", lat=lat_text, lon=lon_text, west=_comma(west), east=_comma(east), south=_comma(south),
            north=_comma(north)))
        return
    out.values["lat"] = round(float(lat), 7)
    out.values["lon"] = round(float(lon), 7)


@lru_cache(maxsize=4096)
def _hours(text: str) -> tuple:
    """The weekly hours of an opening_hours text (a list repeats a few texts many times: read each once)."""
    return tuple(parse(_GERMAN_DAYS.sub(lambda m: _DAY_NAMES[m.group(0)], text)))


def _comma(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


def _check_choices(raw: dict, out: Checked) -> None:
    for name, words, message, known in (
        ("kind", KIND_WORDS, "Art „%(value)s“ kenne ich nicht (%(known)s).", ", ".join(KINDS)),
        ("booking_mode", MODE_WORDS, "Buchung „%(value)s“ kenne ich nicht (sofort, auf Anfrage, nicht buchbar).",
         ""),
        ("bookable_by", BOOKABLE_WORDS, "„Wer darf buchen“ „%(value)s“ kenne ich nicht (alle, Mitglieder).", ""),
    ):
        text = _text(raw, name)
        if text is None:
            continue
        code = words.get(" ".join(text.lower().split()))
        if code is None:
            out.reasons.append(phrase(message, value=text, known=known) if known else phrase(message, value=text))
        else:
            out.values[name] = code
    text = _text(raw, "equipment")
    if text is not None:
        codes, unknown = [], []
        for part in text.replace(";", ",").split(","):
            part = " ".join(part.split()).lower()
            if part:
                code = EQUIPMENT_WORDS.get(part)
                (codes if code else unknown).append(code or part)
        if unknown:
            out.reasons.append(phrase("Ausstattung „%(value)s“ kenne ich nicht (%(known)s).",
                                      value=", ".join(unknown), known=", ".join(EQUIPMENT)))
        else:
            out.values["equipment"] = [code for code in EQUIPMENT if code in codes]


def _check_numbers(raw: dict, out: Checked) -> None:
    text = _text(raw, "capacity")
    if text is not None:
        number = _number(text)
        if number is None:
            out.reasons.append(phrase("Kapazität „%(value)s“ ist keine Zahl.", value=text))
        elif number != number.to_integral_value():
            out.reasons.append(phrase("Kapazität „%(value)s“ ist keine ganze Zahl.", value=text))
        elif not 1 <= number <= MAX_CAPACITY:
            out.reasons.append(phrase("Kapazität %(value)s: bitte 1 bis 10.000 Personen.", value=text))
        else:
            out.values["capacity"] = int(number)
    text = _text(raw, "area_m2")
    if text is not None:
        number = _number(text.removesuffix("m²").removesuffix("qm").strip())
        if number is None:
            out.reasons.append(phrase("Fläche „%(value)s“ ist keine Zahl.", value=text))
        elif not 0 < number <= MAX_AREA or number.quantize(Decimal("0.1"), ROUND_HALF_UP) <= 0:
            out.reasons.append(phrase("Fläche %(value)s: bitte über 0 und bis 100.000 m².", value=text))
        else:
            out.values["area_m2"] = number.quantize(Decimal("0.1"), ROUND_HALF_UP)
    text = _text(raw, "cost_eur")
    if text is not None:
        cleaned = text.lower().removesuffix("€").removesuffix("eur").strip()
        number = Decimal(0) if cleaned in ("kostenlos", "frei", "gratis", "free") else _number(cleaned)
        if number is None:
            out.reasons.append(phrase("Kosten „%(value)s“ sind keine Zahl.", value=text))
        elif not 0 <= number <= MAX_COST:
            out.reasons.append(phrase("Kosten %(value)s: bitte 0 (kostenlos) bis 100.000 Euro.", value=text))
        else:
            out.values["cost_eur"] = number.quantize(Decimal("0.01"), ROUND_HALF_UP)


def _day(text: str) -> date | None:
    """A date as written in a file: ISO (2027-09-01) or German (01.09.2027)."""
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    return None


def _check_period(raw: dict, out: Checked) -> None:
    for name in ("available_from", "available_until"):
        text = _text(raw, name)
        if text is None:
            continue
        day = _day(text)
        if day is None or not FIRST_YEAR <= day.year <= LAST_YEAR:
            out.reasons.append(phrase("%(field)s „%(value)s“ ist kein Datum (JJJJ-MM-TT oder TT.MM.JJJJ, "
                                      "Jahre 2000 bis 2100).", field=FIELD_WORDS[name], value=text))
        else:
            out.values[name] = day
    first, last = out.values.get("available_from"), out.values.get("available_until")
    if first is not None and last is not None and first > last:
        out.reasons.append(phrase("Verfügbar ab %(first)s liegt nach verfügbar bis %(last)s.", first=first.isoformat(),
                                  last=last.isoformat()))


def _check_flags(raw: dict, out: Checked) -> None:
    for name in FLAGS:
        text = _text(raw, name)
        if text is None:
            continue
        word = text.lower()
        if name == "step_free" and word == "limited":
            out.values[name] = False
            out.notes.append(phrase("Rollstuhlgerecht „limited“ (eingeschränkt): nicht als stufenlos eingetragen."))
        elif word in YES:
            out.values[name] = True
        elif word in NO:
            out.values[name] = False
        else:
            out.reasons.append(phrase("%(field)s „%(value)s“: bitte ja oder nein.", field=FIELD_WORDS[name],
                                      value=text))


def point_address(lat: float, lon: float) -> str:
    """The address of a row without one: its coordinates, so each point is a site of its own."""
    return f"{lat:.6f}, {lon:.6f}"
