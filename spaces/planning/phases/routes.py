"""Construction phases (Bauabschnitte) in the browser: QM admins list them, upload them as GeoJSON, draw or
edit one on a map, and delete them.

Who may: QM admins only; everybody else who is logged in gets 403 on every view.

Every geometry, whether from a file, pasted GeoJSON or the drawing tool, goes through
geo.phase_upload.parse_phase_upload, so the same German messages apply everywhere (self-intersection
with its point, outside the service area, swapped coordinates, unclosed rings, NaN, ...). A refused
upload or form answers 422 and writes nothing; an upload is stored in one transaction, all phases or
none, and a phase whose name exists already is updated (its geometry and the properties the file gives).
Every change is kept in the audit log.
"""

from __future__ import annotations

import json
import re
from decimal import ROUND_HALF_UP, Decimal
from functools import wraps

import folium
from branca.element import MacroElement
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from folium.plugins import Draw
from geoalchemy2.shape import from_shape, to_shape
from jinja2 import Template
from shapely.geometry import mapping
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from geo.assets import localize_assets
from geo.maps import page_parts
from geo.phase_upload import (
    MAX_BYTES,
    MAX_COUNT,
    MAX_PERSONS_PER_HOME,
    PhaseDraft,
    PhaseUploadError,
    parse_phase_upload,
)
from spaces.booking.rules import audit
from spaces.db import db
from spaces.labels import PHASE_STATUS, label
from spaces.manage.routes import REQUIRED, LocalDecimalField, _no_control_characters, _squeeze
from spaces.models import ConstructionPhase, PhaseStatus

bp = Blueprint("phases_admin", __name__)

DEFAULT_PERSONS_PER_HOME = Decimal("2.0")
FIRST_YEAR, LAST_YEAR = 2000, 2100
CENT = Decimal("0.01")  # persons_per_home is NUMERIC(4, 2)

SAVE_FAILED = _l("Die Bauabschnitte ließen sich nicht speichern (vielleicht hat jemand gleichzeitig geändert). "
                 "Es wurde nichts gespeichert; bitte noch einmal versuchen.")


# ----------------------------------------------------------------------------- who may


def qm_admin_required(view):
    """403 unless the logged-in user is a QM admin (goes below @login_required)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_qm_admin:
            abort(403, description=gettext("Bauabschnitte verwalten kann nur die Verwaltung des Quartiersmanagements."))
        return view(*args, **kwargs)

    return wrapped


def _phase_or_404(phase_id: int) -> ConstructionPhase:
    phase = db.session.get(ConstructionPhase, phase_id)
    if phase is None:
        abort(404, description=gettext("Diesen Bauabschnitt gibt es nicht."))
    return phase


# ----------------------------------------------------------------------------- shared helpers


def residents(phase: ConstructionPhase) -> int:
    """Expected residents: as given, else homes × persons per home (rounded)."""
    if phase.expected_residents is not None:
        return phase.expected_residents
    return int((Decimal(phase.homes or 0) * Decimal(phase.persons_per_home or 0)).to_integral_value(ROUND_HALF_UP))


def _persons(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT, ROUND_HALF_UP)


def _geometry_key(phase: ConstructionPhase) -> str | None:
    return to_shape(phase.geom).wkb_hex if phase.geom is not None else None


def _snapshot(phase: ConstructionPhase | None) -> dict:
    """What the audit log compares, as JSON values (the geometry as a key that only says 'changed')."""
    if phase is None:
        return {}
    return {
        "name": phase.name,
        "quartier": phase.quartier or "",
        "status": phase.status,
        "move_in": phase.move_in.isoformat() if phase.move_in else None,
        "homes": phase.homes,
        "persons_per_home": None if phase.persons_per_home is None else str(_persons(phase.persons_per_home)),
        "expected_residents": phase.expected_residents,
        "geometry": _geometry_key(phase),
    }


def _changes(before: dict, after: dict) -> dict:
    changed = {k: [before.get(k), v] for k, v in after.items() if k != "geometry" and before.get(k) != v}
    if before.get("geometry") != after.get("geometry"):
        changed["geometry"] = True
    return changed


def _find_by_names(names: list[str]) -> dict[str, ConstructionPhase]:
    """Existing phases by casefolded name; a phase spelt exactly the same wins over one differing in case."""
    if not names:
        return {}
    rows = db.session.scalars(
        select(ConstructionPhase).where(func.lower(ConstructionPhase.name).in_([n.lower() for n in names]))
        .order_by(ConstructionPhase.id)).all()
    wanted = {n.casefold(): n for n in names}
    found: dict[str, ConstructionPhase] = {}
    for row in rows:
        key = row.name.casefold()
        if key in wanted and (key not in found or row.name == wanted[key]):
            found[key] = row
    return found


def _short_message(err: PhaseUploadError) -> str:
    """The parser's message without the 'Objekt 1 („name“): ' prefix, which means nothing in a one-phase form."""
    text = str(err)
    return re.sub(r"^Objekt 1(?: \(„[^“]*“\))?: ", "", text) or text


