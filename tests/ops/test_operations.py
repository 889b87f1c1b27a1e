"""Running it for a city: liveness and readiness, Prometheus metrics (added up over gunicorn's workers), one JSON
log line per request with its id, and `flask doctor` finding an unsafe configuration."""

import json
import logging
import re
import urllib.request
from pathlib import Path

from conftest import running_gunicorn
from sqlalchemy import text

from spaces.models import OutboxMail
from spaces.ops.doctor import ERROR, OK, WARNING, examine

ROOT = Path(__file__).resolve().parents[2]


def _sample(exposition: str, name: str, **labels) -> float:
    """The value of one sample in Prometheus text, 0 when it is absent."""
    for line in exposition.splitlines():
        if line.startswith((name + "{", name + " ")) and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_live_answers_without_asking_the_database(client):
    response = client.get("/healthz/live")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_ready_checks_the_migrations_head_and_reports_the_outbox(client, session):
    ready = client.get("/healthz/ready")
    assert ready.status_code == 200
    assert ready.json["migrations"]["at_head"] is True
    assert ready.json["migrations"]["database"] == ready.json["migrations"]["head"]
    assert ready.json["outbox"]["waiting"] == 0
    session.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    behind = client.get("/healthz/ready")
    assert behind.status_code == 503
    assert behind.json["migrations"] == {"head": ready.json["migrations"]["head"], "database": "0001",
                                         "at_head": False}


def test_ready_fails_on_a_mail_backlog_only_above_the_configured_limit(app, client, session):
    session.add(OutboxMail(recipient="a@example.org", subject="s", body="b"))
    session.flush()
    assert client.get("/healthz/ready").json["outbox"]["waiting"] == 1
    assert client.get("/healthz/ready").status_code == 200
    app.config["READY_MAX_WAITING_MAILS"] = 0
    try:
        answer = client.get("/healthz/ready")
    finally:
        app.config["READY_MAX_WAITING_MAILS"] = None
    assert answer.status_code == 503 and answer.json["outbox"]["ok"] is False


def test_metrics_count_a_request_served_per_route_and_read_the_database(client, session):
    before = client.get("/metrics").get_data(as_text=True)
    served = _sample(before, "raumfinder_request_duration_seconds_count", endpoint="health.live", method="GET")
    client.get("/healthz/live")
    after = client.get("/metrics")
    assert after.status_code == 200 and after.mimetype == "text/plain"
    body = after.get_data(as_text=True)
    assert _sample(body, "raumfinder_request_duration_seconds_count", endpoint="health.live",
                   method="GET") == served + 1
    assert _sample(body, "raumfinder_requests_total", endpoint="health.live", method="GET", status="200") >= 1
    session.add(OutboxMail(recipient="a@example.org", subject="s", body="b"))
    session.flush()
    body = client.get("/metrics").get_data(as_text=True)
    assert _sample(body, "raumfinder_outbox_mails", state="waiting") == 1
    assert "raumfinder_bookings" in body


def test_metrics_label_routes_not_paths_so_ids_and_secrets_stay_out(client):
    client.get("/passwort-neu/geheimes-token")
    body = client.get("/metrics").get_data(as_text=True)
    assert "geheimes-token" not in body
    assert 'endpoint="auth.reset"' in body


def test_metrics_are_for_this_machine_or_the_token_holder_only(app, client):
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", environ_base=outside).status_code == 404
    app.config["METRICS_TOKEN"] = "t0k3n-for-prometheus"
    try:
        assert client.get("/metrics", environ_base=outside,
                          headers={"Authorization": "Bearer wrong"}).status_code == 404
        assert client.get("/metrics", environ_base=outside,
                          headers={"Authorization": "Bearer t0k3n-for-prometheus"}).status_code == 200
    finally:
        app.config["METRICS_TOKEN"] = ""


def test_each_request_logs_one_json_line_with_its_id(client, caplog):
    with caplog.at_level(logging.INFO, logger="raumfinder.requests"):
        given = client.get("/healthz/live", headers={"X-Request-ID": "abc-123.x"})
        forged = client.get("/passwort-neu/s3cr3t", headers={"X-Request-ID": "no spaces; or $(quotes)"})
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "raumfinder.requests"]
    assert [line["request_id"] for line in lines][0] == "abc-123.x" == given.headers["X-Request-ID"]
    assert lines[0]["status"] == 200 and lines[0]["endpoint"] == "health.live" and lines[0]["duration_ms"] >= 0
    assert re.fullmatch(r"[0-9a-f]{32}", lines[1]["request_id"]) and forged.headers["X-Request-ID"] == lines[1][
        "request_id"]
    assert lines[1]["path"] == "/passwort-neu/[redacted]"
    assert len(lines) == 2


