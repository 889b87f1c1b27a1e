"""Provision norms (Versorgungsrichtwerte): each setting once, with its default, its allowed range and its
meaning. The gap report's Norm, the ProvisionNorm table and the QM's form all take them from here.

Pure: standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

__all__ = ["NORM_SETTINGS", "NormSetting", "defaults"]


@dataclass(frozen=True)
class NormSetting:
    """One setting of the provision norm: its default, the range the QM may choose, and what it means."""

    name: str
    default: Decimal
    minimum: Decimal
    maximum: Decimal
    whole: bool  # whole numbers only (months)
    meaning: str  # German, as the form shows it (translated there)


def N_(message: str) -> str:
    """Marks a German string for translation (pybabel finds it); the form translates it when shown."""
    return message


def _setting(name: str, default: str, minimum: str, maximum: str, meaning: str, whole: bool = False) -> NormSetting:
    return NormSetting(name, Decimal(default), Decimal(minimum), Decimal(maximum), whole, meaning)


NORM_SETTINGS: tuple[NormSetting, ...] = (
    _setting("m2_per_1000", "150", "0", "10000", N_("m² Gemeinschaftsraum je 1.000 Bewohner:innen")),
    _setting("seats_per_1000", "60", "0", "10000", N_("Plätze je 1.000 Bewohner:innen")),
    _setting("walk_m", "500", "50", "5000", N_("höchstens so viele Meter zu Fuß")),
    _setting("detour", "1.3", "1", "3", N_("Umwegfaktor (Fußweg / Luftlinie)")),
    _setting("min_public_evening_hours", "0", "0", "35",
             N_("Ein Raum zählt ab so vielen öffentlich freien Abendstunden pro Woche")),
    _setting("reference_hours", "20", "1", "100", N_("… und zählt voll ab so vielen Stunden")),
    _setting("ramp_months", "12", "0", "120", N_("Einzug verteilt über so viele Monate"), whole=True),
)


def defaults() -> dict[str, Decimal]:
    """Every setting's default, by name."""
    return {s.name: s.default for s in NORM_SETTINGS}