# ----------------------------------------------------------------------------- the list


@bp.get("/verwaltung/bauabschnitte")
@login_required
@qm_admin_required
def phases():
    """All construction phases, by move-in date."""
    rows = db.session.scalars(
        select(ConstructionPhase).order_by(ConstructionPhase.move_in.nulls_last(), ConstructionPhase.name)).all()
    return render_template("phases/list.html", phases=rows, residents=residents, label=label,
                           PHASE_STATUS=PHASE_STATUS)


# ----------------------------------------------------------------------------- upload


class UploadForm(FlaskForm):
    file = FileField(_l("GeoJSON-Datei"))
    geojson = TextAreaField(_l("… oder GeoJSON hier einfügen"))


def _upload_raw(form: UploadForm) -> bytes | str | None:
    """The uploaded file's bytes (at most one byte more than allowed, so "too large" is still seen), else the
    pasted text, else None (the parser then says that nothing was uploaded)."""
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        return upload.stream.read(MAX_BYTES + 1)
    text = form.geojson.data or ""
    return text if text.strip() else None


def _quartiers(raw: bytes | str, count: int) -> list[str | None]:
    """The optional "quartier" property of each feature (the parser does not keep it), in file order."""
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, (bytes, bytearray)) else raw
        doc = json.loads(text)
        features = doc.get("features") if doc.get("type") == "FeatureCollection" else [doc]
        found = []
        for feature in features:
            props = feature.get("properties") if isinstance(feature, dict) else None
            value = props.get("quartier") if isinstance(props, dict) else None
            found.append(" ".join(value.split())[:200] or None if isinstance(value, str) else None)
    except (ValueError, AttributeError, TypeError, RecursionError):
        found = []
    return (found + [None] * count)[:count]


def _store_drafts(drafts: list[PhaseDraft], quartiers: list[str | None]) -> tuple[int, int]:
    """Insert or update every draft in the session (not committed); (created, updated)."""
    for draft in drafts:
        if draft.persons_per_home is not None and _persons(draft.persons_per_home) <= 0:
            raise PhaseUploadError("bad_property", gettext(
                "%(name)s, Feld „persons_per_home“: bitte mindestens 0,01 angeben.", name=draft.name))
    existing = _find_by_names([d.name for d in drafts])
    created = updated = 0
    for draft, quartier in zip(drafts, quartiers):
        phase = existing.get(draft.name.casefold())
        before = _snapshot(phase)
        if phase is None:
            phase = ConstructionPhase(name=draft.name, quartier=quartier or "",
                                      status=draft.status or PhaseStatus.PLANNED, homes=draft.homes or 0,
                                      persons_per_home=DEFAULT_PERSONS_PER_HOME)
            db.session.add(phase)
            created += 1
        else:
            updated += 1
            if quartier is not None:
                phase.quartier = quartier
            if draft.status is not None:
                phase.status = draft.status
            if draft.homes is not None:
                phase.homes = draft.homes
        phase.geom = from_shape(draft.geometry, srid=4326)
        if draft.move_in is not None:
            phase.move_in = draft.move_in
        if draft.persons_per_home is not None:
            phase.persons_per_home = _persons(draft.persons_per_home)
        if draft.expected_residents is not None:
            phase.expected_residents = draft.expected_residents
        db.session.flush()
        db.session.refresh(phase)
        audit(db.session, current_user, "phase.uploaded", phase, name=phase.name, created=not before,
              changed=_changes(before, _snapshot(phase)))
    return created, updated


