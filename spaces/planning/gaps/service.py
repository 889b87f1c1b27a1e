"""The gap report put together: phases with their quarters, sorted, as CSV and GeoJSON; the norms saved."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_babel import format_decimal, get_locale, gettext

from geo.walking import WALKING_SPEED_M_PER_MIN
from spaces.booking.rules import audit
from spaces.clock import today_local
from spaces.core.gaps import METHOD_NETWORK, METHOD_STRAIGHT, PhaseQuarter, WholeMeasures, gap_report, whole_measures
from spaces.core.norms import NORM_SETTINGS
from spaces.db import db
from spaces.formatting import month, number, percent, quarter
from spaces.labels import PHASE_STATUS, label
from spaces.labels import period as labels_period
from spaces.models import ConstructionPhase, ProvisionNorm
from spaces.planning.gaps import data as gap_data
from spaces.planning.gaps.chart import timeline_svg

SORTS = {
    "gap": lambda p: -p.now.gap_m2,
    "coverage": lambda p: p.now.coverage,
    "name": lambda p: p.name.lower(),
    "move_in": lambda p: (p.phase.move_in is None, p.phase.move_in),
}


@dataclass
class PhaseReport:
    """One construction phase with a row per quarter from today until it is fully moved in."""

    phase: ConstructionPhase
    name: str
    geojson: dict
    rows: list[PhaseQuarter]
    residents_full: float

    @property
    def now(self) -> PhaseQuarter:
        return self.rows[0]

    @property
    def walk_method(self) -> str:
        """How its reach was measured: "network" (on the street network) or "straight_line" (x detour)."""
        return self.rows[0].walk_method if self.rows else METHOD_STRAIGHT

    @property
    def worst(self) -> PhaseQuarter:
        return max(self.rows, key=lambda r: r.gap_m2)

    @property
    def whole_now(self) -> WholeMeasures:
        return whole_measures(self.now)

    def whole(self) -> list[tuple[PhaseQuarter, WholeMeasures]]:
        """Every quarter with its numbers as printed (whole m², whole seats, percent rounded down)."""
        return [(r, whole_measures(r)) for r in self.rows]

    def chart(self) -> str:
        return timeline_svg(gettext("Bedarf und Angebot: %(name)s", name=self.name),
                            [r.quarter_start for r in self.rows],
                            [r.demand_m2 for r in self.rows], [r.supply_m2 for r in self.rows])


def build_report(sort: str = "gap") -> tuple[list[PhaseReport], Any, str]:
    """Every phase with its quarters (seven queries), sorted by `sort` (gap, coverage, name, move_in)."""
    norm, _ = gap_data.current_norm(db.session)
    rows = gap_data.phase_rows(db.session)
    inputs = gap_data.phase_inputs(rows)
    # With a street network: the spaces each phase reaches on foot, and each one's walking area (coverage).
    reach = gap_data.walking_reach(db.session, norm, [i.id for i in inputs])
    spaces = gap_data.space_inputs(db.session, norm, also=gap_data.reached_ids(reach))
    walking = gap_data.walking_areas(db.session, norm, spaces, reach) if reach else None
    result = gap_report(inputs, spaces, norm, start=today_local(), signals=gap_data.signals(db.session),
                        walking=walking)
    by_phase: dict = {}
    for row in result:
        by_phase.setdefault(row.phase_id, []).append(row)
    reports = [PhaseReport(r.ConstructionPhase, r.ConstructionPhase.name, json.loads(r.geojson),
                           by_phase.get(r.ConstructionPhase.id, []), i.residents)
               for r, i in zip(rows, inputs)]
    sort = sort if sort in SORTS else "gap"
    return sorted((p for p in reports if p.rows), key=SORTS[sort]), norm, sort


# (key, German heading, English heading, digits; None: text)
COLUMNS = (
    ("phase", "Bauabschnitt", "phase", None), ("quarter", "Quartal ab", "quarter", None),
    ("as_of", "Stand", "as_of", None), ("residents", "Einwohner", "residents", 0),
    ("demand_m2", "Bedarf m²", "demand_m2", 1), ("supply_m2", "Angebot m²", "supply_m2", 1),
    ("gap_m2", "Lücke m²", "gap_m2", 1), ("demand_seats", "Bedarf Plätze", "demand_seats", 0),
    ("supply_seats", "Angebot Plätze", "supply_seats", 0), ("gap_seats", "Lücke Plätze", "gap_seats", 0),
    ("coverage", "Abdeckung", "coverage", 3), ("signals", "Hinweise", "signals", 0),
    ("counted_spaces", "gezählte Räume", "counted_spaces", 0),
)


def _cell(value, digits):
    if digits is None:
        text = str(value)
        # never a spreadsheet formula (OWASP: also a leading tab or carriage return)
        return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
    return format_decimal(round(float(value), digits), "0" + ("." + "0" * digits if digits else ""))


def report_csv(reports: list[PhaseReport]) -> str:
    """The report as CSV in the visitor's dialect: German (semicolon, decimal comma) or English (comma, point)."""
    german = str(get_locale()) == "de"
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if german else ",")
    writer.writerow([de if german else en for _, de, en, _ in COLUMNS])
    for p in reports:
        for r in p.rows:
            values = {"phase": p.name, "quarter": r.quarter_start.isoformat(),
                      "as_of": (r.as_of or r.quarter_start).isoformat(), "counted_spaces": len(r.counted_spaces),
                      **{key: getattr(r, key) for key, *_ in COLUMNS[3:-1]}}
            writer.writerow([_cell(values[key], digits) for key, _, _, digits in COLUMNS])
    return "\ufeff" + out.getvalue()


