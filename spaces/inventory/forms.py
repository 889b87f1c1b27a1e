"""The forms of the inventory import: the upload (a file and the provider of rows that name none), the
confirmation (the preview's fingerprint) and discarding (CSRF only)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField
from wtforms.validators import DataRequired, Length, ValidationError

from spaces.fields import Form

MAX_BYTES = 2 * 1024 * 1024  # MAX_CONTENT_LENGTH: the request as a whole may not be larger


class UploadForm(Form):
    file = FileField(_l("Datei"))
    provider = SelectField(_l("Träger für Zeilen ohne Träger"), choices=[], validate_choice=True)

    def validate_file(self, field):
        upload = field.data
        if upload is None or not getattr(upload, "filename", ""):
            raise ValidationError(_l("Bitte eine Datei wählen."))


def upload_form(providers: list[str]) -> UploadForm:
    """The upload form with the providers one may choose as the file's default ("" = none)."""
    form = UploadForm()
    form.provider.choices = [("", _l("– keiner (jede Zeile nennt ihren Träger) –"))] + [(p, p) for p in providers]
    return form


class ConfirmForm(Form):
    fingerprint = HiddenField(validators=[DataRequired(), Length(max=64)])


class DiscardForm(Form):
    """Forget a waiting import (CSRF only: the batch is in the URL)."""
