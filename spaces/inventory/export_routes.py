"""Open data out: every public space as GeoJSON with OSM-style tags, and the page that offers the download."""

from flask import Blueprint

bp = Blueprint("open_data", __name__)
