"""Rate limits counted in PostgreSQL hold across processes: storage, concurrency and the app.

The storage commits outside the per-test transaction, so these tests use a migrated
database of their own and empty the table after each test.
"""

import threading
import time

import pytest
from conftest import make_app, migrated_database
from flask import Blueprint, jsonify
from limits.errors import StorageError
from limits.storage import storage_from_string
from sqlalchemy import text
from sqlalchemy.engine import make_url

from spaces.accounts.ratelimit import (
    EXTENSION_KEY,
    TOO_MANY,
    PostgresStorage,
    init_rate_limits,
    limiter,
    storage_uri_for,
)
from spaces.db import db

probe = Blueprint("ratelimit_probe", __name__)


@probe.get("/_test/ratelimited")
@limiter.limit("3 per minute", error_message=TOO_MANY)
def ratelimited():
    return jsonify(ok=True)


@pytest.fixture(scope="module")
def rl_database_url():
    with migrated_database("raumfinder_ratelimit") as url:
        yield url


@pytest.fixture
def new_storage(rl_database_url):
    """Storages on the test database (each one like another worker process); emptied afterwards."""
    made = []

    def new(**options):
        options.setdefault("cleanup_probability", 0)
        storage = PostgresStorage(storage_uri_for(rl_database_url), **options)
        made.append(storage)
        return storage

    yield new
    if made:
        made[0].reset()
    for storage in made:
        storage.engine.dispose()


@pytest.fixture
def storage(new_storage):
    return new_storage()


@pytest.fixture
def new_app(rl_database_url):
    """Apps with rate limits and the probe route, as each worker process builds one."""
    made = []

    def new(**config):
        app = make_app(config.pop("database_url", rl_database_url), **config)
        app.register_blueprint(probe)
        init_rate_limits(app)
        made.append(app)
        return app

    yield new
    for app in made:
        bound = app.extensions.get(EXTENSION_KEY)
        if bound and isinstance(bound[0], PostgresStorage):
            bound[0].reset()
            bound[0].engine.dispose()
        with app.app_context():
            db.engine.dispose()


def _expire(storage, key):
    with storage.engine.connect() as conn:
        conn.execute(text("UPDATE rate_limits SET expires_at = now() - interval '1 second' WHERE key = :k"), {"k": key})


def _rows(storage) -> int:
    with storage.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM rate_limits")).scalar_one()


# --- the storage ----------------------------------------------------------------------------


def test_storage_is_found_by_its_uri_scheme(rl_database_url):
    for uri in (storage_uri_for(rl_database_url),
                storage_uri_for(rl_database_url.replace("postgresql+psycopg://", "postgresql://", 1))):
        storage = storage_from_string(uri)
        try:
            assert isinstance(storage, PostgresStorage)
            assert storage.engine.url.drivername == "postgresql+psycopg"
            assert storage.check()
        finally:
            storage.engine.dispose()


def test_incr_counts_up_within_a_window(storage):
    assert storage.get("k") == 0
    assert [storage.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.incr("k", 60, amount=2) == 5
    assert storage.get("k") == 5
    assert storage.get("other") == 0


def test_expired_window_starts_again(storage):
    for _ in range(3):
        storage.incr("k", 60)
    _expire(storage, "k")
    assert storage.get("k") == 0
    assert storage.get_expiry("k") == pytest.approx(time.time(), abs=2)
    assert storage.incr("k", 60) == 1
    assert storage.get_expiry("k") == pytest.approx(time.time() + 60, abs=2)


def test_window_expires_by_itself(storage):
    assert storage.incr("k", 1) == 1
    time.sleep(1.1)
    assert storage.get("k") == 0
    assert storage.incr("k", 1) == 1


def test_get_expiry_is_set_by_the_first_hit_of_a_window(storage):
    before = time.time()
    storage.incr("k", 60)
    expiry = storage.get_expiry("k")
    assert before + 58 < expiry < time.time() + 61
    time.sleep(0.05)
    storage.incr("k", 60)
    assert storage.get_expiry("k") == pytest.approx(expiry)  # later hits do not extend the window
    assert storage.get_expiry("unknown") == pytest.approx(time.time(), abs=2)


def test_two_storages_share_counts(new_storage):
    worker_a, worker_b = new_storage(), new_storage()
    assert worker_a.incr("login/1.2.3.4", 60) == 1
    assert worker_b.incr("login/1.2.3.4", 60) == 2
    assert worker_a.get("login/1.2.3.4") == worker_b.get("login/1.2.3.4") == 2
    assert worker_a.get_expiry("login/1.2.3.4") == pytest.approx(worker_b.get_expiry("login/1.2.3.4"))
    worker_b.clear("login/1.2.3.4")
    assert worker_a.get("login/1.2.3.4") == 0


def test_concurrent_increments_are_atomic(new_storage):
    storages = [new_storage(), new_storage()]
    threads_n, per_thread = 8, 25
    start = threading.Barrier(threads_n)
    results: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def hammer(i):
        storage = storages[i % 2]
        try:
            start.wait()
            got = [storage.incr("shared", 60) for _ in range(per_thread)]
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)
            return
        with lock:
            results.extend(got)

    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert storages[0].get("shared") == threads_n * per_thread == 200
    assert sorted(results) == list(range(1, 201))  # every hit saw its own count


