"""Logs: the service's own messages reach the server's error log, and no secret reaches a log.

Secrets travel in some paths: the password-reset link, invitations, the e-mail confirmation and an
organisation's private calendar feed. A log line is read by more people, kept longer and copied further
than the mail the link came in, so access logs show these paths with the secret replaced.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

REDACTED = "[redacted]"
_SECRET_IN_PATH = re.compile(
    r"(/passwort-neu/|/einladung/|/konto/bestaetigen/|/organisationen/\d+/kalender/)"
    r"(?!neu(?:[/?#\s\"']|$))([^/?#\s\"']+?)(\.ics)?(?=[/?#\s\"']|$)")
_SECRET_HEADERS = {"{authorization}i", "{cookie}i", "{set-cookie}o", "{http_authorization}e", "{http_cookie}e"}


def redact(text: str) -> str:
    """`text` with the secret part of every secret-bearing path replaced (`/passwort-neu/[redacted]`)."""
    return _SECRET_IN_PATH.sub(rf"\g<1>{REDACTED}\g<3>", text)


def init_logging(app) -> None:
    """Give the service's loggers ("raumfinder.*") a handler: gunicorn's error log when served by gunicorn,
    else stderr. Without one, INFO messages (and with them mails logged for want of SMTP) would vanish."""
    logger = logging.getLogger("raumfinder")
    logger.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    if logger.handlers:
        return
    served_by = logging.getLogger("gunicorn.error")
    if served_by.handlers:
        for handler in served_by.handlers:
            logger.addHandler(handler)
    else:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)


_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def init_request_log(app) -> None:
    """One JSON line per request on the logger "raumfinder.requests" (the error log under gunicorn), with a
    request id: the proxy's X-Request-ID when it is a plain token (nginx: `$request_id`), else a new one. The
    answer carries it back as X-Request-ID, so a person's report ("Fehler-ID …") finds its line. No client
    address and no query string: a line holds what running the service needs, not who asked for what."""
    if not app.config.get("REQUEST_LOG", True):
        return
    app.before_request(_begin)
    app.after_request(_log_request)


def _begin() -> None:
    from flask import g, request

    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
    g.request_log_started = time.perf_counter()


def _log_request(response):
    from flask import g, request

    request_id = g.get("request_id")
    if request_id is None:
        return response
    response.headers["X-Request-ID"] = request_id
    started = g.get("request_log_started", time.perf_counter())
    line = {
        "request_id": request_id, "method": request.method, "path": redact(request.path),
        "endpoint": request.endpoint, "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        "bytes": response.calculate_content_length() if not response.is_streamed else None,
    }
    logging.getLogger("raumfinder.requests").info(json.dumps(line, ensure_ascii=False))
    return response


try:
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # pragma: no cover - gunicorn is a dependency; the app itself runs without it
    _GunicornLogger = object  # type: ignore[assignment,misc]


class GunicornLogger(_GunicornLogger):  # type: ignore[misc,valid-type]
    """gunicorn's logger with secrets taken out of every access-log field (gunicorn.conf.py names it)."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if key.lower() in _SECRET_HEADERS:
                atoms[key] = REDACTED
            elif isinstance(value, str):
                atoms[key] = redact(value)
        return atoms