def test_gunicorn_workers_add_up_in_one_metrics_answer(app, database_url, tmp_path):
    """Each worker counts its own requests; /metrics answers the sum whichever worker serves it."""
    from concurrent.futures import ThreadPoolExecutor

    def served_by() -> set[str]:
        return {path.stem.rsplit("_", 1)[1] for path in tmp_path.glob("counter_*.db")}

    # The suite's migrated database (the app fixture made it); this test needs no data of its own.
    with running_gunicorn(database_url, workers=2, env={"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}) as base:
        sent = 0
        with ThreadPoolExecutor(8) as pool:
            while sent < 400 and (sent == 0 or len(served_by()) < 2):
                list(pool.map(lambda _: urllib.request.urlopen(base + "/healthz/live", timeout=10).read(), range(20)))
                sent += 20
        body = urllib.request.urlopen(base + "/metrics", timeout=10).read().decode()
    assert len(served_by()) == 2  # both workers served and wrote their share
    assert _sample(body, "raumfinder_request_duration_seconds_count", endpoint="health.live", method="GET") == sent


def _safe_config(folder) -> dict:
    legal = folder / "legal"
    legal.mkdir(parents=True, exist_ok=True)
    (legal / "impressum.txt").write_text("Betreiber")
    (legal / "datenschutz.txt").write_text("Datenschutz")
    return {"SECRET_KEY": "x" * 64, "BASE_URL": "https://raumfinder.hannover.example", "PRODUCTION": True,
            "PROXY_HOPS": 1, "MAIL_SERVER": "mail.example", "TILE_URL": "https://tiles.example/{z}/{x}/{y}.png",
            "LEGAL_DIR": str(legal), "DEBUG": False}


def test_doctor_passes_a_safe_production_configuration(app, session, tmp_path, monkeypatch):
    from spaces.health import migrations_head

    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    findings = examine(_safe_config(tmp_path), session, migrations_head())
    assert [f for f in findings if f.level != OK and f.topic != "pgRouting"] == []
    assert {f.topic for f in findings} >= {"SECRET_KEY", "RAUMFINDER_BASE_URL", "PostGIS", "Migrationen"}


def test_doctor_finds_what_is_unsafe(app, session, tmp_path):
    from spaces.health import migrations_head

    unsafe = {**_safe_config(tmp_path), "SECRET_KEY": "changeme", "BASE_URL": "http://127.0.0.1:5000",
              "DEBUG": True, "PROXY_HOPS": 0, "MAIL_SERVER": "", "LEGAL_DIR": str(tmp_path / "nothing")}
    session.execute(text("UPDATE alembic_version SET version_num = '0018'"))
    findings = {(f.level, f.topic) for f in examine(unsafe, session, migrations_head())}
    assert {(ERROR, "SECRET_KEY"), (ERROR, "RAUMFINDER_BASE_URL"), (ERROR, "DEBUG"), (ERROR, "Migrationen"),
            (WARNING, "RAUMFINDER_PROXY_HOPS"), (WARNING, "MAIL_SERVER"), (WARNING, "Rechtstexte")} <= findings
    https_missing = examine({**_safe_config(tmp_path / "b"), "BASE_URL": "http://raumfinder.hannover.example"},
                            session, migrations_head())
    assert any(f.level == ERROR and "HTTPS" in f.message for f in https_missing)


def test_doctor_command_exits_1_on_errors(app, session):
    result = app.test_cli_runner().invoke(args=["doctor"])
    assert result.exit_code == 1, result.output  # the tests' app runs with a short test secret, not in production
    assert "Fehler" in result.output and "SECRET_KEY" in result.output


def test_every_setting_in_the_deploy_example_is_read_by_the_service():
    example = (ROOT / "deploy" / "raumfinder.env.example").read_text()
    names = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, re.M))
    assert {"SECRET_KEY", "DATABASE_URL", "RAUMFINDER_BASE_URL", "RAUMFINDER_PRODUCTION"} <= names
    known = "".join((ROOT / p).read_text() for p in ("spaces/config.py", "spaces/__init__.py", "gunicorn.conf.py"))
    assert [n for n in sorted(names) if n not in known and n != "PROMETHEUS_MULTIPROC_DIR"] == []
