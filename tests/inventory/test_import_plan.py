"""The import plan and apply (spaces.inventory.service): matching, refusals with reasons, all or nothing."""

from pathlib import Path

import pytest
from factories import create_organisation, create_space, make_manager
from sqlalchemy import func, select

from spaces.accounts import service as accounts
from spaces.core.errors import Conflict
from spaces.inventory import service
from spaces.inventory.rows import RawRow
from spaces.inventory.service import Action, Importer
from spaces.models import AuditEntry, OpeningHours, Organisation, Site, Space

DATA = Path(__file__).resolve().parent.parent / "data"
CLI = Importer(None, None)


def row(ref="Zeile 2", **values):
    base = {"external_id": "T-1", "name": "Treff am Park", "provider": "Testverein", "address": "Parkweg 1",
            "lat": "52,37", "lon": "9,74", "capacity": "20"}
    base.update(values)
    return RawRow(ref=ref, values={k: v for k, v in base.items() if v is not ...})


def plan_of(session, *rows, importer=CLI):
    return service.plan_rows(session, list(rows), importer)


def reasons(plan, index=0):
    return " ".join(plan.entries[index].reasons)


def count_spaces(session):
    return session.scalar(select(func.count()).select_from(Space))


@pytest.mark.parametrize("values, reason", [
    ({"name": None}, "Der Name fehlt."),
    ({"lat": None}, "Keine Koordinaten – Adressen werden nicht geocodiert."),
    ({"lat": "Nord"}, "Breite „Nord“ ist keine Zahl."),
    ({"available_from": "bald"}, "Verfügbar ab „bald“ ist kein Datum"),
    ({"available_until": "9999-12-31"}, "Verfügbar bis „9999-12-31“ ist kein Datum"),
    ({"available_from": "01.09.2027", "available_until": "2027-08-31"}, "Verfügbar ab 2027-09-01 liegt nach"),
    ({"lat": "52,54", "lon": "13,41"}, "liegt außerhalb der Stadt"),
    ({"capacity": "viele"}, "Kapazität „viele“ ist keine Zahl."),
    ({"capacity": "12,5"}, "Kapazität „12,5“ ist keine ganze Zahl."),
    ({"capacity": "0"}, "bitte 1 bis 10.000 Personen"),
    ({"capacity": None}, "Keine Kapazität angegeben"),
    ({"kind": "Turnhalle"}, "Art „Turnhalle“ kenne ich nicht"),
    ({"booking_mode": "manchmal"}, "Buchung „manchmal“ kenne ich nicht"),
    ({"bookable_by": "Freunde"}, "„Wer darf buchen“ „Freunde“ kenne ich nicht"),
    ({"step_free": "vielleicht"}, "stufenlos „vielleicht“: bitte ja oder nein."),
    ({"equipment": "Beamer, Sauna"}, "Ausstattung „sauna“ kenne ich nicht"),
    ({"opening_hours": "Mo-Fr 9-18"}, "Öffnungszeiten: „9“ in „Mo-Fr 9-18“ ist keine Uhrzeit"),
    ({"opening_hours": "PH off"}, "Öffnungszeiten:"),
    ({"area_m2": "groß"}, "Fläche „groß“ ist keine Zahl."),
    ({"cost_eur": "-5"}, "Kosten -5: bitte 0 (kostenlos) bis 100.000 Euro."),
    ({"provider": None}, "Kein Träger angegeben, und für die Datei ist keiner gewählt."),
    ({"name": "Raum\x00"}, "Name enthält Steuerzeichen."),
])
def test_each_refusal_says_why(session, values, reason):
    plan = plan_of(session, row(**values))
    assert [e.action for e in plan.entries] == [Action.REFUSE]
    assert reason in reasons(plan)


def test_values_in_german_words_are_read(session):
    plan = plan_of(session, row(kind="Saal", booking_mode="sofort", bookable_by="Mitglieder", step_free="x",
                                accessible_wc="nein", equipment="Beamer; Küche", area_m2="48,5", cost_eur="3,50",
                                opening_hours="Mo-Fr 09:00-18:00"))
    checked = plan.checked[0]
    assert plan.entries[0].action == Action.CREATE, reasons(plan)
    assert checked.values["kind"] == "hall" and checked.values["booking_mode"] == "instant"
    assert checked.values["bookable_by"] == "listed" and checked.values["step_free"] is True
    assert checked.values["equipment"] == ["kitchen", "projector"]
    assert str(checked.values["area_m2"]) == "48.5" and str(checked.values["cost_eur"]) == "3.50"
    assert len(checked.hours) == 5