@bp.route("/verwaltung/bauabschnitte/hochladen", methods=["GET", "POST"])
@login_required
@qm_admin_required
def upload():
    """Upload phases as GeoJSON (a file or pasted text): all are stored, or none and the reason is shown."""
    form = UploadForm()
    error = None
    if request.method == "POST":
        if not form.validate():
            error = gettext("Das Formular ist abgelaufen. Bitte die Seite neu laden und noch einmal senden.")
        else:
            raw = _upload_raw(form)
            try:
                drafts = parse_phase_upload(raw)
                created, updated = _store_drafts(drafts, _quartiers(raw, len(drafts)))
                db.session.commit()
            except PhaseUploadError as err:
                db.session.rollback()
                error = str(err)
            except IntegrityError:
                db.session.rollback()
                error = str(SAVE_FAILED)
            else:
                flash(ngettext("%(num)s Bauabschnitt gespeichert", "%(num)s Bauabschnitte gespeichert",
                               len(drafts)) + " " + gettext("(%(created)s neu, %(updated)s aktualisiert).",
                                                            created=created, updated=updated))
                return redirect(url_for("phases_admin.phases"))
        return render_template("phases/upload.html", form=form, error=error), 422
    return render_template("phases/upload.html", form=form, error=None)


# ----------------------------------------------------------------------------- the form


def _positive_persons(form, field):
    if field.data is not None and not (0 < field.data <= MAX_PERSONS_PER_HOME and _persons(field.data) > 0):
        raise ValidationError(_l("Bitte eine Zahl über 0 und höchstens 10 angeben (z. B. 2,3)."))


COUNT_RANGE = NumberRange(0, MAX_COUNT, _l("Bitte eine ganze Zahl von 0 bis 1.000.000 angeben."))


class PhaseForm(FlaskForm):
    name = StringField(_l("Name des Bauabschnitts"), filters=[_squeeze],
                       validators=[DataRequired(REQUIRED), Length(max=200), _no_control_characters])
    quartier = StringField(_l("Quartier"), filters=[_squeeze],
                           validators=[Optional(), Length(max=200), _no_control_characters])
    status = SelectField(_l("Stand"), choices=list(PHASE_STATUS.items()), default=PhaseStatus.PLANNED.value)
    move_in = DateField(_l("Einzug ab"), validators=[Optional()])
    homes = IntegerField(_l("Wohnungen"), default=0, validators=[InputRequired(REQUIRED), COUNT_RANGE])
    persons_per_home = LocalDecimalField(_l("Personen je Wohnung"), default=DEFAULT_PERSONS_PER_HOME,
                                         validators=[InputRequired(REQUIRED), _positive_persons])
    expected_residents = IntegerField(_l("Erwartete Einwohnerinnen und Einwohner"),
                                      validators=[Optional(), COUNT_RANGE])
    geometry = TextAreaField(_l("Fläche (GeoJSON)"), validators=[
        DataRequired(_l("Bitte die Fläche auf der Karte einzeichnen oder als GeoJSON eintragen."))])

    area = None  # the checked MultiPolygon, set by validate()

    def validate_move_in(self, field):
        if field.data and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
            raise ValidationError(gettext("Bitte ein Datum zwischen %(first)s und %(last)s.",
                                          first=FIRST_YEAR, last=LAST_YEAR))

    def validate_geometry(self, field):
        self.area = None
        text = field.data or ""
        try:
            doc = json.loads(text, parse_constant=_no_constant)
        except _Constant as err:
            raise ValidationError(gettext(
                "Die Fläche enthält den Wert „%(token)s“. In GeoJSON sind nur endliche Zahlen erlaubt.",
                token=str(err))) from None
        except (ValueError, RecursionError):
            raise ValidationError(gettext("Die Fläche ist kein lesbares GeoJSON.")) from None
        if isinstance(doc, dict) and doc.get("type") == "Feature":
            doc = doc.get("geometry")  # a pasted Feature: its geometry
        feature = {"type": "Feature", "properties": {"name": self.name.data or gettext("Bauabschnitt")},
                   "geometry": doc}
        try:
            drafts = parse_phase_upload(json.dumps(feature, ensure_ascii=False))
        except PhaseUploadError as err:
            raise ValidationError(_short_message(err)) from None
        self.area = drafts[0].geometry

    def computed_residents(self) -> int | None:
        """homes × persons per home, when both are usable numbers (the hint next to expected residents)."""
        homes, persons = self.homes.data, self.persons_per_home.data
        if not isinstance(homes, int) or not isinstance(persons, Decimal) or not persons.is_finite():
            return None
        return int((Decimal(homes) * persons).to_integral_value(ROUND_HALF_UP))


