"""Residents' pages: the map of spaces and phases, and the list under it."""

from flask import Blueprint, abort, current_app, render_template, url_for

from geo.maps import finder_map, page_parts

from .clock import today_local
from .db import db
from .labels import BOOKING_MODES, EQUIPMENT, KINDS, label, period
from .models import Space
from .queries import not_expired, spaces_with_place

bp = Blueprint("finder", __name__)


@bp.app_context_processor
def _labels():
    return {"label": label, "KINDS": KINDS, "EQUIPMENT": EQUIPMENT, "BOOKING_MODES": BOOKING_MODES}


@bp.get("/")
def index():
    """The map of Hannover with spaces and construction phases, and the list of spaces."""
    today = today_local()
    rows = db.session.execute(spaces_with_place().where(not_expired(today))).all()
    cfg = current_app.config
    m = finder_map(
        center=cfg["MAP_CENTER"],
        zoom=cfg["MAP_ZOOM"],
        tile_url=cfg["TILE_URL"],
        attribution=cfg["TILE_ATTRIBUTION"],
        layers={"spaces": url_for("api.spaces"), "phases": url_for("api.phases")},
        static_url=url_for("static", filename=""),
    )
    return render_template(
        "finder/index.html",
        map=page_parts(m),
        rows=rows,
        period=lambda s: period(s.available_from, s.available_until, today),
    )


@bp.get("/raeume/<int:space_id>")
def space(space_id: int):
    """One space: where, how big, how accessible, how to book."""
    row = db.session.execute(spaces_with_place().where(Space.id == space_id)).first()
    if row is None:
        abort(404, description="Diesen Raum gibt es nicht (mehr).")
    today = today_local()
    return render_template("finder/space.html", row=row, space=row.Space,
                           period=period(row.Space.available_from, row.Space.available_until, today))
