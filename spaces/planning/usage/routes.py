"""Pages of the usage report."""

from flask import Blueprint

bp = Blueprint("usage", __name__)
