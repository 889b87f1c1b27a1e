"""Raumfinder: find, book and plan the rooms of a neighbourhood."""

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent  # the checkout; in an installed wheel, site-packages


def resource(name: str) -> Path:
    """A folder the app reads (templates, static, migrations, translations, data): the checkout's own,
    or, in an installed wheel, the copy the build put into spaces/_files/ (see setup.py)."""
    checkout = ROOT / name
    return checkout if checkout.is_dir() else PACKAGE / "_files" / name


def instance_dir() -> Path:
    """Where the app keeps its local files (the generated secret key): RAUMFINDER_INSTANCE, the checkout's
    instance/, or ./instance for an installed copy."""
    if os.environ.get("RAUMFINDER_INSTANCE"):
        return Path(os.environ["RAUMFINDER_INSTANCE"])
    return ROOT / "instance" if (ROOT / "pyproject.toml").exists() else Path.cwd() / "instance"


def create_app(config: dict | None = None):
    """Build the Flask app: configuration, extensions and blueprints; nothing else."""
    from flask import Flask

    from spaces import cli, errors, health, legal
    from spaces.accounts import privacy_routes as privacy
    from spaces.accounts import routes as accounts
    from spaces.accounts.ratelimit import init_rate_limits
    from spaces.booking import api as booking_api
    from spaces.booking import feeds
    from spaces.booking import guest_routes as guests
    from spaces.booking import routes as booking
    from spaces.booking import waitlist_routes as waitlist
    from spaces.config import load_config
    from spaces.delivery import init_delivery
    from spaces.extensions import init_extensions
    from spaces.finder import api, openapi
    from spaces.finder import routes as finder
    from spaces.hardening import init_hardening
    from spaces.inventory import export_routes as open_data
    from spaces.inventory import routes as inventory
    from spaces.logs import init_logging, init_request_log
    from spaces.manage import routes as manage
    from spaces.ops import metrics
    from spaces.ops import routes as ops
    from spaces.planning.gaps import routes as gaps
    from spaces.planning.needs import routes as needs
    from spaces.planning.phases import routes as phases
    from spaces.planning.rounds import routes as rounds
    from spaces.planning.usage import routes as usage
    from spaces.replica import init_replica
    from spaces.walking import routes as walking

    app = Flask(
        __name__,
        template_folder=str(resource("templates")),
        static_folder=str(resource("static")),
        instance_path=str(instance_dir()),
    )
    app.config.update(load_config(config))
    init_logging(app)
    init_request_log(app)
    metrics.init_metrics(app)
    if app.config["PROXY_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    init_extensions(app)
    init_replica(app)
    init_hardening(app)
    init_delivery(app)
    init_rate_limits(app)
    errors.register(app)
    cli.register(app)
    for module in (health, finder, api, openapi, accounts, booking, booking_api, feeds, manage, phases, gaps, needs,
                   rounds, ops, legal, waitlist, guests, usage, inventory, open_data, walking, metrics,
                   privacy):
        app.register_blueprint(module.bp)
    return app
