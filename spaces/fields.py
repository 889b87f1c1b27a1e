"""WTForms pieces the management forms share: numbers as people write them here, checkboxes, tidy text,
plausible dates; messages in German."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DecimalField,
    PasswordField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from spaces.core import days

REQUIRED = _l("Bitte ausfüllen.")



def squeeze(value):
    """One line of text: surrounding and repeated spaces removed."""
    return " ".join(value.split()) if isinstance(value, str) else value


def strip(value):
    """Text without surrounding spaces (line breaks inside are kept)."""
    return value.strip() if isinstance(value, str) else value


def no_control_characters(form, field):
    """Refuse control characters but tab and line breaks."""
    # PostgreSQL refuses NUL in text; the other control characters are never meant.
    if isinstance(field.data, str) and any(ord(ch) < 32 and ch not in "\t\r\n" for ch in field.data):
        raise ValidationError(_l("Bitte keine Steuerzeichen verwenden."))


def plausible_date(form, field):
    """Refuse a date outside the service's range (spaces.core.days: 2000 to 2099)."""
    if field.data and not days.plausible(field.data):
        raise ValidationError(gettext("Bitte ein Datum zwischen %(first)s und %(last)s.",
                                      first=f"{days.FIRST_DAY:%d.%m.%Y}", last=f"{days.LAST_DAY:%d.%m.%Y}"))


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
    """A multiple choice shown as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class Form(FlaskForm):
    """Every form of the service: CSRF (Flask-WTF), no control characters in any text, and single-line
    text kept single-line.

    Every text field refuses control characters with a German form error (a NUL would break
    PostgreSQL). A StringField or EmailField (not a password, not a text area) never keeps a line break
    or repeated spaces: a name with a newline would break the mails that carry it.
    """

    class Meta:
        def bind_field(self, form, unbound_field, options):
            kwargs = unbound_field.kwargs
            if issubclass(unbound_field.field_class, StringField):
                options["validators"] = [*(kwargs.get("validators") or ()), no_control_characters]
                if not issubclass(unbound_field.field_class, (TextAreaField, PasswordField)):
                    options["filters"] = [squeeze, *(kwargs.get("filters") or ())]
            return unbound_field.bind(form=form, **options)
