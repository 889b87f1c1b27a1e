"""Space management in the browser: the spaces of my organisations, one form to create or edit a space
(where it is, how big, how accessible, how to book it, its weekly opening hours) and its closures.

Who may: whoever manages an organisation's spaces (a membership with the manager right, see
accounts.manages) for that organisation's spaces, QM admins for all. Every view checks it; a space
someone does not manage is "not found" (404), so nothing about it leaks; the list is refused (403) to
those who manage nothing.

Everything a person types is checked here, with German messages on the form (HTTP 422), before
anything is written; the database constraints are the last guard, not the first. Every change is
kept in the audit log.
"""

from __future__ import annotations

from datetime import time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import folium
from branca.element import MacroElement
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from geoalchemy2.shape import from_shape, to_shape
from jinja2 import Template
from shapely.geometry import Point
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.exc import IntegrityError
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from geo.assets import localize_assets
from geo.maps import page_parts
from geo.validation import InvalidGeometry, point_from_lonlat
from spaces.accounts.service import managed_organisation_ids
from spaces.booking.rules import audit, can_manage
from spaces.clock import now_utc
from spaces.core.availability import BERLIN, wall_time_to_utc
from spaces.db import db
from spaces.labels import BOOKING_MODES, EQUIPMENT, KINDS, WEEKDAYS
from spaces.models import (
    SLOT_HOLDING,
    BookableBy,
    Booking,
    BookingMode,
    Closure,
    OpeningHours,
    Organisation,
    Role,
    Site,
    Space,
)

bp = Blueprint("manage", __name__)

PAGE_SIZE = 100
MAX_CAPACITY = 10_000  # as many as a booking may bring (bookings.MAX_ATTENDEES)
MAX_AREA = Decimal("100000")
MAX_COST = Decimal("100000")
MAX_ADVANCE_DAYS = 3650
FIRST_YEAR, LAST_YEAR = 2000, 2100  # closures: anything outside is a typo (and year 9999 would overflow)
TIME_FORMATS = ["%H:%M", "%H:%M:%S"]  # browsers send seconds when a time input has a step below a minute

REQUIRED = _l("Bitte ausfüllen.")


# ----------------------------------------------------------------------------- forms


def _squeeze(value):
    """One line of text: surrounding and repeated spaces removed."""
    return " ".join(value.split()) if isinstance(value, str) else value


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _no_control_characters(form, field):
    # PostgreSQL refuses NUL in text; the other control characters (but tab and newlines) are never meant.
    if isinstance(field.data, str) and any(ord(ch) < 32 and ch not in "\t\r\n" for ch in field.data):
        raise ValidationError(_l("Bitte keine Steuerzeichen verwenden."))


class LocalDecimalField(DecimalField):
    """A number as people write it here, "12,5" or "12.5"; NaN and infinity are no numbers."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("places", None)
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = valuelist[0].strip().replace(",", ".")
        if not text:
            self.data = None
            return
        try:
            value = Decimal(text)
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite():
            self.data = None
            raise ValueError(gettext("Bitte eine Zahl angeben, z. B. 12,5."))
        self.data = value


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SpaceForm(FlaskForm):
    """A space with its place, facts, booking rules and weekly opening hours (fields opens_0 .. closes_6)."""

    organisation = SelectField(_l("Träger (Organisation)"), coerce=int, validators=[InputRequired(REQUIRED)])
    address = StringField(_l("Adresse"), filters=[_squeeze],
                          validators=[DataRequired(REQUIRED), Length(max=300), _no_control_characters])
    lat = LocalDecimalField(_l("Breite (lat)"), validators=[Optional()])
    lon = LocalDecimalField(_l("Länge (lon)"), validators=[Optional()])
    name = StringField(_l("Name des Raums"), filters=[_squeeze],
                       validators=[DataRequired(REQUIRED), Length(max=200), _no_control_characters])
    description = TextAreaField(_l("Beschreibung"), filters=[_strip],
                                validators=[Optional(), Length(max=5000), _no_control_characters])
    kind = SelectField(_l("Art"), choices=list(KINDS.items()), default="room")
    capacity = IntegerField(_l("Platz für (Personen)"), validators=[
        InputRequired(REQUIRED),
        NumberRange(1, MAX_CAPACITY, _l("Bitte eine Zahl von 1 bis 10.000 (Personen).")),
    ])
    area_m2 = LocalDecimalField(_l("Fläche in m²"), validators=[Optional()])
    floor = StringField(_l("Etage"), filters=[_squeeze],
                        validators=[Optional(), Length(max=16), _no_control_characters])
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
    house_rules = TextAreaField(_l("Hausordnung"), filters=[_strip],
                                validators=[Optional(), Length(max=5000), _no_control_characters])

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
        """The fields, then what depends on several of them: the point, the period, each day's hours."""
        valid = super().validate(extra_validators)
        self.point = None
        if not (self.lat.errors or self.lon.errors):
            if self.lat.data is None or self.lon.data is None:
                self.lat.errors.append(gettext(
                    "Bitte auf die Karte klicken oder Breite und Länge eintragen (z. B. 52,3745 und 9,7386)."))
            else:
                try:
                    self.point = point_from_lonlat(float(self.lon.data), float(self.lat.data))
                except (InvalidGeometry, ValueError, OverflowError) as err:
                    self.lat.errors.append(str(err))
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


