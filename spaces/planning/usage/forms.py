"""The usage report's filter: a period (from, to), a provider and a Quartier; sent by GET so a report is a link."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField
from wtforms.validators import Optional, StopValidation

from spaces.fields import Form

MAX_DAYS = 3 * 366  # at most three years at once


def last_full_quarter(today: date) -> tuple[date, date]:
    """The last calendar quarter that has ended before `today`: the default period."""
    this_quarter = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    last = this_quarter - timedelta(days=1)
    return date(last.year, (last.month - 1) // 3 * 3 + 1, 1), last


def a_day(form, field):
    """A day is required: none given, or one that is no date, each with its own message."""
    if field.data is None:
        field.errors[:] = []
        given = field.raw_data and field.raw_data[0].strip()
        raise StopValidation(gettext("Bitte ein Datum wie 31.12.2026 angeben.") if given
                             else gettext("Bitte einen Tag wählen."))


class UsageForm(Form):
    """Period and filters of the usage report (no CSRF: it only reads, and lives in the URL)."""

    class Meta:
        csrf = False

    von = DateField(_l("Zeitraum von"), validators=[a_day])
    bis = DateField(_l("bis einschließlich"), validators=[a_day])
    traeger = SelectField(_l("Träger"), validators=[Optional()], default="")
    quartier = SelectField(_l("Quartier"), validators=[Optional()], default="")

    def validate(self, extra_validators=None) -> bool:
        """The fields one by one, then the period as a whole (in order, at most three years)."""
        ok = super().validate(extra_validators)
        first, last = self.von.data, self.bis.data
        if first and last and not self.von.errors and not self.bis.errors:
            if last < first:
                self.bis.errors.append(gettext("Das Ende liegt vor dem Anfang."))
                ok = False
            elif (last - first).days + 1 > MAX_DAYS:
                self.bis.errors.append(gettext("Bitte höchstens drei Jahre auf einmal."))
                ok = False
        return ok

    @property
    def provider_id(self) -> int | None:
        return int(self.traeger.data) if self.traeger.data else None

    @property
    def quartier_name(self) -> str | None:
        return self.quartier.data or None
