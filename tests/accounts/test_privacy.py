"""Data protection as self-service: the export holds the person's data and nothing of others; deleting the
account keeps its bookings as anonymous occupancy and removes the person; retention removes exactly what is due."""

import json
from datetime import timedelta

import pytest
from factories import create_booking, create_space, csrf_of, log_in, utc
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from spaces.accounts import service as accounts
from spaces.accounts.privacy import delete_account, export
from spaces.booking.rules import audit
from spaces.clock import now_utc
from spaces.models import ApiToken, AuditEntry, Booking, OutboxMail, User, UserSession
from spaces.ops.retention import run

PASSWORD = "ein-langes-passwort"


def _two_members(session):
    """Alice and Bob in one initiative, each with a booking, a mail and an audit entry naming the other."""
    alice = accounts.register(session, email="alice@example.org", display_name="Alice Anders", password=PASSWORD,
                              organisation_name="Nachbarschaftscafé")
    organisation = alice.organisations[0]
    bob = accounts.register(session, email="bob@example.org", display_name="Bob Berg", password=PASSWORD)
    bob.organisations.append(organisation)
    space = create_space(session)
    mine = create_booking(session, space, utc(2026, 12, 7, 17), organisation_id=organisation.id,
                          requester_id=alice.id, purpose="Elterncafé mit Alice", is_public=True)
    theirs = create_booking(session, space, utc(2026, 12, 8, 17), organisation_id=organisation.id,
                            requester_id=bob.id, purpose="Bobs Chor")
    accounts.create_api_token(session, alice, "Kalender")
    session.add_all([OutboxMail(recipient="alice@example.org", subject="Für Alice", body="…"),
                     OutboxMail(recipient="bob@example.org", subject="Für Bob", body="…")])
    audit(session, alice, "membership.invited", organisation, email="bob@example.org", role="member")
    audit(session, bob, "membership.removed", organisation, member_id=alice.id, member="alice@example.org")
    session.flush()
    return alice, bob, space, mine, theirs


def test_the_export_holds_the_persons_data_and_nothing_of_others(session):
    alice, bob, space, mine, theirs = _two_members(session)
    data = export(session, alice)
    dumped = json.dumps(data, ensure_ascii=False)
    assert data["account"]["email"] == "alice@example.org" and data["account"]["name"] == "Alice Anders"
    assert [b["id"] for b in data["bookings"]] == [mine.id] and data["bookings"][0]["purpose"] == "Elterncafé mit Alice"
    assert data["organisations"][0]["name"] == "Nachbarschaftscafé"
    assert [t["name"] for t in data["api_tokens"]] == ["Kalender"]
    assert [m["subject"] for m in data["mails_to_you"]] == ["Für Alice"]
    assert [a["action"] for a in data["your_actions"]] == ["membership.invited"]
    for other in ("bob@example.org", "Bob Berg", "Bobs Chor", "Für Bob"):
        assert other not in dumped
    assert "password_hash" not in dumped and alice.password_hash not in dumped


def test_the_download_is_a_json_attachment_for_the_logged_in_person_only(app, client, session):
    alice, *_ = _two_members(session)
    assert client.get("/konto/daten.json").status_code in (302, 401)
    log_in(client, session, alice)
    answer = client.get("/konto/daten.json")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    assert answer.headers["Content-Disposition"].startswith("attachment;")
    assert answer.get_json()["account"]["email"] == "alice@example.org"
    page = client.get("/konto/daten")
    assert page.status_code == 200 and "Nachbarschaftscaf" in page.get_data(as_text=True)