class ClosureForm(FlaskForm):
    """A period in which the space is closed, in local time; without times it spans whole days."""

    start_day = DateField(_l("Geschlossen ab (Tag)"), validators=[InputRequired(_l("Bitte einen Tag wählen."))])
    start_time = TimeField(_l("Uhrzeit"), format=TIME_FORMATS, validators=[Optional()])
    end_day = DateField(_l("bis einschließlich (Tag)"), validators=[InputRequired(_l("Bitte einen Tag wählen."))])
    end_time = TimeField(_l("Uhrzeit"), format=TIME_FORMATS, validators=[Optional()])
    reason = StringField(_l("Grund (öffentlich sichtbar)"), filters=[_squeeze],
                         validators=[Optional(), Length(max=200), _no_control_characters])

    starts = ends = None  # UTC, set by validate()

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        self.starts = self.ends = None
        for day in (self.start_day, self.end_day):
            if day.data and not FIRST_YEAR <= day.data.year <= LAST_YEAR:
                day.errors.append(gettext("Bitte ein Datum zwischen %(first)s und %(last)s.",
                                          first=FIRST_YEAR, last=LAST_YEAR))
        if self.errors:
            return False
        self.starts = wall_time_to_utc(self.start_day.data, self.start_time.data or time(0), BERLIN)
        if self.end_time.data is None:  # the whole last day
            self.ends = wall_time_to_utc(self.end_day.data + timedelta(days=1), time(0), BERLIN)
        else:
            self.ends = wall_time_to_utc(self.end_day.data, self.end_time.data, BERLIN)
        if self.ends <= self.starts:
            self.end_day.errors.append(gettext("Das Ende muss nach dem Anfang liegen."))
            return False
        return valid


# ----------------------------------------------------------------------------- the map to pick a place


class PickLocation(MacroElement):
    """Hands the Leaflet map to static/js/pick-location.js, which writes a clicked point into the form."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        RaumfinderPick.attach({{ this._parent.get_name() }}, {{ this.options|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, options: dict):
        super().__init__()
        self._name = "PickLocation"
        self.options = options


def pick_map(lat: float | None, lon: float | None) -> dict:
    """A small map around the chosen point (or the city) whose clicks fill the lat/lon inputs."""
    cfg = current_app.config
    chosen = lat is not None and lon is not None
    m = folium.Map(location=(lat, lon) if chosen else cfg["MAP_CENTER"], zoom_start=16 if chosen else cfg["MAP_ZOOM"],
                   tiles=None, control_scale=True)
    if cfg["TILE_URL"]:
        folium.TileLayer(tiles=cfg["TILE_URL"], attr=cfg["TILE_ATTRIBUTION"], name=gettext("Karte"),
                         max_zoom=19).add_to(m)
    PickLocation({"lat": "lat", "lon": "lon", "title": gettext("Gewählter Ort")}).add_to(m)
    return page_parts(localize_assets(m, url_for("static", filename="")))


def _form_point(form: SpaceForm) -> tuple[float | None, float | None]:
    """The form's point if it is a usable one, to centre the map on."""
    try:
        point = point_from_lonlat(float(form.lon.data), float(form.lat.data))
    except (InvalidGeometry, TypeError, ValueError, OverflowError):
        return None, None
    return point.y, point.x


# ----------------------------------------------------------------------------- who may


