"""Account forms (Flask-WTF: CSRF on every one): login, registration, password reset, invitations."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from spaces.fields import REQUIRED, Form


class LoginForm(Form):
    email = EmailField(_l("E-Mail"), validators=[DataRequired(REQUIRED), Length(max=254)])
    password = PasswordField(_l("Passwort"), validators=[DataRequired(REQUIRED), Length(max=200)])
    remember = BooleanField(_l("Angemeldet bleiben"))


class RegisterForm(Form):
    email = EmailField(_l("E-Mail"), validators=[DataRequired(REQUIRED), Length(max=254)])
    display_name = StringField(_l("Ihr Name"), validators=[DataRequired(REQUIRED), Length(max=200)])
    organisation = StringField(_l("Name Ihrer Initiative (neu anlegen)"), validators=[Optional(), Length(max=200)])
    password = PasswordField(_l("Passwort (mindestens 10 Zeichen)"),
                             validators=[DataRequired(REQUIRED), Length(max=200)])
    confirm = PasswordField(_l("Passwort wiederholen"),
                            validators=[EqualTo("password", _l("Die Passwörter stimmen nicht überein."))])


class ConfirmForm(Form):
    password = PasswordField(_l("Ihr Passwort (wie bei der Registrierung)"),
                             validators=[DataRequired(REQUIRED), Length(max=200)])


class ResetRequestForm(Form):
    email = EmailField(_l("E-Mail"), validators=[DataRequired(REQUIRED), Length(max=254)])


class ResetForm(Form):
    password = PasswordField(_l("Neues Passwort"), validators=[DataRequired(REQUIRED), Length(max=200)])
    confirm = PasswordField(_l("Passwort wiederholen"),
                            validators=[EqualTo("password", _l("Die Passwörter stimmen nicht überein."))])


class InviteForm(Form):
    email = EmailField(_l("E-Mail der Person"), validators=[DataRequired(REQUIRED), Length(max=254)])
    role = SelectField(_l("Rolle"), choices=[("member", _l("Mitglied")), ("space_manager", _l("Raumverwaltung"))])
    is_admin = BooleanField(_l("Auch Admin der Organisation (verwaltet Mitglieder und Rechte)"))
