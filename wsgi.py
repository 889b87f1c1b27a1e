"""WSGI entry point: gunicorn wsgi:app."""

from spaces import create_app

app = create_app()