def _managed_ids() -> list[int] | None:
    """The organisations whose spaces I manage; None for QM admins (all of them)."""
    if current_user.role == Role.QM_ADMIN:
        return None
    return managed_organisation_ids(db.session, current_user)


def _require_manager() -> list[int] | None:
    """403 unless I manage some organisation's spaces; returns what _managed_ids() does."""
    ids = _managed_ids()
    if ids is not None and not ids:
        abort(403, description=gettext("Räume verwalten kann nur die Raumverwaltung einer Organisation."))
    return ids


def _managed_space_or_404(space_id: int) -> Space:
    space = db.session.get(Space, space_id)
    if space is None or not can_manage(db.session, current_user, space):
        abort(404, description=gettext("Diesen Raum gibt es nicht, oder Sie verwalten ihn nicht."))
    return space


def _my_organisations() -> list[Organisation]:
    """The organisations whose spaces I manage (QM admins: all), by name."""
    query = select(Organisation).order_by(Organisation.name, Organisation.id)
    ids = _managed_ids()
    if ids is not None:
        if not ids:
            return []
        query = query.where(Organisation.id.in_(ids))
    return list(db.session.scalars(query))


# ----------------------------------------------------------------------------- the list


@bp.get("/verwaltung/raeume")
@login_required
def spaces():
    """The spaces of the organisations I manage, with links to edit them."""
    ids = _require_manager()
    try:
        page = max(1, min(int(request.args.get("page", 1)), 10_000))
    except ValueError:
        page = 1
    query = (select(Space, Site.address, Organisation.name.label("organisation"))
             .join(Site, Space.site_id == Site.id).join(Organisation, Site.organisation_id == Organisation.id)
             .order_by(Organisation.name, Space.name, Space.id))
    if ids is not None:
        query = query.where(Site.organisation_id.in_(ids))
    rows = db.session.execute(query.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)).all()
    return render_template("manage/spaces.html", rows=rows[:PAGE_SIZE], page=page, has_next=len(rows) > PAGE_SIZE,
                           organisations=_my_organisations())


# ----------------------------------------------------------------------------- create and edit


def _hours_text(rows) -> list[str]:
    return [f"{d} {o:%H:%M}-{c:%H:%M}" for d, o, c in sorted(rows)]


def _snapshot(space: Space) -> dict:
    """What the audit log compares: every field of the form, as JSON values."""
    point = to_shape(space.location)
    return {
        "organisation_id": space.site.organisation_id,
        "address": space.site.address,
        "location": [round(point.x, 6), round(point.y, 6)],
        "name": space.name,
        "description": space.description or "",
        "kind": space.kind,
        "capacity": space.capacity,
        "area_m2": None if space.area_m2 is None else str(space.area_m2),
        "floor": space.floor,
        "step_free": bool(space.step_free),
        "accessible_wc": bool(space.accessible_wc),
        "lift": bool(space.lift),
        "hearing_loop": bool(space.hearing_loop),
        "equipment": sorted(space.equipment or []),
        "booking_mode": space.booking_mode,
        "cost_eur": None if space.cost_eur is None else str(space.cost_eur),
        "house_rules": space.house_rules or "",
        "available_from": space.available_from.isoformat() if space.available_from else None,
        "available_until": space.available_until.isoformat() if space.available_until else None,
        "max_days_in_advance": space.max_days_in_advance,
        "bookable_by": space.bookable_by,
        "allowed_organisations": sorted(o.id for o in space.allowed_organisations),
        "opening_hours": _hours_text((h.weekday, h.opens, h.closes) for h in space.opening_hours),
    }


def _initial(space: Space) -> dict:
    """The form's values for an existing space (one opening per weekday; see _extra_hours)."""
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


def _extra_hours(space: Space | None) -> list[OpeningHours]:
    """Openings the form cannot show (a second one on the same weekday); saving replaces them."""
    if space is None:
        return []
    seen, extra = set(), []
    for h in space.opening_hours:
        (extra.append(h) if h.weekday in seen else seen.add(h.weekday))
    return extra


