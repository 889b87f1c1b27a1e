"""Raumfinder: find, book and plan the rooms of a neighbourhood."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None):
    """Build the Flask app: configuration, extensions and blueprints; nothing else."""
    from flask import Flask

    from . import cli, errors
    from .config import load_config
    from .extensions import init_extensions
    from .finder import bp as finder_bp
    from .health import bp as health_bp
    from .api import bp as api_bp
    from .openapi import bp as openapi_bp

    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.update(load_config(config))
    init_extensions(app)
    errors.register(app)
    cli.register(app)
    app.register_blueprint(health_bp)
    app.register_blueprint(finder_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(openapi_bp)
    return app
