"""Space managers publish and edit their spaces (placeholder until the blueprint is written)."""

from flask import Blueprint

bp = Blueprint("manage", __name__)