def test_clear_and_reset(storage):
    for key in ("a", "b", "c"):
        storage.incr(key, 60)
    storage.clear("a")
    storage.clear("never-seen")
    assert (storage.get("a"), storage.get("b"), storage.get("c")) == (0, 1, 1)
    assert storage.reset() == 2
    assert (storage.get("b"), storage.get("c")) == (0, 0)
    assert storage.reset() == 0


def test_cleanup_deletes_only_expired_rows(new_storage):
    storage = new_storage()
    storage.incr("old", 60)
    storage.incr("current", 60)
    _expire(storage, "old")
    assert storage.cleanup() == 1
    assert _rows(storage) == 1 and storage.get("current") == 1

    always = new_storage(cleanup_probability=1)
    _expire(storage, "current")
    assert always.incr("new", 60) == 1  # and deletes the expired row on the way
    assert _rows(storage) == 1


def test_counts_survive_a_rolled_back_request(rl_database_url, storage):
    app = make_app(rl_database_url)
    with app.app_context():
        db.session.execute(text("SELECT 1"))
        storage.incr("k", 60)
        db.session.rollback()
        db.engine.dispose()
    assert storage.get("k") == 1


def test_unreachable_database(rl_database_url, storage):
    url = make_url(rl_database_url).set(database="raumfinder_no_such_database")
    missing = PostgresStorage(storage_uri_for(url.render_as_string(hide_password=False)))
    wrapped = PostgresStorage(storage_uri_for(url.render_as_string(hide_password=False)), wrap_exceptions=True)
    try:
        assert storage.check()
        assert not missing.check()
        with pytest.raises(missing.base_exceptions):
            missing.incr("k", 60)
        with pytest.raises(StorageError):
            wrapped.get("k")
    finally:
        missing.engine.dispose()
        wrapped.engine.dispose()


# --- the app ---------------------------------------------------------------------------------


def test_fourth_request_in_a_minute_is_refused_in_german(new_app):
    client = new_app().test_client()
    for remaining in (2, 1, 0):
        response = client.get("/_test/ratelimited")
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Limit"] == "3"
        assert response.headers["X-RateLimit-Remaining"] == str(remaining)
    refused = client.get("/_test/ratelimited")
    assert refused.status_code == 429
    assert TOO_MANY in refused.get_data(as_text=True)
    assert 0 < int(refused.headers["Retry-After"]) <= 61
    as_json = client.get("/_test/ratelimited", headers={"Accept": "application/json"})
    assert as_json.status_code == 429 and as_json.get_json() == {"error": TOO_MANY}


def test_two_app_instances_share_the_limit(new_app):
    worker_a, worker_b = new_app().test_client(), new_app().test_client()
    assert worker_a.application.extensions[EXTENSION_KEY][0] is not worker_b.application.extensions[EXTENSION_KEY][0]
    assert worker_a.get("/_test/ratelimited").status_code == 200
    assert worker_b.get("/_test/ratelimited").status_code == 200
    assert worker_a.get("/_test/ratelimited").status_code == 200
    assert worker_b.get("/_test/ratelimited").status_code == 429
    assert worker_a.get("/_test/ratelimited").status_code == 429


def test_a_rolled_back_request_still_counts(new_app):
    app = new_app()

    @app.errorhandler(ZeroDivisionError)
    def boom(_err):
        db.session.rollback()
        return "kaputt", 500

    @app.get("/_test/fails")
    @limiter.limit("1 per minute", error_message=TOO_MANY)
    def fails():
        db.session.execute(text("SELECT 1"))
        raise ZeroDivisionError

    client = app.test_client()
    assert client.get("/_test/fails").status_code == 500
    assert client.get("/_test/fails").status_code == 429


def test_each_app_counts_in_its_own_storage(new_app):
    """One module-level limiter on several apps: no app's counters end up in another's storage."""
    in_db = new_app().test_client()
    in_memory = new_app(RATELIMIT_STORAGE_URI="memory://").test_client()
    for _ in range(3):
        assert in_memory.get("/_test/ratelimited").status_code == 200
    assert in_memory.get("/_test/ratelimited").status_code == 429
    assert in_db.get("/_test/ratelimited").status_code == 200
    assert in_db.application.extensions[EXTENSION_KEY][0].get(
        "LIMITER/127.0.0.1/ratelimit_probe.ratelimited/3/1/minute") == 1


def test_disabled_app_is_not_limited_and_does_not_disable_others(new_app):
    enabled = new_app().test_client()
    disabled = new_app(RATELIMIT_ENABLED=False).test_client()
    assert all(disabled.get("/_test/ratelimited").status_code == 200 for _ in range(5))
    assert [enabled.get("/_test/ratelimited").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_init_rate_limits_defaults_to_the_apps_database(new_app, rl_database_url):
    app = new_app()
    assert app.config["RATELIMIT_STORAGE_URI"] == "raumfinder+" + rl_database_url
    assert init_rate_limits(app) is limiter  # a second call changes nothing
    storage = app.extensions[EXTENSION_KEY][0]
    assert isinstance(storage, PostgresStorage)
    with app.app_context():
        assert limiter.storage is storage
