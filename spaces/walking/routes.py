"""Walking isochrones from the API: for a point and for a construction phase."""

from flask import Blueprint

bp = Blueprint("walking", __name__)
