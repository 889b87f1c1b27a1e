"""Backups are known to restore: a database with bookings, a series, phases and audit rows is backed up,
restored into a fresh database, and the API answers the same there."""

import json
import tarfile

import pytest
from conftest import make_app, migrated_app, throwaway_database
from factories import demo_and_qm_token
from sqlalchemy import select

from spaces.db import db
from spaces.models import Role, User


def _world(app) -> tuple[str, int]:
    """Demo data, a QM admin's API token, a weekly series and a public one-off booking (audited); committed."""
    with app.app_context():
        token, organisation_id, space_id = demo_and_qm_token(db.session)
        db.session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    slot = {"space_id": space_id, "organisation_id": organisation_id, "from": "10:00", "to": "11:00",
            "attendees": 5, "skip_conflicts": True}
    series = client.post("/api/bookings", json={**slot, "date": "2026-12-07", "frequency": "weekly", "count": 6,
                                                "purpose": "Sprachcafé"}, headers=headers)
    once = client.post("/api/bookings", json={**slot, "date": "2026-12-09", "from": "12:00", "to": "13:00",
                                              "purpose": "Offenes Treffen", "is_public": True}, headers=headers)
    assert series.status_code == 201 and once.status_code == 201, (series.get_json(), once.get_json())
    return token, space_id


def _answers(app, token: str, space_id: int) -> dict:
    client = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    paths = ["/api/spaces?limit=200", f"/api/spaces/{space_id}", f"/api/spaces/{space_id}/availability?date=2026-12-14",
             "/api/phases", "/api/quartiers", f"/raeume/{space_id}/kalender.ics",
             "/api/spaces?date=2026-12-14&from=10:00&to=11:00&limit=200"]
    out = {path: (r.status_code, r.get_data()) for path in paths for r in [client.get(path)]}
    bookings = client.get("/api/bookings", headers=bearer)
    out["/api/bookings"] = (bookings.status_code, bookings.get_data())
    return out


def test_backup_restores_into_a_fresh_database_with_the_same_answers(tmp_path):
    target = tmp_path / "raumfinder.tar"
    with migrated_app("raumfinder_backup") as original:
        token, space_id = _world(original)
        before = _answers(original, token, space_id)
        made = original.test_cli_runner().invoke(args=["backup", "create", str(target)])
        assert made.exit_code == 0, made.output
        with throwaway_database("raumfinder_restored") as fresh:
            done = original.test_cli_runner().invoke(args=["backup", "restore", str(target), "--into", fresh,
                                                           "--files-to", str(tmp_path / "instance")])
            assert done.exit_code == 0, done.output
            assert "alle Zeilenzahlen wie in der Sicherung" in done.output
            restored = make_app(fresh)
            after = _answers(restored, token, space_id)
            with restored.app_context():
                assert db.session.scalar(select(User.email).where(User.role == Role.QM_ADMIN)) == "qm@example.org"
                db.engine.dispose()
            again = original.test_cli_runner().invoke(args=["backup", "restore", str(target), "--into", fresh])
        with original.app_context():
            db.engine.dispose()
    assert {path: status for path, (status, _) in before.items()} == {path: 200 for path in before}
    assert after == before
    assert b"Sprachcaf" in before["/api/bookings"][1]
    assert b"Offenes Treffen" in before[f"/raeume/{space_id}/kalender.ics"][1]
    assert again.exit_code != 0 and "nicht leer" in again.output  # never mixed into live data
    with tarfile.open(target) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["tables"]["audit_log"] > 0 and manifest["tables"]["booking_series"] >= 1
    assert manifest["tables"]["construction_phases"] > 0 and manifest["tables"]["bookings"] >= 7


def test_restore_refuses_a_file_that_is_no_backup(app, tmp_path):
    bogus = tmp_path / "bogus.tar"
    with tarfile.open(bogus, "w") as tar:
        (tmp_path / "x.txt").write_text("x")
        tar.add(tmp_path / "x.txt", arcname="x.txt")
    with throwaway_database("raumfinder_restore_bogus") as fresh:
        result = app.test_cli_runner().invoke(args=["backup", "restore", str(bogus), "--into", fresh])
    assert result.exit_code != 0 and "keine Raumfinder-Sicherung" in result.output


@pytest.mark.parametrize("from_env", [False, True])
def test_the_generated_secret_key_travels_with_the_backup_unless_it_comes_from_the_environment(tmp_path, from_env):
    from spaces.ops.backup import outside_files

    (tmp_path / "secret_key").write_text("k" * 64)
    (tmp_path / "legal").mkdir()
    (tmp_path / "legal" / "impressum.txt").write_text("Impressum")
    files = outside_files(tmp_path, "", secret_from_env=from_env)
    assert ("files/secret_key" in files) is not from_env
    assert files["files/legal/impressum.txt"] == tmp_path / "legal" / "impressum.txt"