def _new_form(space: Space | None, *, from_request: bool = True) -> SpaceForm:
    kwargs = {} if from_request else {"formdata": None}
    form = SpaceForm(data=_initial(space) if space is not None else None, **kwargs)
    mine = _my_organisations()
    form.organisation.choices = [(o.id, o.name) for o in mine]
    if space is None and request.method == "GET" and len(mine) == 1:
        form.organisation.data = mine[0].id
    everyone = db.session.scalars(select(Organisation).order_by(Organisation.name, Organisation.id))
    form.allowed_organisations.choices = [(o.id, o.name) for o in everyone]
    return form


def _target_site(form: SpaceForm) -> Site | None:
    """The organisation's existing site at this address (spelt the same, case aside), if any."""
    return db.session.scalars(
        select(Site).where(Site.organisation_id == form.organisation.data,
                           func.lower(Site.address) == form.address.data.lower()).order_by(Site.id)
    ).first()


def _name_taken(site: Site | None, name: str, space: Space | None) -> bool:
    if site is None:
        return False
    query = select(Space.id).where(Space.site_id == site.id, func.lower(Space.name) == name.lower())
    if space is not None:
        query = query.where(Space.id != space.id)
    return db.session.scalar(query.limit(1)) is not None


def _apply(form: SpaceForm, space: Space | None, site: Site | None) -> Space:
    """Write the checked form into the space (a new one when None); nothing here may refuse."""
    point = from_shape(form.point, srid=4326)
    if site is None:
        site = Site(organisation_id=form.organisation.data, address=form.address.data, location=point)
        db.session.add(site)
    elif all(s is space for s in site.spaces):
        site.location = point  # the site is this space's alone: keep the address's point in step
    if space is None:
        space = Space()
        db.session.add(space)
    else:
        # Replace the weekly hours: delete the old rows first, or a new row for the same weekday and
        # opening time would meet the old one in the unique constraint.
        space.opening_hours = []
        db.session.flush()
    space.site = site
    space.location = point
    for name in ("name", "kind", "capacity", "step_free", "accessible_wc", "lift", "hearing_loop", "booking_mode",
                 "available_from", "available_until", "max_days_in_advance", "bookable_by"):
        setattr(space, name, getattr(form, name).data)
    space.description = form.description.data or ""
    space.house_rules = form.house_rules.data or ""
    space.floor = form.floor.data or None
    space.area_m2 = None if form.area_m2.data is None else form.area_m2.data.quantize(Decimal("0.1"), ROUND_HALF_UP)
    space.cost_eur = None if form.cost_eur.data is None else form.cost_eur.data.quantize(Decimal("0.01"), ROUND_HALF_UP)
    space.equipment = [code for code in EQUIPMENT if code in (form.equipment.data or [])]
    wanted = set(form.allowed_organisations.data or [])
    space.allowed_organisations = list(
        db.session.scalars(select(Organisation).where(Organisation.id.in_(wanted)))) if wanted else []
    space.opening_hours = [OpeningHours(weekday=d, opens=o, closes=c) for d, o, c in form.opening_hours()]
    return space


def _space_form(space: Space | None):
    form = _new_form(space)
    status = 200
    if request.method == "POST":
        status = 422
        if not form.organisation.choices:
            form.organisation.errors = [
                gettext("Sie gehören zu keiner Organisation, für die Sie Räume anlegen können.")]
        elif form.validate():
            site = _target_site(form)
            if _name_taken(site, form.name.data, space):
                form.name.errors.append(gettext("An dieser Adresse gibt es schon einen Raum mit diesem Namen."))
            else:
                before = _snapshot(space) if space is not None else {}
                try:
                    saved = _apply(form, space, site)
                    db.session.flush()
                    db.session.refresh(saved)
                    after = _snapshot(saved)
                    changed = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
                    audit(db.session, current_user, "space.updated" if space is not None else "space.created",
                          saved, changed=changed)
                    db.session.commit()
                except IntegrityError:
                    db.session.rollback()
                    form.form_errors.append(gettext(
                        "Die Angaben passen nicht zu den gespeicherten Daten (vielleicht hat jemand gleichzeitig "
                        "geändert). Es wurde nichts gespeichert; bitte prüfen und noch einmal speichern."))
                else:
                    flash(gettext("Gespeichert.") if space is not None else gettext("Der Raum ist angelegt."))
                    return redirect(url_for("manage.edit_space", space_id=saved.id))
    return _render(form, space, status=status)


