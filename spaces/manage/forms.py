"""The forms of the space managers' pages: a space with its weekly opening hours, and a closure."""

from __future__ import annotations

from datetime import time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask import request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from geoalchemy2.shape import to_shape
from shapely.geometry import Point
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from geo.validation import InvalidGeometry, point_from_lonlat
from spaces.core.availability import BERLIN, wall_time_to_utc
from spaces.fields import (
    REQUIRED,
    Form,
    LocalDecimalField,
    MultiCheckboxField,
    no_control_characters,
    plausible_date,
    squeeze,
    strip,
)
from spaces.labels import BOOKING_MODES, EQUIPMENT, KINDS, WEEKDAYS
from spaces.models import BookableBy, BookingMode, OpeningHours, Organisation, Space

MAX_CAPACITY = 10_000  # as many as a booking may bring (bookings.MAX_ATTENDEES)
MAX_AREA = Decimal("100000")
MAX_COST = Decimal("100000")
MAX_ADVANCE_DAYS = 3650
TIME_FORMATS = ["%H:%M", "%H:%M:%S"]  # browsers send seconds when a time input has a step below a minute


class SpaceForm(Form):
    """A space with its place, facts, booking rules and weekly opening hours (fields opens_0 .. closes_6)."""

    organisation = SelectField(_l("Träger (Organisation)"), coerce=int, validators=[InputRequired(REQUIRED)])
    address = StringField(_l("Adresse"), filters=[squeeze],
                          validators=[DataRequired(REQUIRED), Length(max=300), no_control_characters])
    lat = LocalDecimalField(_l("Breite (lat)"), validators=[Optional()])
    lon = LocalDecimalField(_l("Länge (lon)"), validators=[Optional()])
    name = StringField(_l("Name des Raums"), filters=[squeeze],
                       validators=[DataRequired(REQUIRED), Length(max=200), no_control_characters])
    description = TextAreaField(_l("Beschreibung"), filters=[strip],
                                validators=[Optional(), Length(max=5000), no_control_characters])
    kind = SelectField(_l("Art"), choices=list(KINDS.items()), default="room")
    capacity = IntegerField(_l("Platz für (Personen)"), validators=[
        InputRequired(REQUIRED),
        NumberRange(1, MAX_CAPACITY, _l("Bitte eine Zahl von 1 bis 10.000 (Personen).")),
    ])
    area_m2 = LocalDecimalField(_l("Fläche in m²"), validators=[Optional()])
    floor = StringField(_l("Etage"), filters=[squeeze],
                        validators=[Optional(), Length(max=16), no_control_characters])
    step_free = BooleanField(_l("stufenlos erreichbar"))
    accessible_wc = BooleanField(_l("barrierefreies WC"))
    lift = BooleanField(_l("Aufzug"))
    hearing_loop = BooleanField(_l("Induktionsschleife"))
    equipment = MultiCheckboxField(_l("Ausstattung"), choices=list(EQUIPMENT.items()))
    booking_mode = SelectField(_l("Buchung"), choices=list(BOOKING_MODES.items()), default=BookingMode.ON_REQUEST)
    cost_eur = LocalDecimalField(_l("Kosten in Euro"), validators=[Optional()])
    max_days_in_advance = IntegerField(_l("Höchstens so viele Tage im Voraus buchbar"), validators=[
        Optional(), NumberRange(1, MAX_ADVANCE_DAYS, _l("Bitte eine Zahl von 1 bis 3650 (Tage)."))])
    bookable_by = RadioField(_l("Wer darf buchen?"), default=BookableBy.EVERYONE, choices=[
        (BookableBy.EVERYONE.value, _l("alle registrierten Gruppen")),
        (BookableBy.LISTED.value, _l("nur der Träger und die ausgewählten Organisationen")),
    ])
    allowed_organisations = SelectMultipleField(_l("Ausgewählte Organisationen"), coerce=int)
    available_from = DateField(_l("Verfügbar ab"), validators=[Optional()])
    available_until = DateField(_l("Verfügbar bis"), validators=[Optional()])
    house_rules = TextAreaField(_l("Hausordnung"), filters=[strip],
                                validators=[Optional(), Length(max=5000), no_control_characters])

    point: Point | None = None  # set by validate()

    def hours(self, weekday: int):
        return self[f"opens_{weekday}"], self[f"closes_{weekday}"]

    def validate_area_m2(self, field):
        if field.data is not None:
            if not 0 < field.data <= MAX_AREA:
                raise ValidationError(_l("Bitte eine Fläche über 0 und bis 100.000 m² angeben."))
            if field.data.quantize(Decimal("0.1"), ROUND_HALF_UP) <= 0:
                raise ValidationError(_l("Bitte mindestens 0,1 m² angeben."))

    def validate_cost_eur(self, field):
        if field.data is not None and not 0 <= field.data <= MAX_COST:
            raise ValidationError(_l("Bitte 0 (kostenlos) bis 100.000 Euro angeben, oder leer lassen (auf Nachfrage)."))

    def validate(self, extra_validators=None) -> bool:
        """The fields, then what depends on several of them: the point, the period, each day's hours.

        Without an organisation to choose (I manage none) nothing else is checked."""
        self.point = None
        if not self.organisation.choices:
            self.organisation.errors = [
                gettext("Sie gehören zu keiner Organisation, für die Sie Räume anlegen können.")]
            return False
        valid = super().validate(extra_validators)
        self._check_point()
        start, end = self.available_from.data, self.available_until.data
        if start and end and end < start and not self.available_until.errors:
            self.available_until.errors.append(gettext("„Verfügbar bis“ darf nicht vor „Verfügbar ab“ liegen."))
        for weekday in range(7):
            opens, closes = self.hours(weekday)
            if opens.errors or closes.errors:
                continue
            if (opens.data is None) != (closes.data is None):
                missing = opens if opens.data is None else closes
                missing.errors.append(gettext(
                    "%(day)s: bitte „von“ und „bis“ angeben – oder beide leer lassen (geschlossen).",
                    day=WEEKDAYS[weekday]))
        return valid and not self.errors

    def _check_point(self) -> None:
        if self.lat.errors or self.lon.errors:
            return
        if self.lat.data is None or self.lon.data is None:
            self.lat.errors.append(gettext(
                "Bitte auf die Karte klicken oder Breite und Länge eintragen (z. B. 52,3745 und 9,7386)."))
            return
        try:
            self.point = point_from_lonlat(float(self.lon.data), float(self.lat.data))
        except (InvalidGeometry, ValueError, OverflowError) as err:
            self.lat.errors.append(str(err))

    def shown_point(self) -> tuple[float | None, float | None]:
        """(lat, lon) of the form's point if it is a usable one, to centre the map on; else (None, None)."""
        try:
            point = point_from_lonlat(float(self.lon.data), float(self.lat.data))
        except (InvalidGeometry, TypeError, ValueError, OverflowError):
            return None, None
        return point.y, point.x

    def opening_hours(self) -> list[tuple[int, time, time]]:
        """(weekday, opens, closes) of the days that are open, to the minute."""
        rows = []
        for weekday in range(7):
            opens, closes = self.hours(weekday)
            if opens.data is not None and closes.data is not None:
                rows.append((weekday, opens.data.replace(second=0, microsecond=0),
                             closes.data.replace(second=0, microsecond=0)))
        return rows


