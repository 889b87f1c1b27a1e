"""Raumfinder: find, book and plan the rooms of a neighbourhood."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None):
    """Build the Flask app: configuration, extensions and blueprints; nothing else."""
    from flask import Flask

    from spaces import cli, errors, health
    from spaces.accounts import routes as accounts
    from spaces.accounts.ratelimit import init_rate_limits
    from spaces.booking import api as booking_api
    from spaces.booking import feeds
    from spaces.booking import routes as booking
    from spaces.config import load_config
    from spaces.extensions import init_extensions
    from spaces.finder import api, openapi
    from spaces.finder import routes as finder
    from spaces.manage import routes as manage
    from spaces.planning.gaps import routes as gaps
    from spaces.planning.needs import routes as needs
    from spaces.planning.phases import routes as phases
    from spaces.planning.rounds import routes as rounds

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
    for module in (health, finder, api, openapi, accounts, booking, booking_api, feeds, manage, phases, gaps, needs,
                   rounds):
        app.register_blueprint(module.bp)
    return app
