"""The forms of the construction-phase admin: a phase (its area as GeoJSON, drawn or pasted) and an upload."""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from geoalchemy2.shape import to_shape
from shapely.geometry import mapping
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from geo.phase_upload import MAX_BYTES, MAX_COUNT, MAX_PERSONS_PER_HOME, PhaseUploadError, parse_phase_upload
from spaces.core.gaps import residents_when_full
from spaces.fields import REQUIRED, Form, LocalDecimalField, no_control_characters, plausible_date, squeeze
from spaces.labels import PHASE_STATUS
from spaces.models import ConstructionPhase, PhaseStatus
from spaces.planning.phases.service import DEFAULT_PERSONS_PER_HOME, stored_persons


class UploadForm(Form):
    file = FileField(_l("GeoJSON-Datei"))
    geojson = TextAreaField(_l("… oder GeoJSON hier einfügen"))

    def raw(self) -> bytes | str | None:
        """The uploaded file's bytes (at most one byte more than allowed, so "too large" is still seen), else the
        pasted text, else None (the parser then says that nothing was uploaded)."""
        upload = self.file.data
        if upload is not None and upload.filename:
            return upload.stream.read(MAX_BYTES + 1)
        text = self.geojson.data or ""
        return text if text.strip() else None


def _positive_persons(form, field):
    if field.data is not None and not (0 < field.data <= MAX_PERSONS_PER_HOME and stored_persons(field.data) > 0):
        raise ValidationError(_l("Bitte eine Zahl über 0 und höchstens 10 angeben (z. B. 2,3)."))


COUNT_RANGE = NumberRange(0, MAX_COUNT, _l("Bitte eine ganze Zahl von 0 bis 1.000.000 angeben."))


class PhaseForm(Form):
    name = StringField(_l("Name des Bauabschnitts"), filters=[squeeze],
                       validators=[DataRequired(REQUIRED), Length(max=200), no_control_characters])
    quartier = StringField(_l("Quartier"), filters=[squeeze],
                           validators=[Optional(), Length(max=200), no_control_characters])
    status = SelectField(_l("Stand"), choices=list(PHASE_STATUS.items()), default=PhaseStatus.PLANNED.value)
    move_in = DateField(_l("Einzug ab"), validators=[Optional(), plausible_date])
    homes = IntegerField(_l("Wohnungen"), default=0, validators=[InputRequired(REQUIRED), COUNT_RANGE])
    persons_per_home = LocalDecimalField(_l("Personen je Wohnung"), default=DEFAULT_PERSONS_PER_HOME,
                                         validators=[InputRequired(REQUIRED), _positive_persons])
    expected_residents = IntegerField(_l("Erwartete Einwohnerinnen und Einwohner"),
                                      validators=[Optional(), COUNT_RANGE])
    geometry = TextAreaField(_l("Fläche (GeoJSON)"), validators=[
        DataRequired(_l("Bitte die Fläche auf der Karte einzeichnen oder als GeoJSON eintragen."))])

    area = None  # the checked MultiPolygon, set by validate()

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
        # Only the area is parsed here, under a neutral name: the name field checks the name and says what is
        # wrong with it there, not under the area.
        feature = {"type": "Feature", "properties": {"name": gettext("Bauabschnitt")}, "geometry": doc}
        try:
            drafts = parse_phase_upload(json.dumps(feature, ensure_ascii=False))
        except PhaseUploadError as err:
            raise ValidationError(_short_message(err)) from None
        self.area = drafts[0].geometry

    def computed_residents(self) -> int | None:
        """Residents from homes × persons per home as they would be stored (the hint next to expected residents),
        when both are usable numbers."""
        homes, persons = self.homes.data, self.persons_per_home.data
        if not isinstance(homes, int) or homes < 0 or not isinstance(persons, Decimal) or not persons.is_finite():
            return None
        try:
            persons = stored_persons(persons)
        except InvalidOperation:
            return None  # far too large to be stored (the field says so)
        return residents_when_full(None, homes, persons) if persons > 0 else None


class _Constant(ValueError):
    pass


def _no_constant(token: str):
    raise _Constant(token)


def _short_message(err: PhaseUploadError) -> str:
    """The parser's message without the 'Objekt 1 („name“): ' prefix, which means nothing in a one-phase form."""
    text = str(err)
    return re.sub(r"^Objekt 1(?: \(„[^“]*“\))?: ", "", text) or text


def phase_form(phase: ConstructionPhase | None) -> PhaseForm:
    """The form for a phase (a new one when None), from the request when it brings data."""
    return PhaseForm(data=_initial(phase) if phase is not None else None)


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
