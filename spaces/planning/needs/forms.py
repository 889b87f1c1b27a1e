"""The form in which a group (or the QM on its behalf) describes a need."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TimeField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from spaces.clock import today_local
from spaces.fields import REQUIRED, Form, MultiCheckboxField
from spaces.labels import EQUIPMENT, WEEKDAYS


class NeedForm(Form):
    organisation = SelectField(_l("Für"), coerce=int, validators=[InputRequired(REQUIRED)])
    title = StringField(_l("Wofür? (z. B. Chorprobe)"), validators=[InputRequired(REQUIRED), Length(max=200)])
    group_size = IntegerField(_l("Personen"), validators=[InputRequired(REQUIRED),
                                                          NumberRange(1, 10_000, _l("Bitte 1 bis 10.000."))])
    duration = IntegerField(_l("Dauer in Minuten"), default=120, validators=[
        InputRequired(REQUIRED), NumberRange(15, 12 * 60, _l("Bitte 15 bis 720 Minuten."))])
    weekdays = MultiCheckboxField(_l("An diesen Tagen"), coerce=int, choices=[(i, d) for i, d in enumerate(WEEKDAYS)],
                             validators=[InputRequired(_l("Bitte mindestens einen Tag wählen."))])
    window_from = TimeField(_l("frühestens ab"), validators=[InputRequired(REQUIRED)])
    window_to = TimeField(_l("spätestens bis"), validators=[InputRequired(REQUIRED)])
    first_day = DateField(_l("wöchentlich vom"), validators=[InputRequired(REQUIRED)])
    last_day = DateField(_l("bis"), validators=[InputRequired(REQUIRED)])
    step_free = BooleanField(_l("stufenlos erreichbar"))
    accessible_wc = BooleanField(_l("barrierefreies WC"))
    equipment = MultiCheckboxField(_l("Ausstattung, die da sein muss"), choices=[(k, v) for k, v in EQUIPMENT.items()])
    quartier = SelectField(_l("in der Nähe von"), validators=[Optional()])
    max_walk_minutes = IntegerField(_l("höchstens Minuten zu Fuß"), default=15, validators=[
        Optional(), NumberRange(1, 120, _l("Bitte 1 bis 120 Minuten."))])
    free_only = BooleanField(_l("nur kostenlose Räume"))

    def validate(self, extra_validators=None) -> bool:
        """The fields one by one, then the time pattern as a whole (window, duration, season)."""
        fields_ok = super().validate(extra_validators)
        return self._pattern_fits() and fields_ok

    def _pattern_fits(self) -> bool:
        ok = True
        start, end, duration = self.window_from.data, self.window_to.data, self.duration.data
        if start and end and end <= start:
            self.window_to.errors.append(gettext("„spätestens bis“ muss nach „frühestens ab“ liegen."))
            ok = False
        elif start and end and duration and duration > (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute):
            self.duration.errors.append(gettext("Die Dauer passt nicht in das Zeitfenster."))
            ok = False
        first, last = self.first_day.data, self.last_day.data
        if first and last:
            if last < first:
                self.last_day.errors.append(gettext("Das Ende liegt vor dem Anfang."))
                ok = False
            elif last - first > timedelta(days=366):
                self.last_day.errors.append(gettext("Höchstens ein Jahr."))
                ok = False
            elif first < today_local():
                self.first_day.errors.append(gettext("Bitte ab heute."))
                ok = False
        return ok
