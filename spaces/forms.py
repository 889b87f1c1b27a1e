"""Forms (Flask-WTF: CSRF on every one); labels and messages in German."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, NumberRange, Optional

REQUIRED = "Bitte ausfüllen."


class LoginForm(FlaskForm):
    email = EmailField("E-Mail", validators=[DataRequired(REQUIRED), Length(max=254)])
    password = PasswordField("Passwort", validators=[DataRequired(REQUIRED), Length(max=200)])
    remember = BooleanField("Angemeldet bleiben")


class RegisterForm(FlaskForm):
    email = EmailField("E-Mail", validators=[DataRequired(REQUIRED), Length(max=254)])
    display_name = StringField("Ihr Name", validators=[DataRequired(REQUIRED), Length(max=200)])
    organisation = StringField("Name Ihrer Initiative (neu anlegen)", validators=[Optional(), Length(max=200)])
    password = PasswordField("Passwort (mindestens 10 Zeichen)", validators=[DataRequired(REQUIRED), Length(max=200)])
    confirm = PasswordField("Passwort wiederholen",
                            validators=[EqualTo("password", "Die Passwörter stimmen nicht überein.")])


class ResetRequestForm(FlaskForm):
    email = EmailField("E-Mail", validators=[DataRequired(REQUIRED), Length(max=254)])


class ResetForm(FlaskForm):
    password = PasswordField("Neues Passwort", validators=[DataRequired(REQUIRED), Length(max=200)])
    confirm = PasswordField("Passwort wiederholen",
                            validators=[EqualTo("password", "Die Passwörter stimmen nicht überein.")])


class InviteForm(FlaskForm):
    email = EmailField("E-Mail der Person", validators=[DataRequired(REQUIRED), Length(max=254)])
    role = SelectField("Rolle", choices=[("member", "Mitglied"), ("space_manager", "Raumverwaltung")])


class BookingForm(FlaskForm):
    organisation = SelectField("Für", coerce=int, validators=[InputRequired(REQUIRED)])
    day = DateField("Tag", validators=[InputRequired("Bitte einen Tag wählen.")])
    starts = TimeField("von", validators=[InputRequired("Bitte eine Uhrzeit wählen.")])
    ends = TimeField("bis", validators=[InputRequired("Bitte eine Uhrzeit wählen.")])
    frequency = SelectField("Wiederholung", choices=[
        ("once", "einmalig"), ("weekly", "jede Woche"), ("biweekly", "alle zwei Wochen"), ("monthly", "jeden Monat"),
    ], default="once")
    until = DateField("bis einschließlich", validators=[Optional()])
    attendees = IntegerField("Personen", validators=[InputRequired(REQUIRED), NumberRange(1, 10_000, "Bitte 1 bis 10.000.")])
    purpose = StringField("Wofür? (Titel)", validators=[Optional(), Length(max=300)])
    is_public = BooleanField("Öffentliche Veranstaltung (Titel erscheint im Kalender des Raums)")
    fold = RadioField("Die Uhrzeit gibt es am Tag der Zeitumstellung zweimal:", choices=[
        ("0", "die erste (noch Sommerzeit)"), ("1", "die zweite (schon Winterzeit)")], validators=[Optional()])
    skip_conflicts = BooleanField("Nicht buchbare Termine weglassen, den Rest buchen")


class DecisionForm(FlaskForm):
    note = TextAreaField("Notiz an die Gruppe", validators=[Optional(), Length(max=500)])


class CancelForm(FlaskForm):
    rest_of_series = BooleanField("auch alle späteren Termine dieser Reihe")
