"""Booking forms (Flask-WTF: CSRF on every one): book a slot or a series, decide a request, cancel, the waitlist."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, StopValidation

from spaces.core.recurrence import MAX_OCCURRENCES
from spaces.fields import REQUIRED, Form


class BookingForm(Form):
    organisation = SelectField(_l("Für"), coerce=int, validators=[InputRequired(REQUIRED)])
    day = DateField(_l("Tag"), validators=[InputRequired(_l("Bitte einen Tag wählen."))])
    starts = TimeField(_l("von"), validators=[InputRequired(_l("Bitte eine Uhrzeit wählen."))])
    ends = TimeField(_l("bis"), validators=[InputRequired(_l("Bitte eine Uhrzeit wählen."))])
    ends_next_day = BooleanField(_l("endet am Folgetag (über Mitternacht)"))
    frequency = SelectField(_l("Wiederholung"), choices=[
        ("once", _l("einmalig")), ("weekly", _l("jede Woche")), ("biweekly", _l("alle zwei Wochen")),
        ("monthly", _l("jeden Monat")),
    ], default="once")
    until = DateField(_l("bis einschließlich"), validators=[Optional()])
    count = IntegerField(_l("oder Anzahl der Termine"), validators=[
        Optional(), NumberRange(1, MAX_OCCURRENCES, _l("Bitte 1 bis %(max)s Termine.", max=MAX_OCCURRENCES))])
    skip_holidays = BooleanField(_l("Feiertage in Niedersachsen auslassen"))
    attendees = IntegerField(_l("Personen"), validators=[
        InputRequired(REQUIRED), NumberRange(1, 10_000, _l("Bitte 1 bis 10.000."))])
    purpose = StringField(_l("Wofür? (Titel)"), validators=[Optional(), Length(max=300)])
    is_public = BooleanField(_l("Öffentliche Veranstaltung (Titel erscheint im Kalender des Raums)"))
    fold = RadioField(_l("Die Uhrzeit gibt es am Tag der Zeitumstellung zweimal:"), choices=[
        ("0", _l("die erste (noch Sommerzeit)")), ("1", _l("die zweite (schon Winterzeit)"))], validators=[Optional()])
    skip_conflicts = BooleanField(_l("Nicht buchbare Termine weglassen, den Rest buchen"))


class DecisionForm(Form):
    note = TextAreaField(_l("Notiz an die Gruppe"), validators=[Optional(), Length(max=500)])


class CancelForm(Form):
    rest_of_series = BooleanField(_l("auch alle späteren Termine dieser Reihe"))


class WaitlistForm(Form):
    """Take an offer from the waitlist, or pass it on / leave the line (CSRF only: the entry is in the URL)."""


def _time_when_moving(form, field):
    """A new time is needed only to move the dates; ending the series ignores the time fields."""
    empty = not field.raw_data or not field.raw_data[0]
    if form.action.data == "time" and not empty:
        return
    field.errors[:] = []
    raise StopValidation(_l("Bitte eine Uhrzeit wählen.") if form.action.data == "time" else None)


class SeriesChangeForm(Form):
    """Change a series from a date on: a new time for the later dates, or the series ends there."""

    from_day = DateField(_l("ab dem"), validators=[InputRequired(_l("Bitte einen Tag wählen."))])
    action = RadioField(_l("Was ändert sich?"), choices=[
        ("time", _l("neue Uhrzeit für diesen und alle späteren Termine")),
        ("end", _l("die Reihe endet: dieser und alle späteren Termine werden abgesagt"))], default="time")
    starts = TimeField(_l("neu von"), validators=[_time_when_moving])
    ends = TimeField(_l("neu bis"), validators=[_time_when_moving])
    ends_next_day = BooleanField(_l("endet am Folgetag (über Mitternacht)"))
