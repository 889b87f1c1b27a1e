"""WTForms pieces the management forms share: numbers as people write them here, checkboxes, tidy text,
plausible dates; messages in German."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import DecimalField, SelectMultipleField
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

REQUIRED = _l("Bitte ausfüllen.")
FIRST_YEAR, LAST_YEAR = 2000, 2100  # a date outside is a typo (and year 9999 would overflow)


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
    """Refuse a date outside FIRST_YEAR to LAST_YEAR."""
    if field.data and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        raise ValidationError(gettext("Bitte ein Datum zwischen %(first)s und %(last)s.",
                                      first=FIRST_YEAR, last=LAST_YEAR))


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