def test_wheelchair_limited_is_not_step_free_and_says_so(session):
    plan = plan_of(session, row(step_free="limited"))
    assert plan.checked[0].values["step_free"] is False
    assert "eingeschränkt" in plan.entries[0].notes[0]


def test_duplicate_external_id_refuses_the_later_row_naming_the_first(session):
    plan = plan_of(session, row("Zeile 2"), row("Zeile 3", name="Anderer Name"), row("Zeile 4", name="Dritter"))
    assert [e.action for e in plan.entries] == [Action.CREATE, Action.REFUSE, Action.REFUSE]
    assert "Die Kennung „T-1“ steht schon in Zeile 2." in reasons(plan, 1)
    assert "Zeile 2" in reasons(plan, 2)


def test_the_sample_csv_preview_counts_and_writes_nothing(session):
    plan = service.plan_file(session, filename="inventory.csv", data=(DATA / "inventory.csv").read_bytes(),
                             importer=CLI)
    by_ref = {e.ref: e for e in plan.entries}
    assert (plan.created, plan.updated, plan.unchanged, plan.refused) == (4, 0, 0, 4)
    assert "Keine Koordinaten" in " ".join(by_ref["Zeile 4"].reasons)
    assert "außerhalb der Stadt" in " ".join(by_ref["Zeile 6"].reasons)
    assert "Kapazität „viele“ ist keine Zahl." in by_ref["Zeile 7"].reasons
    assert "Zeile 3" in " ".join(by_ref["Zeile 8"].reasons)
    assert "neuer Träger „Wohnungsgenossenschaft Kronsberg eG“" in by_ref["Zeile 2"].notes
    assert count_spaces(session) == 0 and session.scalar(select(func.count()).select_from(Organisation)) == 0


def test_apply_writes_everything_and_a_reimport_changes_nothing(session):
    data = (DATA / "inventory.csv").read_bytes()
    counts = service.apply(session, service.plan_file(session, filename="inventory.csv", data=data, importer=CLI))
    assert (counts.created, counts.updated, counts.refused) == (4, 0, 4)
    library = session.scalar(select(Space).where(Space.external_id == "KR-006"))
    assert (library.name, library.kind, library.capacity, library.booking_mode) == (
        "Stadtteilbibliothek Kronsberg", "room", 40, "instant")
    assert library.equipment == ["projector", "wifi"] and library.lift and library.hearing_loop
    assert library.site.address == "Thie 6, 30539 Hannover"
    assert library.site.organisation.name == "Stadtbibliothek Hannover"
    assert [(h.weekday, f"{h.opens:%H:%M}", f"{h.closes:%H:%M}") for h in library.opening_hours] == [
        (1, "10:00", "18:00"), (3, "10:00", "18:00"), (5, "10:00", "13:00")]
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "inventory.imported"))
    assert entry.details["created"] == 4 and entry.details["refused"] == 4

    again = service.plan_file(session, filename="inventory.csv", data=data, importer=CLI)
    assert (again.created, again.updated, again.unchanged, again.refused) == (0, 0, 4, 4)
    assert count_spaces(session) == 4


def test_a_changed_capacity_updates_the_same_space(session):
    service.apply(session, plan_of(session, row(opening_hours="Mo 10:00-12:00")))
    space_id = session.scalar(select(Space.id))
    plan = plan_of(session, row(capacity="35"))
    assert [e.action for e in plan.entries] == [Action.UPDATE]
    assert plan.entries[0].changed == ["capacity"] and plan.entries[0].space_id == space_id
    service.apply(session, plan)
    space = session.get(Space, space_id)
    assert space.capacity == 35 and len(space.opening_hours) == 1  # no opening_hours: hours left as they are
    service.apply(session, plan_of(session, row(capacity="35", opening_hours="Tu,We 18:00-22:00")))
    assert [h.weekday for h in session.get(Space, space_id).opening_hours] == [1, 2]
    assert count_spaces(session) == 1


