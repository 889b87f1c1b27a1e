"""Open data out: every public space as GeoJSON with OSM-style tags, and the page that offers the download."""

from flask import Blueprint, Response, render_template, request

from spaces.inventory import export
from spaces.inventory.open_data_schemas import OpenDataQuery

bp = Blueprint("open_data", __name__)

FILENAME = "raumfinder-raeume.geojson"
MAX_AGE = 300  # seconds a client or proxy may keep the file without asking again


@bp.get("/api/spaces.geojson")
def spaces_geojson():
    """Every public space as a GeoJSON FeatureCollection with OSM-style tags and its licence (open data)."""
    query = OpenDataQuery.from_args(request.args)
    made = export.export()
    response = Response(made.body, mimetype="application/geo+json")
    response.set_etag(made.etag, weak=True)
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    if query.download:
        response.headers["Content-Disposition"] = f'attachment; filename="{FILENAME}"'
    return response.make_conditional(request)


@bp.get("/offene-daten")
def page():
    """What the open data offers: licence, fields, download, how QGIS and GOAT read it; a few spaces as example."""
    features, total = export.sample()
    return render_template("open_data/index.html", features=features, total=total, licence=export.licence(),
                           tags=export.TAGS, amenities=export.KIND_AMENITY)
