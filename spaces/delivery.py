"""How answers travel: static files under URLs that carry their content hash, cached for a year; public
JSON and static files compressed (brotli or gzip).

* `url_for("static", filename=...)` adds `?v=<hash of the file>`: a changed file gets a new URL, so the
  browser may keep every versioned file for a year without asking again (`immutable`). Unversioned
  static URLs keep Flask's revalidation.
* Compressed: static files, GET answers of the public API (map data, the OpenAPI document) and the pages
  of visitors who are not logged in (residents on a phone). Not the pages or answers of a logged-in
  person: they carry secrets worth stealing (the CSRF token that guards bookings, API tokens), and
  compressing a secret beside text an attacker can choose leaks it through the size (BREACH).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Flask, request
from flask_compress import Compress
from flask_login import current_user

YEAR = 365 * 24 * 3600
COMPRESSED_TYPES = ["text/html", "text/css", "text/javascript", "application/javascript", "application/json",
                    "application/geo+json", "image/svg+xml", "text/plain"]
PUBLIC_API = ("api", "openapi")  # blueprints of the public API (the booking API answers with personal data)

compress = Compress()


@lru_cache(maxsize=1024)
def _content_hash(path: str, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def file_version(static_folder: str, filename: str) -> str | None:
    """The content hash of a static file (recomputed when it changes), None when there is no such file."""
    path = Path(static_folder) / filename
    try:
        stat = path.stat()
    except (OSError, ValueError):
        return None
    return _content_hash(str(path), stat.st_mtime_ns, stat.st_size) if path.is_file() else None


def _compressible() -> bool:
    if request.method != "GET":
        return False
    if request.endpoint == "static" or request.blueprint in PUBLIC_API:
        return True
    return not current_user.is_authenticated


def init_delivery(app: Flask) -> None:
    app.config.setdefault("COMPRESS_REGISTER", False)  # compressed only where _compressible() says so
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["br", "gzip"])  # static files are streamed
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    app.config.setdefault("COMPRESS_BR_LEVEL", 5)
    compress.init_app(app)

    @app.url_defaults
    def _version_static(endpoint, values):
        if endpoint == "static" and "v" not in values and values.get("filename"):
            version = file_version(app.static_folder, values["filename"])
            if version:
                values["v"] = version

    @app.after_request
    def _cache_and_compress(response):
        if request.endpoint == "static" and request.args.get("v") and response.status_code in (200, 304):
            response.cache_control.public = True
            response.cache_control.max_age = YEAR
            response.cache_control.immutable = True
            response.cache_control.no_cache = None
        if _compressible():
            response = compress.after_request(response)
        return response
