"""The outbox page: QM admins see what waits, what was given up on and why, and send it again."""

import socket

import pytest
from factories import csrf_of, login_as
from sqlalchemy import select

from spaces import outbox
from spaces.models import OutboxMail


def _closed_port() -> int:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def mails(session):
    outbox.queue([outbox.Outgoing("wartet@example.org", "Raumfinder: Anfrage", "Text mit https://x/passwort-neu/GEHEIM"),
                  outbox.Outgoing("aufgegeben@example.org", "Raumfinder: Einladung", "Einladung <b>"),
                  outbox.Outgoing("zugestellt@example.org", "Raumfinder: bestätigt", "Text")])
    session.flush()
    waiting, given_up, sent = session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()
    waiting.attempts, waiting.last_error = 2, "ConnectionRefusedError: [Errno 111] Connection refused"
    given_up.attempts, given_up.last_error = outbox.MAX_ATTEMPTS, "SMTPRecipientsRefused: <script>x</script>"
    from spaces.clock import now_utc

    sent.sent_at, sent.attempts = now_utc(), 1
    session.flush()
    return waiting, given_up, sent


def test_qm_admins_see_waiting_given_up_and_sent_mails_without_their_text(client, session, mails):
    login_as(client, session, "qm_admin")
    page = client.get("/verwaltung/mails")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-count="waiting">1<' in html and 'data-count="given-up">1<' in html and 'data-count="sent">1<' in html
    for recipient in ("wartet@example.org", "aufgegeben@example.org", "zugestellt@example.org"):
        assert recipient in html
    assert "Connection refused" in html
    assert "GEHEIM" not in html, "mail texts may hold personal links: not shown"
    assert "<script>x</script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    assert html.count("Erneut versuchen") == 1, "only the given-up mail gets the button"
    assert 'href="/verwaltung/mails"' in html, "in the QM admin's navigation"


@pytest.mark.parametrize("role", [None, "member", "space_manager"])
def test_nobody_else_sees_the_outbox(client, session, mails, role):
    if role:
        login_as(client, session, role)
    page = client.get("/verwaltung/mails")
    assert page.status_code == (302 if role is None else 403)
    csrf = csrf_of(client.get("/anmelden"))
    for path in (f"/verwaltung/mails/{mails[1].id}/erneut", "/verwaltung/mails/zustellen"):
        assert client.post(path, data={"csrf_token": csrf}).status_code == (302 if role is None else 403)
    assert session.get(OutboxMail, mails[1].id).attempts == outbox.MAX_ATTEMPTS


def test_a_given_up_mail_is_sent_again_and_delivery_can_be_started(client, session, app, mails, outbox_log):
    waiting, given_up, _ = mails
    login_as(client, session, "qm_admin")
    csrf = csrf_of(client.get("/verwaltung/mails"))
    answer = client.post(f"/verwaltung/mails/{given_up.id}/erneut", data={"csrf_token": csrf})
    assert answer.status_code == 302
    session.refresh(given_up)
    assert given_up.sent_at is not None and given_up.attempts == 1
    assert "Die Mail an aufgegeben@example.org ist zugestellt." in client.get("/verwaltung/mails").get_data(
        as_text=True)
    # just that one: the other waiting mail goes with the next round ("jetzt zustellen" or cron)
    session.refresh(waiting)
    assert waiting.sent_at is None
    assert [m["To"] for m in outbox_log] == ["aufgegeben@example.org"]
    assert client.post("/verwaltung/mails/zustellen", data={"csrf_token": csrf}).status_code == 302
    session.refresh(waiting)
    assert waiting.sent_at is not None

    # a sent mail is not sent twice; an unknown one is 404
    assert client.post(f"/verwaltung/mails/{given_up.id}/erneut", data={"csrf_token": csrf}).status_code == 409
    assert client.post("/verwaltung/mails/999999/erneut", data={"csrf_token": csrf}).status_code == 404


def test_delivering_while_the_mail_server_is_down_keeps_the_mails_and_says_so(client, session, app, mails,
                                                                                monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", _closed_port())
    login_as(client, session, "qm_admin")
    csrf = csrf_of(client.get("/verwaltung/mails"))
    assert client.post("/verwaltung/mails/zustellen", data={"csrf_token": csrf}).status_code == 302
    assert "0 Mails zugestellt, 1 warten noch." in client.get("/verwaltung/mails").get_data(as_text=True)
    session.refresh(mails[0])
    assert mails[0].sent_at is None and mails[0].attempts == 3

    answer = client.post(f"/verwaltung/mails/{mails[1].id}/erneut", data={"csrf_token": csrf})
    assert answer.status_code == 302
    page = client.get("/verwaltung/mails").get_data(as_text=True)
    assert "Die Mail an aufgegeben@example.org ging wieder nicht hinaus: ConnectionRefusedError" in page


@pytest.fixture
def outbox_log(app):
    box = app.extensions.setdefault("raumfinder_outbox", [])
    box.clear()
    return box


def test_an_unreachable_mail_server_costs_one_attempt_per_round_not_one_per_mail(session, app, monkeypatch):
    outbox.queue([outbox.Outgoing(f"person{i}@example.org", "Raumfinder: Test", "Text") for i in range(5)])
    session.flush()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", _closed_port())
    assert outbox.deliver() == 0
    attempts = [m.attempts for m in session.scalars(select(OutboxMail).order_by(OutboxMail.id))]
    assert attempts == [1, 0, 0, 0, 0]
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    assert outbox.deliver() == 5
