"""The QM's gap report: where and when community space is missing, per construction phase and quarter."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from geo.maps import finder_map, page_parts
from spaces.booking.rules import audit
from spaces.clock import today_local
from spaces.core.gaps import gap_report
from spaces.db import db
from spaces.labels import PHASE_STATUS, label
from spaces.models import ProvisionNorm
from spaces.planning.gaps import data as gap_data
from spaces.planning.gaps.chart import timeline_svg

bp = Blueprint("gaps", __name__)

SORTS = {
    "gap": lambda p: -p.now.gap_m2,
    "coverage": lambda p: p.now.coverage,
    "name": lambda p: p.name.lower(),
    "move_in": lambda p: (p.phase.move_in is None, p.phase.move_in),
}


@dataclass
class PhaseReport:
    phase: object
    name: str
    geojson: dict
    rows: list
    residents_full: float

    @property
    def now(self):
        return self.rows[0]

    @property
    def worst(self):
        return max(self.rows, key=lambda r: r.gap_m2)

    def chart(self):
        labels = [f"{r.quarter_start.year}/{(r.quarter_start.month - 1) // 3 + 1}" for r in self.rows]
        return timeline_svg(gettext("Bedarf und Angebot: %(name)s", name=self.name), labels,
                            [r.demand_m2 for r in self.rows], [r.supply_m2 for r in self.rows])


def _require_qm():
    if not current_user.is_qm_admin:
        abort(403, description=gettext("Den Bedarfsbericht sehen nur Quartiersmanager:innen (QM-Admin)."))


def build_report() -> tuple[list[PhaseReport], object, object]:
    """Every phase with one row per quarter from today until the last move-in (seven queries)."""
    norm, norm_row = gap_data.current_norm(db.session)
    rows = gap_data.phase_rows(db.session)
    inputs = gap_data.phase_inputs(rows)
    result = gap_report(inputs, gap_data.space_inputs(db.session, norm), norm, start=today_local(),
                        signals=gap_data.signals(db.session))
    by_phase: dict = {}
    for row in result:
        by_phase.setdefault(row.phase_id, []).append(row)
    reports = [PhaseReport(r.ConstructionPhase, r.ConstructionPhase.name, json.loads(r.geojson),
                           by_phase.get(r.ConstructionPhase.id, []), i.residents)
               for r, i in zip(rows, inputs)]
    return [p for p in reports if p.rows], norm, norm_row


def _sorted(reports: list[PhaseReport]) -> tuple[list[PhaseReport], str]:
    key = request.args.get("sort", "gap")
    if key not in SORTS:
        key = "gap"
    return sorted(reports, key=SORTS[key]), key


@bp.get("/bedarf")
@login_required
def report():
    """Gap per phase now and over time: map, table and a chart per phase."""
    _require_qm()
    reports, norm, _ = build_report()
    reports, sort = _sorted(reports)

    cfg = current_app.config
    m = finder_map(center=(52.33, 9.81), zoom=14, tile_url=cfg["TILE_URL"], attribution=cfg["TILE_ATTRIBUTION"],
                   layers={"gaps": url_for("gaps.geojson")}, static_url=url_for("static", filename=""),
                   attach="RaumfinderGaps.attach")
    return render_template("gaps/report.html", reports=reports, norm=norm, sort=sort, map=page_parts(m),
                           label=label, PHASE_STATUS=PHASE_STATUS, printable=False)


@bp.get("/bedarf/druck")
@login_required
def printable():
    """The same report without the map, laid out for paper (for the city or a funder)."""
    _require_qm()
    reports, norm, _ = build_report()
    reports, sort = _sorted(reports)
    return render_template("gaps/report.html", reports=reports, norm=norm, sort=sort, map=None, label=label,
                           PHASE_STATUS=PHASE_STATUS, printable=True, today=today_local())


COLUMNS = ("phase", "quarter", "as_of", "residents", "demand_m2", "supply_m2", "gap_m2", "demand_seats",
           "supply_seats", "gap_seats", "coverage", "signals", "counted_spaces")


@bp.get("/bedarf.csv")
@login_required
def csv_export():
    """Every phase and quarter as CSV (semicolon-separated, as German spreadsheets expect)."""
    _require_qm()
    reports, _, _ = build_report()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(COLUMNS)
    for p in reports:
        for r in p.rows:
            writer.writerow([p.name, r.quarter_start.isoformat(), (r.as_of or r.quarter_start).isoformat(),
                             round(r.residents), round(r.demand_m2, 1), round(r.supply_m2, 1), round(r.gap_m2, 1),
                             round(r.demand_seats, 1), round(r.supply_seats, 1), round(r.gap_seats, 1),
                             round(r.coverage, 3), r.signals, len(r.counted_spaces)])
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="raumbedarf.csv"'})


@bp.get("/bedarf.geojson")
@login_required
def geojson():
    """The phases with this quarter's gap and their timeline as GeoJSON."""
    _require_qm()
    reports, _, _ = build_report()
    features = []
    for p in reports:
        now = p.now
        features.append({
            "type": "Feature",
            "id": p.phase.id,
            "geometry": p.geojson,
            "properties": {
                "id": p.phase.id, "name": p.name, "status": p.phase.status,
                "status_label": label(PHASE_STATUS, p.phase.status),
                "move_in": p.phase.move_in.isoformat() if p.phase.move_in else None,
                "residents_now": round(now.residents), "residents_full": round(p.residents_full),
                "demand_m2": round(now.demand_m2, 1), "supply_m2": round(now.supply_m2, 1),
                "gap_m2": round(now.gap_m2, 1), "gap_seats": round(now.gap_seats, 1),
                "coverage": round(now.coverage, 3), "signals": now.signals,
                "timeline": [{"quarter": r.quarter_start.isoformat(), "residents": round(r.residents),
                              "gap_m2": round(r.gap_m2, 1), "gap_seats": round(r.gap_seats, 1),
                              "coverage": round(r.coverage, 3)} for r in p.rows],
            },
        })
    return Response(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
                    mimetype="application/geo+json")


