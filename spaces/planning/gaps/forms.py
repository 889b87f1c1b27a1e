"""The QM's form for the provision norms: fields, ranges and meanings from spaces.core.norms."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField
from wtforms.validators import InputRequired, ValidationError

from spaces.core.norms import NORM_SETTINGS


class GermanDecimalField(DecimalField):
    """A number as people type it: 1,3 or 1.3; not a number, infinite or NaN is refused in German.
    Shown in the visitor's notation (1,3 in German)."""

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else format_decimal(self.data, "0.##")

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        raw = (valuelist[0] or "").strip().replace(",", ".")
        try:
            self.data = Decimal(raw)
        except InvalidOperation:
            self.data = None
            raise ValueError(self.gettext("Bitte eine Zahl angeben.")) from None
        if not self.data.is_finite():
            self.data = None
            raise ValueError(self.gettext("Bitte eine Zahl angeben."))


def _in_range(setting):
    def check(form, field):
        if field.data is None:
            return
        if not setting.minimum <= field.data <= setting.maximum:
            raise ValidationError(_l("Bitte eine Zahl von %(lo)s bis %(hi)s.", lo=setting.minimum, hi=setting.maximum))
        if setting.whole and field.data != int(field.data):
            raise ValidationError(_l("Bitte ganze Monate."))
    return check


class NormForm(FlaskForm):
    """Every setting of the provision norm, as a number within its range."""


for _setting in NORM_SETTINGS:
    setattr(NormForm, _setting.name, GermanDecimalField(
        _l(_setting.meaning), places=None, render_kw={"inputmode": "decimal"},
        validators=[InputRequired(_l("Bitte eine Zahl angeben.")), _in_range(_setting)]))
