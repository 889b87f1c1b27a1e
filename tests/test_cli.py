"""The flask commands: demo data and the first QM admin."""

from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from spaces.models import Role, Space, User


def test_create_admin_makes_a_qm_admin_with_a_hashed_password(app, session):
    result = app.test_cli_runner().invoke(args=["users", "create-admin", "QM@Example.org", "--name", "QM Kronsrode",
                                                "--password", "sehr-geheim-123"])
    assert result.exit_code == 0, result.output
    assert "QM-Admin qm@example.org ist angelegt." in result.output
    user = session.scalars(select(User).filter_by(email="qm@example.org")).one()
    assert user.role == Role.QM_ADMIN and user.display_name == "QM Kronsrode"
    assert user.password_hash != "sehr-geheim-123" and check_password_hash(user.password_hash, "sehr-geheim-123")


def test_create_admin_refuses_a_short_password_and_stores_nothing(app, session):
    result = app.test_cli_runner().invoke(args=["users", "create-admin", "qm@example.org", "--password", "kurz"])
    assert result.exit_code != 0
    assert "mindestens 10 Zeichen" in result.output
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_demo_load_twice_reports_the_same_and_stores_once(app, session):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    second = runner.invoke(args=["demo", "load"])
    assert first.exit_code == second.exit_code == 0
    assert first.output == second.output == "Demo-Daten geladen: 8 quartiers, 5 organisations, 4 phases, 29 spaces\n"
    assert session.scalar(select(func.count()).select_from(Space)) == 29