NORM_FIELDS = {
    "m2_per_1000": (0, 10_000), "seats_per_1000": (0, 10_000), "walk_m": (50, 5_000), "detour": (1, 3),
    "min_public_evening_hours": (0, 35), "reference_hours": (1, 100), "ramp_months": (0, 120),
}


@bp.route("/bedarf/richtwerte", methods=["GET", "POST"])
@login_required
def norms():
    """Set the provision norms the report measures against."""
    _require_qm()
    _, row = gap_data.current_norm(db.session)
    errors, values = {}, {}
    if request.method == "POST":
        for name, (lo, hi) in NORM_FIELDS.items():
            raw = (request.form.get(name) or "").strip().replace(",", ".")
            try:
                number = Decimal(raw)
            except InvalidOperation:
                errors[name] = gettext("Bitte eine Zahl angeben.")
                continue
            if not number.is_finite() or not lo <= number <= hi:
                errors[name] = gettext("Bitte eine Zahl von %(lo)s bis %(hi)s.", lo=lo, hi=hi)
            elif name == "ramp_months" and number != int(number):
                errors[name] = gettext("Bitte ganze Monate.")
            values[name] = number
        if not errors:
            row = row or ProvisionNorm()
            before = {k: str(getattr(row, k)) for k in NORM_FIELDS}
            for name, value in values.items():
                setattr(row, name, int(value) if name == "ramp_months" else value)
            row.updated_by_id = current_user.id
            db.session.add(row)
            db.session.flush()
            audit(db.session, current_user, "norm.updated", row, before=before,
                  after={k: str(v) for k, v in values.items()})
            db.session.commit()
            flash(gettext("Die Richtwerte sind gespeichert."))
            return redirect(url_for("gaps.report"))
    current = {k: (values.get(k) if k in values else (getattr(row, k) if row else None)) for k in NORM_FIELDS}
    if row is None and not values:
        defaults = gap_data.Norm()
        current = {k: getattr(defaults, k) for k in NORM_FIELDS}
    return render_template("gaps/norms.html", current=current, errors=errors), 422 if errors else 200
