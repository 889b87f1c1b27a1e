"""Logs under gunicorn: the service's messages (mails without SMTP included) reach the error log, and
no secret (reset, invitation, confirmation and feed links, API tokens, cookies) reaches the access log."""

import http.cookiejar
import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import migrated_app, running_gunicorn

from spaces.accounts import service as accounts
from spaces.db import db
from spaces.logs import redact

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("line", "expected"), [
    ("GET /passwort-neu/Ijk.abc-DEF_1 HTTP/1.1", "GET /passwort-neu/[redacted] HTTP/1.1"),
    ("GET /einladung/abc123?x=1", "GET /einladung/[redacted]?x=1"),
    ("POST /konto/bestaetigen/eyJ1.aWQ", "POST /konto/bestaetigen/[redacted]"),
    ('"https://raum.example/organisationen/7/kalender/s3cr3t.ics"',
     '"https://raum.example/organisationen/7/kalender/[redacted].ics"'),
    ("POST /organisationen/7/kalender/neu HTTP/1.1", "POST /organisationen/7/kalender/neu HTTP/1.1"),
    ("GET /raeume/12/kalender.ics HTTP/1.1", "GET /raeume/12/kalender.ics HTTP/1.1"),
    ("GET /organisationen/7/kalender HTTP/1.1", "GET /organisationen/7/kalender HTTP/1.1"),
])
def test_secrets_in_paths_are_redacted_and_nothing_else(line, expected):
    assert redact(line) == expected


def test_gunicorn_logs_mails_without_smtp_and_keeps_secrets_out_of_the_access_log(tmp_path):
    with migrated_app("raumfinder_logs") as app:
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        with app.app_context():
            user = accounts.register(db.session, email="ada@example.org", display_name="Ada",
                                     password="lang-genug-123", organisation_name="Lesekreis")
            organisation_id = user.organisations[0].id
            api_token = accounts.create_api_token(db.session, user, "log")
            db.session.commit()
            db.engine.dispose()
        access, errors = tmp_path / "access.log", tmp_path / "error.log"
        # Started from the project folder, as ./scripts/serve does: gunicorn reads gunicorn.conf.py there.
        with running_gunicorn(
                url, "--access-logfile", str(access), "--error-logfile", str(errors), "--access-logformat",
                '%(h)s "%(r)s" %(s)s "%(f)s" "%({authorization}i)s" "%({cookie}i)s"',
                env={"SECRET_KEY": "log-test", "MAIL_SERVER": ""},
                startup_output=lambda _: errors.read_text() if errors.exists() else "") as base:
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

            def fetch(path, data=None, headers=None):
                request = urllib.request.Request(base + path, data=data, headers=headers or {})
                try:
                    with opener.open(request, timeout=10) as response:
                        return response.status, response.read().decode()
                except urllib.error.HTTPError as err:
                    return err.code, err.read().decode()

            assert fetch("/passwort-neu/GEHEIM-RESET")[0] == 404
            assert fetch("/einladung/GEHEIM-EINLADUNG")[0] == 404
            assert fetch("/konto/bestaetigen/GEHEIM-BESTAETIGUNG")[0] == 404
            assert fetch(f"/organisationen/{organisation_id}/kalender/GEHEIM-FEED.ics",
                         headers={"Referer": f"{base}/passwort-neu/GEHEIM-REFERER"})[0] == 404
            assert fetch("/api/tokens", headers={"Authorization": f"Bearer {api_token}"})[0] == 200

            status, form = fetch("/passwort-vergessen")
            csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
            body = urllib.parse.urlencode({"csrf_token": csrf, "email": "ada@example.org"}).encode()
            assert fetch("/passwort-vergessen", data=body)[0] == 200  # redirected to the login page

    access_log, error_log = access.read_text(), errors.read_text()
    assert "/passwort-vergessen" in access_log and "/api/tokens" in access_log, access_log
    for secret in ("GEHEIM", api_token, "session="):
        assert secret not in access_log, (secret, access_log)
    for path in ("/passwort-neu/[redacted]", "/einladung/[redacted]", "/konto/bestaetigen/[redacted]",
                 f"/organisationen/{organisation_id}/kalender/[redacted].ics"):
        assert path in access_log, (path, access_log)
    assert '"[redacted]"' in access_log, "the Authorization and Cookie headers are not logged"

    # without SMTP the reset mail is in the error log, whole, with its link: nothing vanishes
    assert "Mail (kein SMTP eingestellt) an ada@example.org: Raumfinder: neues Passwort" in error_log, error_log
    assert re.search(r"http://\S+/passwort-neu/\S+", error_log)
