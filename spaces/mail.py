"""Outgoing mail: sent through SMTP when configured, otherwise written to the log (works out of the box)."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

log = logging.getLogger("raumfinder.mail")


def send_mail(to: str, subject: str, body: str) -> None:
    """Send a plain-text mail, or log it when no MAIL_SERVER is configured."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config.get("MAIL_FROM", "raumfinder@localhost")
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    server = config.get("MAIL_SERVER")
    if not server:
        # WARNING: shown by Python's default handler too, so under gunicorn it reaches the error log.
        log.warning("Mail (kein SMTP eingestellt) an %s: %s\n%s", to, subject, body)
    else:
        with smtplib.SMTP(server, int(config.get("MAIL_PORT", 587)), timeout=10) as smtp:
            if config.get("MAIL_USE_TLS", True):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD", ""))
            smtp.send_message(message)
    outbox = current_app.extensions.setdefault("raumfinder_outbox", [])
    outbox.append(message)  # tests read what was sent
    del outbox[:-100]
