"""Absolute links (in mails and feeds) from configuration, never from the request's Host header."""

from __future__ import annotations

from flask import current_app


def absolute_url(endpoint: str, **values) -> str:
    """The full URL of an endpoint under RAUMFINDER_BASE_URL; works outside requests (mails, commands)."""
    base = current_app.config["BASE_URL"].rstrip("/")
    adapter = current_app.url_map.bind("raumfinder.invalid")  # only the path is taken from it
    return base + adapter.build(endpoint, values)
