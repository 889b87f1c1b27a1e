"""A manager accepts a weekly request as a whole with one click, in a real headless Chromium on a phone (375×812)."""

from datetime import time, timedelta

from conftest import log_in_through_the_form
from factories import create_organisation, create_space, make_manager
from sqlalchemy.dialects.postgresql import Range

from spaces.clock import BERLIN, today_local
from spaces.core.availability import wall_time_to_utc
from spaces.db import db
from spaces.models import Booking, BookingSeries, OpeningHours


def test_a_manager_accepts_a_whole_series_with_one_click(live_server, page, artifacts_dir):
    from spaces.accounts import service as accounts

    with live_server.app.app_context():
        session = db.session
        provider = create_organisation(session, name="Nachbarschaftshaus Browser")
        manager = accounts.register(session, email="serie-verwaltung@example.org", display_name="Verwaltung",
                                    password="ein-langes-passwort")
        make_manager(session, manager, provider)
        group = accounts.register(session, email="serie-chor@example.org", display_name="Chor",
                                  password="ein-langes-passwort", organisation_name="Chor Serie").organisations[0]
        space = create_space(session, organisation=provider, name="Serienraum", booking_mode="on_request")
        session.add_all(OpeningHours(space_id=space.id, weekday=d, opens=time(0), closes=time(0)) for d in range(7))
        first = today_local() + timedelta(days=7)
        series = BookingSeries(space_id=space.id, organisation_id=group.id, frequency="weekly", first_day=first,
                               starts=time(18), ends=time(20), count=8)
        session.add(series)
        session.flush()
        for week in range(8):
            day = first + timedelta(weeks=week)
            session.add(Booking(space_id=space.id, organisation_id=group.id, series_id=series.id, status="requested",
                                attendees=10, during=Range(wall_time_to_utc(day, time(18), BERLIN),
                                                           wall_time_to_utc(day, time(20), BERLIN), bounds="[)")))
        session.commit()
        series_id = series.id

    page.set_viewport_size({"width": 375, "height": 812})
    log_in_through_the_form(page, live_server.url, "serie-verwaltung@example.org")
    page.goto(live_server.url + "/verwaltung/anfragen")
    entry = page.locator(f'[data-series="{series_id}"]')
    assert "8 Termine" in entry.locator("h2").inner_text()
    entry.get_by_role("button", name="Alle 8 annehmen").click()
    page.wait_for_url(live_server.url + "/verwaltung/anfragen")
    assert "8 Termine in Serienraum angenommen." in page.locator(".flash").inner_text()
    assert page.locator(f'[data-series="{series_id}"]').count() == 0
    page.screenshot(path=f"{artifacts_dir}/series-accepted-phone.png")
    with live_server.app.app_context():
        statuses = db.session.scalars(Booking.__table__.select().with_only_columns(Booking.status)
                                      .where(Booking.series_id == series_id)).all()
        assert statuses == ["confirmed"] * 8
