"""Pages of the waitlist."""

from flask import Blueprint

bp = Blueprint("waitlist", __name__)