def phase_isochrone_url(report: PhaseReport, norm) -> str | None:
    """The API address of the phase's walking isochrone of norm.walk_m, when it was measured on the network."""
    if report.walk_method != METHOD_NETWORK:
        return None
    return url_for("walking.phase_isochrone", phase_id=report.phase.id,
                   minutes=round(norm.walk_m / WALKING_SPEED_M_PER_MIN, 2))


def walk_note(reports: list[PhaseReport]) -> str:
    """How the report measured walking: on the street network, estimated, or both (phases off the network)."""
    methods = {p.walk_method for p in reports}
    if methods == {METHOD_NETWORK}:
        return gettext("Gehweite auf dem Fußwegenetz gemessen.")
    if METHOD_NETWORK in methods:
        return gettext("Gehweite auf dem Fußwegenetz gemessen; für Bauabschnitte außerhalb des Netzes geschätzt "
                       "(Luftlinie × Umwegfaktor).")
    return gettext("Gehweite geschätzt (Luftlinie × Umwegfaktor) – kein Fußwegenetz geladen.")


def measure_lines(row: PhaseQuarter, whole: WholeMeasures, walk_m: float) -> list[str]:
    """Each measure on its own, as a reader says it: residents, floor space, seats, reach."""
    if whole.residents == 0:
        return [gettext("Noch niemand eingezogen: noch kein Bedarf.")]
    space = (gettext("Fläche: es fehlen %(gap)s m² (Bedarf %(d)s m², Angebot %(s)s m²)", gap=number(whole.gap_m2),
                     d=number(whole.demand_m2), s=number(whole.supply_m2)) if not whole.enough_space else
             gettext("Fläche: ausreichend (Bedarf %(d)s m², Angebot %(s)s m²)", d=number(whole.demand_m2),
                     s=number(whole.supply_m2)))
    seats = (gettext("Plätze: es fehlen %(gap)s (Bedarf %(d)s, Angebot %(s)s)", gap=number(whole.gap_seats),
                     d=number(whole.demand_seats), s=number(whole.supply_seats)) if not whole.enough_seats else
             gettext("Plätze: ausreichend (Bedarf %(d)s, Angebot %(s)s)", d=number(whole.demand_seats),
                     s=number(whole.supply_seats)))
    return [gettext("Bewohner:innen: %(n)s", n=number(whole.residents)), space, seats,
            gettext("Erreichbarkeit: %(p)s der Fläche höchstens %(m)s m zu Fuß von einem gezählten Raum",
                    p=percent(whole.coverage), m=number(walk_m))]


