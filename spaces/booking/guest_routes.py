"""Pages of requests without an account."""

from flask import Blueprint

bp = Blueprint("guests", __name__)