def test_deleting_the_account_keeps_occupancy_and_removes_the_person(app, client, session):
    alice, bob, space, mine, theirs = _two_members(session)
    alice_id = alice.id
    log_in(client, session, alice)
    form = csrf_of(client.get("/konto/daten"))
    wrong = client.post("/konto/loeschen", data={"csrf_token": form, "password": "falsch-falsch", "understood": "y"})
    assert wrong.status_code == 422 and "Das Passwort stimmt nicht." in wrong.get_data(as_text=True)
    unticked = client.post("/konto/loeschen", data={"csrf_token": form, "password": PASSWORD})
    assert unticked.status_code == 422 and session.get(User, alice_id) is not None

    done = client.post("/konto/loeschen", data={"csrf_token": form, "password": PASSWORD, "understood": "y"})

    assert done.status_code == 302
    session.expire_all()
    assert session.get(User, alice_id) is None
    kept = session.get(Booking, mine.id)
    assert (kept.status, kept.requester_id, kept.purpose, kept.is_public) == ("confirmed", None, "", False)
    assert kept.organisation_id == theirs.organisation_id  # the group keeps its booking
    assert session.get(Booking, theirs.id).purpose == "Bobs Chor"  # others' data untouched
    week = client.get(f"/api/spaces/{space.id}/availability?from=2026-12-07&to=2026-12-08").get_json()
    assert ("belegt", "2026-12-07T18:00") in [(b["title"], b["start"][:16]) for b in week["busy"]]
    everything = session.execute(text("SELECT details::text, coalesce(actor_id, 0) FROM audit_log")).all()
    assert not any("alice@example.org" in details or actor == alice_id for details, actor in everything)
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "account.deleted",
                                                   AuditEntry.object_id == str(alice_id))) is not None
    assert session.scalar(select(AuditEntry.actor_id).where(AuditEntry.action == "membership.removed")) == bob.id
    assert [m.recipient for m in session.scalars(select(OutboxMail))] == ["bob@example.org"]
    assert session.scalar(select(ApiToken).where(ApiToken.user_id == alice_id)) is None
    assert client.get("/konto/daten").status_code == 302  # logged out: the session went with the account


def test_a_deleted_persons_slot_stays_taken(session):
    """The exclusion constraint, the last word of every booking path, still sees the anonymous booking."""
    alice, bob, space, mine, _ = _two_members(session)
    delete_account(session, alice)
    session.flush()
    with pytest.raises(IntegrityError), session.begin_nested():
        create_booking(session, space, utc(2026, 12, 7, 17, 30), hours=1, organisation_id=mine.organisation_id,
                       requester_id=bob.id)


def test_retention_removes_exactly_what_is_due(session, clock):
    now = now_utc()
    user = accounts.register(session, email="carla@example.org", display_name="Carla", password=PASSWORD)
    session.add_all([
        UserSession(user_id=user.id, token_hash="a" * 64, expires_at=now - timedelta(seconds=1)),
        UserSession(user_id=user.id, token_hash="b" * 64, expires_at=now + timedelta(hours=1)),
        OutboxMail(recipient="x@example.org", subject="old", body="", sent_at=now - timedelta(days=31)),
        OutboxMail(recipient="x@example.org", subject="recent", body="", sent_at=now - timedelta(days=29)),
        OutboxMail(recipient="x@example.org", subject="unsent", body="", created_at=now - timedelta(days=90)),
        AuditEntry(action="a.old", object_type="x", object_id="1", details={"name": "Carla"},
                   at=now - timedelta(days=731)),
        AuditEntry(action="a.recent", object_type="x", object_id="2", details={"name": "Carla"},
                   at=now - timedelta(days=729)),
    ])
    session.execute(text("INSERT INTO rate_limits (key, count, expires_at) VALUES ('old', 1, :a), ('new', 1, :b)"),
                    {"a": now - timedelta(seconds=1), "b": now + timedelta(minutes=1)})
    session.flush()

    done = run(session, guest_days=30, outbox_days=30, audit_days=730)

    assert done["sessions"] == 1 and done["sent_mails"] == 1 and done["audit_details"] == 1
    assert done["rate_limit_counters"] >= 1  # ours, and any spent counter other tests' requests left behind
    assert sorted(m.subject for m in session.scalars(select(OutboxMail))) == ["recent", "unsent"]
    details = dict(session.execute(select(AuditEntry.action, AuditEntry.details)).all())
    assert details == {"a.old": {}, "a.recent": {"name": "Carla"}}
    assert [s.token_hash[0] for s in session.scalars(select(UserSession))] == ["b"]
    assert session.execute(text("SELECT key FROM rate_limits WHERE key IN ('old', 'new')")).scalars().all() == ["new"]
    again = run(session, guest_days=30, outbox_days=30, audit_days=730)
    assert not any(v for k, v in again.items() if k != "rate_limit_counters")


def test_the_retention_command_reports_what_it_deleted(app, session):
    result = app.test_cli_runner().invoke(args=["retention", "run"])
    assert result.exit_code == 0 and result.output.startswith("Gelöscht:") and "sent_mails" in result.output
