"""Health for load balancers and orchestrators.

* `/healthz/live`: the process answers (no database): restart the service when this fails.
* `/healthz/ready`: the database answers, its schema is at the migrations' head, and the outbox is reported
  (waiting and given-up mails, the oldest waiting one's age). Not ready (503): send no traffic here. A mail
  backlog makes the service not ready only above RAUMFINDER_READY_MAX_WAITING_MAILS (default: never), since
  taking every instance out of the balancer would not deliver a single mail more.
* `/healthz`: as before, 200 with the PostGIS version when the database answers (kept for existing checks).
"""

from __future__ import annotations

from functools import cache

from flask import Blueprint, current_app, jsonify
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


@bp.get("/healthz/live")
def live():
    """200 while the process serves requests; asks nothing else."""
    return jsonify(status="ok")


@bp.get("/healthz/ready")
def ready():
    """200 when the database answers and is migrated to the head; 503 with what is wrong otherwise."""
    checks = readiness()
    return jsonify(status="ok" if checks["ready"] else "unavailable", **checks), 200 if checks["ready"] else 503


@cache
def migrations_head() -> str:
    """The newest migration this code ships (read once per process from migrations/: the code does not change
    while it runs)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from spaces import resource

    config = Config()
    config.set_main_option("script_location", str(resource("migrations")))
    return ScriptDirectory.from_config(config).get_current_head() or ""


def readiness() -> dict:
    """What /healthz/ready says: database, schema version against the head, outbox backlog."""
    head = migrations_head()
    try:
        version = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        from spaces import outbox

        mails = outbox.overview()
    except SQLAlchemyError:
        db.session.rollback()
        return {"ready": False, "database": False, "migrations": {"head": head, "database": None}}
    waited = mails.waited_seconds()
    limit = current_app.config.get("READY_MAX_WAITING_MAILS")
    mails_ok = limit is None or mails.waiting <= limit
    return {
        "ready": version == head and mails_ok,
        "database": True,
        "migrations": {"head": head, "database": version, "at_head": version == head},
        "outbox": {"waiting": mails.waiting, "given_up": mails.given_up, "ok": mails_ok,
                   "oldest_waiting_seconds": round(waited) if waited is not None else None},
    }