def local_when(moment, *, end: bool = False) -> str:
    """An instant in Berlin time, e.g. "Mittwoch, 24.12.2026 18:00"; an end at midnight as 24:00 of the day before."""
    local = moment.astimezone(BERLIN)
    if end and (local.hour, local.minute, local.second) == (0, 0, 0):
        day = local.date() - timedelta(days=1)
        return f"{WEEKDAYS[day.weekday()]}, {day:%d.%m.%Y} 24:00"
    return f"{WEEKDAYS[local.weekday()]}, {local:%d.%m.%Y %H:%M}"


def _render(form: SpaceForm, space: Space | None, closure_form: ClosureForm | None = None, status: int = 200):
    lat, lon = _form_point(form)
    closures = []
    if space is not None:
        closures = db.session.scalars(
            select(Closure).where(Closure.space_id == space.id, func.upper(Closure.during) > now_utc())
            .order_by(Closure.during)).all()
    return render_template(
        "manage/space_form.html",
        form=form,
        space=space,
        map=pick_map(lat, lon),
        extra_hours=_extra_hours(space),
        closures=closures,
        closure_form=closure_form or ClosureForm(prefix="closure", formdata=None),
        weekdays=WEEKDAYS,
        local_when=local_when,
    ), status


@bp.route("/verwaltung/raeume/neu", methods=["GET", "POST"])
@login_required
def new_space():
    """Create a space (and its site, if the organisation has none at that address)."""
    _require_manager()
    return _space_form(None)


@bp.route("/verwaltung/raeume/<int:space_id>/bearbeiten", methods=["GET", "POST"])
@login_required
def edit_space(space_id: int):
    """Edit a space I manage; below the form its closures."""
    space = _managed_space_or_404(space_id)
    return _space_form(space)


# ----------------------------------------------------------------------------- closures


def _closure_details(closure: Closure) -> dict:
    return {"space_id": closure.space_id, "start": closure.during.lower.isoformat(),
            "end": closure.during.upper.isoformat(), "reason": closure.reason}


@bp.post("/verwaltung/raeume/<int:space_id>/schliesszeiten")
@login_required
def add_closure(space_id: int):
    """Close a space for a while (holidays, renovation); bookings in that time are not touched, only counted."""
    space = _managed_space_or_404(space_id)
    form = ClosureForm(prefix="closure")
    if not form.validate():
        return _render(_new_form(space, from_request=False), space, closure_form=form, status=422)
    closure = Closure(space_id=space.id, during=Range(form.starts, form.ends, bounds="[)"),
                      reason=form.reason.data or "")
    db.session.add(closure)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        form.end_day.errors.append(gettext("Diese Schließzeit lässt sich nicht speichern; bitte prüfen."))
        return _render(_new_form(space, from_request=False), space, closure_form=form, status=422)
    audit(db.session, current_user, "closure.added", closure, **_closure_details(closure))
    held = db.session.scalar(
        select(func.count()).select_from(Booking).where(
            Booking.space_id == space.id, Booking.status.in_([s.value for s in SLOT_HOLDING]),
            Booking.during.op("&&")(func.tstzrange(form.starts, form.ends, "[)"))))
    db.session.commit()
    flash(gettext("Die Schließzeit ist eingetragen."))
    if held:
        flash(ngettext("Achtung: In dieser Zeit liegt %(num)s Buchung oder Anfrage. Bitte sagen Sie sie ab oder "
                       "sprechen Sie mit der Gruppe.",
                       "Achtung: In dieser Zeit liegen %(num)s Buchungen oder Anfragen. Bitte sagen Sie sie ab oder "
                       "sprechen Sie mit den Gruppen.", held))
    return redirect(url_for("manage.edit_space", space_id=space.id) + "#schliesszeiten")


@bp.post("/verwaltung/raeume/<int:space_id>/schliesszeiten/<int:closure_id>/entfernen")
@login_required
def remove_closure(space_id: int, closure_id: int):
    """Remove a closure of a space I manage."""
    space = _managed_space_or_404(space_id)
    closure = db.session.get(Closure, closure_id)
    if closure is None or closure.space_id != space.id:
        abort(404, description=gettext("Diese Schließzeit gibt es nicht."))
    audit(db.session, current_user, "closure.removed", closure, **_closure_details(closure))
    db.session.delete(closure)
    db.session.commit()
    flash(gettext("Die Schließzeit ist entfernt."))
    return redirect(url_for("manage.edit_space", space_id=space.id) + "#schliesszeiten")
