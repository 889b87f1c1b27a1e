"""Raumfinder: find, book and plan the rooms of a neighbourhood."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None):
    """Build the Flask app: configuration, extensions and blueprints; nothing else."""
    from flask import Flask

    from . import (
        api,
        auth,
        booking_api,
        booking_views,
        cli,
        errors,
        feeds,
        finder,
        gap_views,
        health,
        manage,
        need_views,
        openapi,
        phases_admin,
        round_views,
    )
    from .config import load_config
    from .extensions import init_extensions
    from .ratelimit import init_rate_limits

    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.update(load_config(config))
    if app.config["PROXY_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    init_extensions(app)
    init_rate_limits(app)
    errors.register(app)
    cli.register(app)
    for module in (health, finder, api, openapi, auth, booking_views, booking_api, feeds, manage, phases_admin,
                   gap_views, need_views, round_views):
        app.register_blueprint(module.bp)
    return app