class _Constant(ValueError):
    pass


def _no_constant(token: str):
    raise _Constant(token)


def _initial(phase: ConstructionPhase) -> dict:
    shape = to_shape(phase.geom)
    if len(shape.geoms) == 1:
        shape = shape.geoms[0]  # one polygon: what the drawing tool edits
    return {
        "name": phase.name,
        "quartier": phase.quartier,
        "status": phase.status,
        "move_in": phase.move_in,
        "homes": phase.homes,
        "persons_per_home": phase.persons_per_home,
        "expected_residents": phase.expected_residents,
        "geometry": json.dumps(mapping(shape)),
    }


def _name_taken(name: str, phase: ConstructionPhase | None) -> bool:
    query = select(ConstructionPhase.id).where(func.lower(ConstructionPhase.name) == name.lower())
    if phase is not None:
        query = query.where(ConstructionPhase.id != phase.id)
    return db.session.scalar(query.limit(1)) is not None


class DrawPhase(MacroElement):
    """Hands the map and the Draw plugin's layer group to static/js/draw-phase.js."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        RaumfinderDrawPhase.attach({{ this._parent.get_name() }}, {{ this.group.get_name() }},
                                   {{ this.options|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, group, options: dict):
        super().__init__()
        self._name = "DrawPhase"
        self.group = group
        self.options = options


def draw_map() -> dict:
    """A map of the city with a polygon-only drawing tool whose result goes into the textarea `geometry`."""
    cfg = current_app.config
    m = folium.Map(location=cfg["MAP_CENTER"], zoom_start=cfg["MAP_ZOOM"], tiles=None, control_scale=True)
    if cfg["TILE_URL"]:
        folium.TileLayer(tiles=cfg["TILE_URL"], attr=cfg["TILE_ATTRIBUTION"], name=gettext("Karte"),
                         max_zoom=19).add_to(m)
    group = folium.FeatureGroup(name=gettext("Bauabschnitt"), control=False).add_to(m)
    Draw(
        feature_group=group,
        show_geometry_on_click=False,
        position="topleft",
        draw_options={"polyline": False, "rectangle": False, "circle": False, "marker": False,
                      "circlemarker": False,
                      "polygon": {"allowIntersection": False, "showArea": False,
                                  "shapeOptions": {"color": "#0b5394", "weight": 3}}},
        edit_options={"edit": True, "remove": True},
    ).add_to(m)
    DrawPhase(group, {"textarea": "geometry"}).add_to(m)
    return page_parts(localize_assets(m, url_for("static", filename="")))


def draw_texts() -> dict:
    """The drawing tool's words (Leaflet.draw's L.drawLocal) in the current language."""
    return {
        "polygon": gettext("Fläche einzeichnen"),
        "start": gettext("Klicken Sie auf die Karte, um die erste Ecke zu setzen."),
        "cont": gettext("Klicken Sie für die nächste Ecke."),
        "end": gettext("Klicken Sie auf die erste Ecke, um die Fläche zu schließen."),
        "cancel": gettext("Abbrechen"),
        "finish": gettext("Fertig"),
        "undo": gettext("Letzte Ecke löschen"),
        "edit": gettext("Fläche bearbeiten"),
        "editDisabled": gettext("Noch keine Fläche zum Bearbeiten"),
        "remove": gettext("Fläche löschen"),
        "removeDisabled": gettext("Noch keine Fläche zum Löschen"),
        "save": gettext("Übernehmen"),
        "clearAll": gettext("Alles löschen"),
        "editTooltip": gettext("Ziehen Sie die Ecken, um die Fläche zu ändern."),
        "removeTooltip": gettext("Klicken Sie auf die Fläche, um sie zu löschen."),
        "intersect": gettext("Die Linien dürfen sich nicht kreuzen."),
    }


def _render(form: PhaseForm, phase: ConstructionPhase | None, status: int = 200):
    return render_template("phases/form.html", form=form, phase=phase, map=draw_map(), draw_texts=draw_texts(),
                           computed=form.computed_residents()), status


def _apply(form: PhaseForm, phase: ConstructionPhase | None) -> ConstructionPhase:
    if phase is None:
        phase = ConstructionPhase()
        db.session.add(phase)
    phase.name = form.name.data
    phase.quartier = form.quartier.data or ""
    phase.status = form.status.data
    phase.move_in = form.move_in.data
    phase.homes = form.homes.data
    phase.persons_per_home = _persons(form.persons_per_home.data)
    phase.expected_residents = form.expected_residents.data
    phase.geom = from_shape(form.area, srid=4326)
    return phase


def _phase_form(phase: ConstructionPhase | None):
    form = PhaseForm(data=_initial(phase) if phase is not None else None)
    if request.method != "POST":
        return _render(form, phase)
    if form.validate():
        if _name_taken(form.name.data, phase):
            form.name.errors.append(gettext("Es gibt schon einen Bauabschnitt mit diesem Namen."))
        else:
            before = _snapshot(phase)
            try:
                saved = _apply(form, phase)
                db.session.flush()
                db.session.refresh(saved)
                audit(db.session, current_user, "phase.updated" if phase is not None else "phase.created", saved,
                      name=saved.name, changed=_changes(before, _snapshot(saved)))
                db.session.commit()
            except IntegrityError:
                db.session.rollback()
                form.form_errors.append(str(SAVE_FAILED))
                phase = db.session.get(ConstructionPhase, phase.id) if phase is not None else None
            else:
                flash(gettext("Gespeichert.") if phase is not None else gettext("Der Bauabschnitt ist angelegt."))
                return redirect(url_for("phases_admin.phases"))
    return _render(form, phase, status=422)


@bp.route("/verwaltung/bauabschnitte/neu", methods=["GET", "POST"])
@login_required
@qm_admin_required
def new_phase():
    """Draw a new construction phase on the map and describe it."""
    return _phase_form(None)


@bp.route("/verwaltung/bauabschnitte/<int:phase_id>/bearbeiten", methods=["GET", "POST"])
@login_required
@qm_admin_required
def edit_phase(phase_id: int):
    """Change a construction phase: its area on the map, its status, homes and residents."""
    return _phase_form(_phase_or_404(phase_id))


@bp.post("/verwaltung/bauabschnitte/<int:phase_id>/loeschen")
@login_required
@qm_admin_required
def delete_phase(phase_id: int):
    """Delete a construction phase (kept in the audit log)."""
    phase = _phase_or_404(phase_id)
    details = _snapshot(phase)
    details.pop("geometry")
    details["geojson"] = json.dumps(mapping(to_shape(phase.geom)))[:100_000]
    audit(db.session, current_user, "phase.deleted", phase, **details)
    db.session.delete(phase)
    db.session.commit()
    flash(gettext("Der Bauabschnitt „%(name)s“ ist gelöscht.", name=details["name"]))
    return redirect(url_for("phases_admin.phases"))
