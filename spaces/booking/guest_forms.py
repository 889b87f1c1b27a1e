"""The form of a request without an account (Flask-WTF: CSRF), and the buttons behind the mailed links."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, EmailField, IntegerField, StringField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from spaces.accounts.forms import a_real_address
from spaces.fields import REQUIRED, Form


class GuestRequestForm(Form):
    day = DateField(_l("Tag"), validators=[InputRequired(_l("Bitte einen Tag wählen."))])
    starts = TimeField(_l("von"), validators=[InputRequired(_l("Bitte eine Uhrzeit wählen."))])
    ends = TimeField(_l("bis"), validators=[InputRequired(_l("Bitte eine Uhrzeit wählen."))])
    attendees = IntegerField(_l("Personen"), validators=[
        InputRequired(REQUIRED), NumberRange(1, 10_000, _l("Bitte 1 bis 10.000."))])
    purpose = StringField(_l("Wofür?"), validators=[Optional(), Length(max=300)])
    name = StringField(_l("Ihr Name"), validators=[DataRequired(REQUIRED), Length(max=100)])
    email = EmailField(_l("Ihre E-Mail-Adresse"), validators=[DataRequired(REQUIRED), Length(max=254), a_real_address])
    group_name = StringField(_l("Name Ihrer Gruppe"), validators=[DataRequired(REQUIRED), Length(max=120)])
    consent = BooleanField(_l("Ich bin einverstanden, dass der Raumfinder Name, E-Mail-Adresse und Gruppe für "
                              "diese Anfrage speichert und an die Raumverwaltung weitergibt."),
                           validators=[DataRequired(_l("Ohne Ihr Einverständnis können wir die Anfrage nicht "
                                                       "weitergeben."))])


class GuestLinkForm(Form):
    """The button behind a mailed link (confirm, cancel): a GET alone changes nothing, so a mail scanner that
    opens links uses up nothing."""
