"""The QM's form for the provision norms: fields, ranges and meanings from spaces.core.norms."""

from __future__ import annotations

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from wtforms.validators import InputRequired, ValidationError

from spaces.core.norms import NORM_SETTINGS
from spaces.fields import Form, LocalDecimalField


class NormNumberField(LocalDecimalField):
    """A norm's number, typed as people write it (1,3 or 1.3) and shown in the visitor's notation."""

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else format_decimal(self.data, "0.##")


def _in_range(setting):
    def check(form, field):
        if field.data is None:
            return
        if not setting.minimum <= field.data <= setting.maximum:
            raise ValidationError(_l("Bitte eine Zahl von %(lo)s bis %(hi)s.", lo=setting.minimum, hi=setting.maximum))
        if setting.whole and field.data != int(field.data):
            raise ValidationError(_l("Bitte ganze Monate."))
    return check


class NormForm(Form):
    """Every setting of the provision norm, as a number within its range."""


for _setting in NORM_SETTINGS:
    setattr(NormForm, _setting.name, NormNumberField(
        _l(_setting.meaning), places=None, render_kw={"inputmode": "decimal"},
        validators=[InputRequired(_l("Bitte eine Zahl angeben.")), _in_range(_setting)]))
