"""Account forms (Flask-WTF: CSRF on every one): login, registration, password reset, invitations."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional, StopValidation

from spaces.accounts.service import AccountError, check_password, normalise_email
from spaces.fields import REQUIRED, Form
from spaces.phrasing import said


def _service_says(check):
    """A field validator asking the account service's own rule, so that every problem of the form shows on one
    submit (the service asks the same rule again when it acts)."""

    def validate(form, field):
        if not field.data:
            return
        try:
            check(form, field.data)
        except AccountError as err:
            raise StopValidation(said(err.message)) from None

    return validate


a_real_address = _service_says(lambda form, value: normalise_email(value))
a_good_password = _service_says(lambda form, value: check_password(value, form.email.data or ""))


class LoginForm(Form):
    email = EmailField(_l("E-Mail"), validators=[DataRequired(REQUIRED), Length(max=254)])
    password = PasswordField(_l("Passwort"), validators=[DataRequired(REQUIRED), Length(max=200)])
    remember = BooleanField(_l("Angemeldet bleiben"))


class RegisterForm(Form):
    email = EmailField(_l("E-Mail"), validators=[DataRequired(REQUIRED), Length(max=254), a_real_address])
    display_name = StringField(_l("Ihr Name"), validators=[DataRequired(REQUIRED), Length(max=200)])
    organisation = StringField(_l("Name Ihrer Initiative (neu anlegen)"), validators=[Optional(), Length(max=200)])
    password = PasswordField(_l("Passwort (mindestens 10 Zeichen)"),
                             validators=[DataRequired(REQUIRED), Length(max=200), a_good_password])
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


class DeleteAccountForm(Form):
    """Deleting one's own account: the password again, and a tick that the person means it."""

    password = PasswordField(_l("Ihr Passwort"), validators=[DataRequired(REQUIRED), Length(max=200)])
    understood = BooleanField(_l("Ich möchte mein Konto endgültig löschen."), validators=[
        DataRequired(_l("Bitte bestätigen Sie, dass Sie das Konto löschen möchten."))])