for _day in range(7):
    setattr(SpaceForm, f"opens_{_day}", TimeField(_l("von"), format=TIME_FORMATS, validators=[Optional()]))
    setattr(SpaceForm, f"closes_{_day}", TimeField(_l("bis"), format=TIME_FORMATS, validators=[Optional()]))


def space_form(space: Space | None, mine: list[Organisation], everyone: list[Organisation], *,
               from_request: bool = True) -> SpaceForm:
    """The form for a space (a new one when None): `mine` to choose the provider from, `everyone` to allow."""
    kwargs = {} if from_request else {"formdata": None}
    form = SpaceForm(data=_initial(space) if space is not None else None, **kwargs)
    form.organisation.choices = [(o.id, o.name) for o in mine]
    if space is None and request.method == "GET" and len(mine) == 1:
        form.organisation.data = mine[0].id
    form.allowed_organisations.choices = [(o.id, o.name) for o in everyone]
    return form


def _initial(space: Space) -> dict:
    """The form's values for an existing space (one opening per weekday; see extra_hours)."""
    point = to_shape(space.location)
    data = {
        "organisation": space.site.organisation_id,
        "address": space.site.address,
        "lat": Decimal(f"{point.y:.6f}"),
        "lon": Decimal(f"{point.x:.6f}"),
        "allowed_organisations": [o.id for o in space.allowed_organisations],
        "equipment": list(space.equipment or []),
    }
    for name in ("name", "description", "kind", "capacity", "area_m2", "floor", "step_free", "accessible_wc", "lift",
                 "hearing_loop", "booking_mode", "cost_eur", "house_rules", "available_from", "available_until",
                 "max_days_in_advance", "bookable_by"):
        data[name] = getattr(space, name)
    for h in space.opening_hours:
        data.setdefault(f"opens_{h.weekday}", h.opens)
        data.setdefault(f"closes_{h.weekday}", h.closes)
    return data


def extra_hours(space: Space | None) -> list[OpeningHours]:
    """Openings the form cannot show (a second one on the same weekday); saving replaces them."""
    if space is None:
        return []
    seen, extra = set(), []
    for h in space.opening_hours:
        (extra.append(h) if h.weekday in seen else seen.add(h.weekday))
    return extra


class ClosureForm(Form):
    """A period in which the space is closed, in local time; without times it spans whole days."""

    start_day = DateField(_l("Geschlossen ab (Tag)"),
                          validators=[InputRequired(_l("Bitte einen Tag wählen.")), plausible_date])
    start_time = TimeField(_l("Uhrzeit"), format=TIME_FORMATS, validators=[Optional()])
    end_day = DateField(_l("bis einschließlich (Tag)"),
                        validators=[InputRequired(_l("Bitte einen Tag wählen.")), plausible_date])
    end_time = TimeField(_l("Uhrzeit"), format=TIME_FORMATS, validators=[Optional()])
    reason = StringField(_l("Grund (öffentlich sichtbar)"), filters=[squeeze],
                         validators=[Optional(), Length(max=200), no_control_characters])

    starts = ends = None  # UTC, set by validate()

    def validate(self, extra_validators=None) -> bool:
        """The fields, then the period in UTC (a missing end time: the whole last day), which must not be empty."""
        self.starts = self.ends = None
        if not super().validate(extra_validators):
            return False
        self.starts = wall_time_to_utc(self.start_day.data, self.start_time.data or time(0), BERLIN)
        if self.end_time.data is None:
            self.ends = wall_time_to_utc(self.end_day.data + timedelta(days=1), time(0), BERLIN)
        else:
            self.ends = wall_time_to_utc(self.end_day.data, self.end_time.data, BERLIN)
        if self.ends <= self.starts:
            self.end_day.errors.append(gettext("Das Ende muss nach dem Anfang liegen."))
            return False
        return True


class RightForm(Form):
    """One button on the members page: give (grant=1) or take (grant=0) one right of one member."""

    right = HiddenField(validators=[AnyOf(["manager", "admin"], message=_l("Dieses Recht gibt es nicht."))])
    grant = HiddenField(validators=[AnyOf(["0", "1"], message=_l("Bitte geben oder nehmen."))])
