"""WTForms pieces the management forms share: numbers as people write them here, checkboxes, tidy text,
plausible dates; messages in German."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
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


# WTForms' own German catalogue leaves these messages untranslated (or marks them fuzzy, so they are not
# used): a German page would show them in English. They are filled in here, for German only.
_WTFORMS_GAPS = {
    "Not a valid time value.": "Keine gültige Uhrzeit.",
    "Not a valid week value.": "Keine gültige Kalenderwoche.",
    "'%(value)s' is not a valid choice for this field.": "Bitte eine der angebotenen Möglichkeiten wählen.",
    "'%(value)s' are not valid choices for this field.": "Bitte nur angebotene Möglichkeiten wählen.",
    "Field must be exactly %(max)d character long.": "Bitte genau %(max)d Zeichen.",
    "Field must be exactly %(max)d characters long.": "Bitte genau %(max)d Zeichen.",
    "This field cannot be edited.": "Dieses Feld lässt sich nicht ändern.",
    "This field is disabled and cannot have a value.": "Dieses Feld ist gesperrt und bekommt keinen Wert.",
}


class _GermanGaps:
    """WTForms' translations, with the gaps of its German catalogue filled (other languages as they are)."""

    def __init__(self, inner):
        self.inner = inner

    def _filled(self, original: str, translated: str) -> str:
        if translated == original and original in _WTFORMS_GAPS and getattr(get_locale(), "language", "") == "de":
            return _WTFORMS_GAPS[original]
        return translated

    def gettext(self, string):
        translated = self.inner.gettext(string) if self.inner is not None else string
        return self._filled(string, translated)

    def ngettext(self, singular, plural, n):
        if self.inner is not None:
            translated = self.inner.ngettext(singular, plural, n)
        else:
            translated = singular if n == 1 else plural
        return self._filled(singular if n == 1 else plural, translated)


class Form(FlaskForm):
    """Every form of the service: CSRF (Flask-WTF), no control characters in any text, and single-line
    text kept single-line.

    Every text field refuses control characters with a German form error (a NUL would break
    PostgreSQL). A StringField or EmailField (not a password, not a text area) never keeps a line break
    or repeated spaces: a name with a newline would break the mails that carry it. Every date field
    refuses a day outside 2000 to 2099 (spaces.core.days): 9999-12-31, once stored, would break every
    page that computes the day after it.
    """

    class Meta:
        def bind_field(self, form, unbound_field, options):
            kwargs = unbound_field.kwargs
            validators = list(kwargs.get("validators") or ())
            if issubclass(unbound_field.field_class, StringField):
                if no_control_characters not in validators:  # once: a field that names it says it once
                    options["validators"] = [*validators, no_control_characters]
                filters = list(kwargs.get("filters") or ())
                if not issubclass(unbound_field.field_class, (TextAreaField, PasswordField)) and squeeze not in filters:
                    options["filters"] = [squeeze, *filters]
            elif issubclass(unbound_field.field_class, DateField) and plausible_date not in validators:
                options["validators"] = [*validators, plausible_date]
            return unbound_field.bind(form=form, **options)

        def get_translations(self, form):
            return _GermanGaps(super().get_translations(form))
