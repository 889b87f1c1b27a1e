"""The inventory import from the browser: upload, preview, confirm (QM admins; space managers for their own
provider)."""

from flask import Blueprint

bp = Blueprint("inventory", __name__)