def test_a_row_without_external_id_matches_provider_address_and_name(session):
    service.apply(session, plan_of(session, row(external_id=None, capacity="10")))
    plan = plan_of(session, row(external_id=None, capacity="12", name="TREFF AM PARK"))
    assert [e.action for e in plan.entries] == [Action.UPDATE]
    plan = plan_of(session, row(external_id="neu-7", capacity="10"))  # the id is adopted
    assert plan.entries[0].changed == ["external_id"]
    service.apply(session, plan)
    assert session.scalar(select(Space.external_id)) == "neu-7" and count_spaces(session) == 1


def test_a_row_without_address_gets_its_coordinates_as_address(session):
    service.apply(session, plan_of(session, row(address=None, lat="52.3745", lon="9.7386")))
    assert session.scalar(select(Site.address)) == "52.374500, 9.738600"


def test_a_space_manager_imports_only_for_their_provider(session):
    manager = accounts.register(session, email="m@example.org", display_name="M", password="ein-langes-passwort")
    mine = create_organisation(session, name="Mein Verein")
    other = create_organisation(session, name="Fremder Verein")
    make_manager(session, manager, mine)
    theirs = create_space(session, organisation=other, external_id="FREMD-1", name="Fremder Raum")
    importer = Importer(manager, "Mein Verein")
    plan = plan_of(session, row("Zeile 2", provider=None),
                   row("Zeile 3", external_id="FREMD-1", provider=None, capacity="99"),
                   row("Zeile 4", external_id="X-2", provider="Fremder Verein"),
                   row("Zeile 5", external_id="X-3", provider="Ganz neu e.V."), importer=importer)
    assert [e.action for e in plan.entries] == [Action.CREATE, Action.REFUSE, Action.REFUSE, Action.REFUSE]
    assert "gehört zu einem Raum von „Fremder Verein“, den Sie nicht verwalten" in reasons(plan, 1)
    assert "Sie verwalten die Räume von „Fremder Verein“ nicht." in reasons(plan, 2)
    assert "neue Träger legt die QM an" in reasons(plan, 3)
    service.apply(session, plan)
    session.refresh(theirs)
    assert theirs.capacity == 20
    assert session.scalar(select(Space).where(Space.external_id == "T-1")).site.organisation_id == mine.id


def test_apply_refuses_when_the_database_changed_since_the_plan(session):
    plan = plan_of(session, row(), row("Zeile 3", external_id="T-2", name="Zweiter Raum"))
    create_space(session, external_id="T-1", name="Inzwischen angelegt")  # someone was faster
    with pytest.raises(service.PlanOutdated, match="Zeile 2"):
        service.apply(session, plan)
    assert count_spaces(session) == 1
    assert session.scalar(select(func.count()).select_from(Organisation).where(Organisation.name == "Testverein")) == 0


def test_a_failure_while_writing_leaves_nothing_half_written(session, monkeypatch):
    plan = plan_of(session, row(opening_hours="Mo 10:00-12:00"), row("Zeile 3", external_id="T-2", name="Zwei"))
    real_copy = service._copy

    def failing_copy(session_, statement, rows):
        if statement.startswith("COPY opening_hours"):  # after organisations, sites and spaces went in
            statement = statement.replace("weekday", "no_such_column")
        return real_copy(session_, statement, rows)

    monkeypatch.setattr(service, "_copy", failing_copy)
    with pytest.raises(Conflict, match="es wurde nichts geändert"):
        service.apply(session, plan)
    assert count_spaces(session) == 0
    assert session.scalar(select(func.count()).select_from(Site)) == 0
    assert session.scalar(select(func.count()).select_from(Organisation)) == 0


def test_imported_hours_make_the_space_free_in_search(session, client):
    service.apply(session, plan_of(session, row(opening_hours="Mo-Fr 09:00-18:00", booking_mode="sofort")))
    session.commit()
    def names(window):
        answer = client.get(f"/api/spaces?date=2026-11-25&{window}&lat=52.37&lon=9.74&walk=10")
        assert answer.status_code == 200
        return [f["properties"]["name"] for f in answer.get_json()["features"]]

    assert names("from=10:00&to=12:00") == ["Treff am Park"]  # a Wednesday, open 09:00-18:00
    assert names("from=19:00&to=20:00") == []
    assert session.scalar(select(func.count()).select_from(OpeningHours)) == 5
