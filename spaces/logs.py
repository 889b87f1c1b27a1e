"""Logs: the service's own messages reach the server's error log, and no secret reaches a log.

Secrets travel in some paths: the password-reset link, invitations, the e-mail confirmation and an
organisation's private calendar feed. A log line is read by more people, kept longer and copied further
than the mail the link came in, so access logs show these paths with the secret replaced.
"""

from __future__ import annotations

import logging
import re

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
