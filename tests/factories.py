"""Factories for test data: create_space(session, **params) and friends."""

from datetime import UTC, date, datetime, time, timedelta
from itertools import count

from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy.dialects.postgresql import Range

from spaces.models import Booking, Organisation, Site, Space

_seq = count(1)
HANNOVER = (9.7386, 52.3745)


def create_organisation(session, **params) -> Organisation:
    n = next(_seq)
    org = Organisation(**{"key": f"org-{n}", "name": f"Verein {n}", "kind": "association", **params})
    session.add(org)
    session.flush()
    return org


def create_space(session, *, lon=HANNOVER[0], lat=HANNOVER[1], organisation=None, **params) -> Space:
    organisation = organisation or create_organisation(session)
    point = from_shape(Point(lon, lat), srid=4326)
    site = Site(organisation=organisation, address=f"Teststraße {next(_seq)}, Hannover", location=point)
    session.add(site)
    session.flush()
    space = Space(**{"site_id": site.id, "name": f"Raum {next(_seq)}", "kind": "room", "capacity": 20,
                     "location": point, **params})
    session.add(space)
    session.flush()
    return space


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def create_booking(session, space, start: datetime, hours: float = 2, **params) -> Booking:
    booking = Booking(**{"space_id": space.id, "during": Range(start, start + timedelta(hours=hours), bounds="[)"),
                         "status": "confirmed", "attendees": 10, **params})
    session.add(booking)
    session.flush()
    return booking


def make_manager(session, user, organisation) -> None:
    """Make `user` a space manager of `organisation` (membership with the manager right)."""
    from spaces.models import memberships

    if organisation not in user.organisations:
        user.organisations.append(organisation)
        session.flush()
    session.execute(memberships.update().where(
        memberships.c.user_id == user.id, memberships.c.organisation_id == organisation.id).values(is_manager=True))
    if user.role == "member":
        user.role = "space_manager"
    session.flush()


def csrf_of(page) -> str:
    """The CSRF token of a page (a response or its HTML): a form's hidden field, else the meta tag."""
    import re

    html = page if isinstance(page, str) else page.get_data(as_text=True)
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'name="csrf-token" content="([^"]+)"', html)
    assert found, f"no CSRF token on the page ({getattr(page, 'status_code', 'html')})"
    return found.group(1)


def log_in(client, session, user):
    """Log `user` in on `client` through a real login session (as the login form would)."""
    from spaces.accounts import service as accounts

    token = accounts.open_session(session, user)
    session.flush()
    with client.session_transaction() as cookie:
        cookie["_user_id"] = token
        cookie["_fresh"] = True
    return user


def login_as(client, session, role="qm_admin"):
    """A user with `role` (email <role>@example.org), logged in on `client`."""
    from spaces.accounts import service as accounts

    user = accounts.register(session, email=f"{role}@example.org", display_name=role, password="ein-langes-passwort")
    user.role = role
    return log_in(client, session, user)


def guest_requests(session, space) -> tuple[str, str]:
    """Two guest requests for an on-request space: one waiting for its confirmation, one confirmed (a request
    in the managers' inbox); the raw opt-in token of the first and the cancel token of the second, as mailed."""
    from spaces.booking import guests

    def send(day, email):
        sent = guests.send_request(session, space, interval=guests.interval_of(day, time(10), time(12)),
                                   attendees=5, purpose="Fest", name="Gül Yilmaz", email=email,
                                   group_name="Hausgemeinschaft Kronsberg 12")
        return sent.mails[0].body.split("/gastanfrage/bestaetigen/")[1].split()[0]

    optin = send(date(2026, 12, 5), "gast1@example.org")
    confirmed = guests.confirm(session, send(date(2026, 12, 6), "gast2@example.org"))
    return optin, confirmed.mails[0].body.split("/gastanfrage/absagen/")[1].split()[0]


def waitlist_states(session, space, waiting) -> None:
    """`waiting` (a member of one group) waits for a date another group holds in `space`, and is offered a second
    date that the other group gave back: the two states "Meine Buchungen" shows for the waitlist."""
    from spaces.accounts import service as accounts
    from spaces.booking import rules, waitlist
    from spaces.booking import service as booking_service
    from spaces.core.availability import BERLIN, Interval

    other = accounts.register(session, email="treff@example.org", display_name="Tara", password="ein-langes-passwort",
                              organisation_name="Nachbarschaftstreff")
    slots = [Interval(datetime(2026, 12, d, 10, tzinfo=BERLIN), datetime(2026, 12, d, 12, tzinfo=BERLIN))
             for d in (10, 11)]
    held = booking_service.request_booking(session, user=other, organisation=other.organisations[0], space=space,
                                           slots=slots, attendees=8, purpose="Sprachcafé")
    waitlist.join(session, user=waiting, organisation=waiting.organisations[0], space=space, slots=slots,
                  attendees=8, purpose="Stimmproben")
    rules.cancel(session, held.created[1], other)  # the second date is offered to the waiting group
    session.flush()


def demo_and_qm_token(session, password: str = "ein-langes-passwort") -> tuple[str, int, int]:
    """The demo data and a QM admin (qm@example.org) with an API token: (token, the admin's group, the first
    space every group may book at once). The caller commits."""
    from sqlalchemy import select

    from spaces.accounts import service as accounts
    from spaces.dev.demo import load
    from spaces.models import Role

    load(session)
    user = accounts.register(session, email="qm@example.org", display_name="QM", password=password,
                             organisation_name="Stadtteilrunde")
    user.role = Role.QM_ADMIN
    token = accounts.create_api_token(session, user, "token")
    space_id = session.scalars(select(Space.id).where(Space.booking_mode == "instant",
                                                      Space.bookable_by == "everyone").order_by(Space.id)).first()
    return token, user.organisations[0].id, space_id
