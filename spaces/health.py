"""Liveness: /healthz answers 200 only when the database answers."""

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from spaces.db import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 with the PostGIS version when the database answers, 503 otherwise."""
    try:
        version = db.session.execute(text("SELECT postgis_lib_version()")).scalar_one()
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="unavailable", database=False), 503
    return jsonify(status="ok", database=True, postgis=version)