def report_geojson(reports: list[PhaseReport], norm, spaces: list[dict]) -> str:
    """The phases with this quarter's gap and their timeline as a GeoJSON FeatureCollection; foreign members
    'quarters' (the timeline's quarters with their names) and 'spaces' (the spaces in reach, as points)."""
    features = []
    for p in reports:
        now = p.now
        features.append({
            "type": "Feature", "id": p.phase.id, "geometry": p.geojson,
            "properties": {
                "id": p.phase.id, "name": p.name, "status": p.phase.status,
                "status_label": label(PHASE_STATUS, p.phase.status),
                "move_in": p.phase.move_in.isoformat() if p.phase.move_in else None,
                "move_in_label": month(p.phase.move_in) if p.phase.move_in else None,
                "residents_now": round(now.residents), "residents_full": round(p.residents_full),
                "demand_m2": round(now.demand_m2, 1), "supply_m2": round(now.supply_m2, 1),
                "gap_m2": round(now.gap_m2, 1), "gap_seats": round(now.gap_seats, 1),
                "coverage": round(now.coverage, 3), "signals": now.signals, "walk_method": p.walk_method,
                "isochrone": phase_isochrone_url(p, norm),
                "timeline": [{"quarter": r.quarter_start.isoformat(), "as_of": (r.as_of or r.quarter_start).isoformat(),
                              "residents": round(r.residents), "demand_m2": round(r.demand_m2, 1),
                              "gap_m2": round(r.gap_m2, 1), "gap_seats": round(r.gap_seats, 1),
                              "coverage": round(r.coverage, 3), "counted": list(r.counted_spaces),
                              "lines": measure_lines(r, w, norm.walk_m)} for r, w in p.whole()],
            },
        })
    quarters = [{"date": r.quarter_start.isoformat(), "as_of": (r.as_of or r.quarter_start).isoformat(),
                 "label": quarter(r.quarter_start)} for r in (reports[0].rows if reports else [])]
    points = [{"type": "Feature", "id": f"space-{sp['id']}",
               "geometry": {"type": "Point", "coordinates": [sp["lon"], sp["lat"]]},
               "properties": {"id": sp["id"], "name": sp["name"], "text": sp["text"],
                              "available_from": sp["available_from"], "available_until": sp["available_until"]}}
              for sp in spaces]
    return json.dumps({"type": "FeatureCollection", "features": features, "quarters": quarters,
                       "spaces": {"type": "FeatureCollection", "features": points}}, ensure_ascii=False)


def space_points(norm) -> list[dict]:
    """The public spaces within reach of some phase, with a line about each (size, seats, period) for the map."""
    out = []
    reach = gap_data.walking_reach(db.session, norm, [r.ConstructionPhase.id for r in gap_data.phase_rows(db.session)])
    for r in gap_data.space_rows(db.session, norm, also=gap_data.reached_ids(reach)):
        facts = [gettext("%(n)s Plätze", n=number(r.capacity))]
        if r.area_m2:
            facts.insert(0, f"{number(r.area_m2)} m²")
        period = labels_period(r.available_from, r.available_until, today_local())
        if period:
            facts.append(period)
        out.append({"id": r.id, "name": r.name, "lon": round(r.lon, 6), "lat": round(r.lat, 6),
                    "text": " · ".join(facts),
                    "available_from": r.available_from.isoformat() if r.available_from else None,
                    "available_until": r.available_until.isoformat() if r.available_until else None})
    return out


def current_values() -> dict:
    """The norm's settings as stored, or their defaults while none is saved."""
    _, row = gap_data.current_norm(db.session)
    return {s.name: getattr(row, s.name) if row else s.default for s in NORM_SETTINGS}


def save_norms(values: dict, user) -> ProvisionNorm:
    """Store the QM's norms (one row) and keep in the audit log what changed."""
    _, row = gap_data.current_norm(db.session)
    row = row or ProvisionNorm()
    before = {s.name: str(getattr(row, s.name)) for s in NORM_SETTINGS}
    for setting in NORM_SETTINGS:
        value = values[setting.name]
        setattr(row, setting.name, int(value) if setting.whole else value)
    row.updated_by_id = user.id
    db.session.add(row)
    db.session.flush()
    audit(db.session, user, "norm.updated", row, before=before, after={k: str(v) for k, v in values.items()})
    return row
