"""The JSON API fuzzed against its own OpenAPI document: bad input never gives a 500, and every answer has
a status code documented for its operation, the documented content type (JSON), and a body that matches
the documented schema for that status and holds no property the schema does not name.

Schemathesis reads /api/openapi.json and generates requests from it with hypothesis: valid ones
(positive) and ones that break the document (negative: wrong types, values out of range, missing
fields, unknown query parameters with any characters), plus raw bodies of our own (broken JSON, any
bytes, JSON nested a thousand levels deep) under any content type. They go in process to the app of the
fixtures (the test database with the Hannover demo data, rolled back at the end) through the isolated
test client, as three callers: nobody (schemathesis still makes up tokens and cookies for the operations
that want them: 401), a member with an API token, and the same member logged in with a session cookie
and a CSRF token. Half of the cases are steered to real things (spaces, bookings, tokens, Quartiere,
the member's group, places in Hannover, dates and hours near today), so that they get past 400 and 404
into the search and the booking rules. Derandomized: every run sends the same requests.

RAUMFINDER_FUZZ_SCALE=10 sends ten times as many (a deeper search, a few minutes).
"""

import copy
import json
import os
import time
import traceback
from collections import Counter
from datetime import date, datetime, timedelta
from datetime import time as wall

import pytest
import schemathesis
from factories import create_booking, create_organisation, create_space, csrf_of, log_in, make_manager
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from spaces.accounts import service as accounts
from spaces.clock import BERLIN
from spaces.hardening import TOO_DEEP
from spaces.models import OpeningHours, Quartier, Space

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
SCALE = float(os.environ.get("RAUMFINDER_FUZZ_SCALE") or 1)
# Examples per operation, caller and kind of input (more for booking): about 1,300 requests, 40 s on two cores.
EXAMPLES = {"anonymous": 5, "token": 17, "session": 7}
RAW_EXAMPLES = 12
WEIGHT = {"POST /api/bookings": 3}
MIN_REQUESTS = 1000


def scaled(n: int) -> int:
    return max(1, round(n * SCALE))


# ----------------------------------------------------------------------------- the documented answers


def closed(doc: dict) -> dict:
    """The document with `additionalProperties: false` on every schema that lists its properties, so that
    schemathesis' schema check also refuses an answer that holds anything undocumented (pydantic's schemas
    leave answers open; the request bodies are closed already)."""
    doc = copy.deepcopy(doc)

    def close(node):
        if isinstance(node, dict):
            if "properties" in node and "additionalProperties" not in node:
                node["additionalProperties"] = False
            for value in node.values():
                close(value)
        elif isinstance(node, list):
            for value in node:
                close(value)

    close(doc["components"]["schemas"])
    return doc


# ----------------------------------------------------------------------------- who asks, and about what


def local(day, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=BERLIN)


HOURS = ["0", "7", "08:00", "10:00", "12:30", "17:00", "18:00", "19:30", "20:00", "21:59", "22:00", "23:59", "24:00"]


class World:
    """The callers (headers and cookies of each) and the real things the fuzzer steers cases to."""

    def __init__(self, app, session, today):
        self.session, self.today = session, today
        alice = accounts.register(session, email="fuzz-alice@example.org", display_name="Alice",
                                  password="ein-langes-passwort", organisation_name="Fuzz-Chor")
        bob = accounts.register(session, email="fuzz-bob@example.org", display_name="Bob",
                                password="ein-langes-passwort", organisation_name="Fuzz-Nachbarn")
        self.alice, self.bob = alice, bob
        self.choir, self.neighbours = alice.organisations[0], bob.organisations[0]
        # Alice manages rooms that take requests, so that her decisions get past 403. Her requests go to the
        # first; the bookings she cancels and decides on are made in the second, so they never collide.
        provider = create_organisation(session, name="Fuzz-Stadtteilhaus")
        make_manager(session, alice, provider)
        self.rooms = [create_space(session, organisation=provider, name=f"Fuzz-Saal {i}", capacity=30,
                                   booking_mode="on_request") for i in (1, 2)]
        for room in self.rooms:
            room.opening_hours = [OpeningHours(weekday=d, opens=wall(8), closes=wall(22)) for d in range(7)]
        spaces = session.scalars(select(Space.id).where(Space.id != self.rooms[1].id).order_by(Space.id)).all()
        quartiers = session.scalars(select(Quartier.name).order_by(Quartier.name)).all()
        self.token = accounts.create_api_token(session, alice, "fuzz")
        session.flush()
        self.token_id = next(t.id for t in accounts.api_tokens(session, alice) if t.name == "fuzz")
        self.batch = 0
        days = [today + timedelta(days=d) for d in (-1, 0, 1, 2, 7, 30, 60, 200, 400)]
        self.known = {  # path parameters and body fields
            "space_id": spaces[:12],
            "organisation_id": [self.choir.id, self.choir.id, self.choir.id, self.neighbours.id, provider.id],
            "date": [d.isoformat() for d in days],
        }
        self.query = {  # query parameters, by path: real values
            "/api/spaces": {
                "date": self.known["date"], "from": HOURS[:-1], "to": HOURS, "quartier": quartiers,
                "lat": ["52.3745", "52.37", "52.41"], "lon": ["9.7386", "9.73", "9.80"],
                "bbox": ["9.6,52.3,9.9,52.45", "9.73,52.37,9.74,52.38"], "capacity": ["1", "10", "80"],
                "kind": ["room", "hall,workshop"], "equipment": ["kitchen", "wifi,projector"],
                "sort": ["name", "distance", "capacity"], "limit": ["1", "3", "5000"]},
            "/api/spaces/nearest": {"lat": ["52.3745", "52.41"], "lon": ["9.7386", "9.80"]},
            "/api/spaces/{space_id}/availability": {
                "from": [*self.known["date"], f"{days[1]}T18:00+01:00", f"{days[2]}T06:30:00Z"],
                "to": [*self.known["date"], f"{days[3]}T00:00+01:00", f"{days[6]}T12:00Z"]},
        }
        self.clients = {who: app.test_client() for who in EXAMPLES}
        browser = self.clients["session"]
        log_in(browser, session, alice)
        csrf = csrf_of(browser.get("/meine-buchungen"))
        self.headers = {"anonymous": {}, "token": {"Authorization": f"Bearer {self.token}"},
                        "session": {"X-CSRFToken": csrf}}
        self.cookies = {"anonymous": None, "token": None, "session": {"session": browser.get_cookie("session").value}}
        self.refresh()

    def refresh(self) -> None:
        """New bookings to see, cancel and decide on, and spare tokens to revoke: the fuzzer uses them up."""
        self.batch += 1
        bookings = []
        for day in range(7 * self.batch, 7 * self.batch + 7):
            start = local(self.today + timedelta(days=day), 9)
            bookings += [
                create_booking(self.session, self.rooms[1], start, organisation_id=self.neighbours.id,
                               status="requested"),
                create_booking(self.session, self.rooms[1], start + timedelta(hours=3), organisation_id=self.choir.id,
                               status="requested" if day % 2 else "confirmed"),
                create_booking(self.session, self.rooms[1], start + timedelta(hours=6), organisation_id=self.choir.id),
            ]
        self.known["booking_id"] = [b.id for b in bookings]
        for i in range(3):
            accounts.create_api_token(self.session, self.alice, f"spare {self.batch}.{i}")
        accounts.create_api_token(self.session, self.bob, f"bob {self.batch}")
        self.session.flush()
        spare = [t.id for t in accounts.api_tokens(self.session, self.alice) if t.name.startswith("spare")]
        self.known["token_id"] = [*spare, *(t.id for t in accounts.api_tokens(self.session, self.bob))]


@st.composite
def sane_booking(draw, world: World) -> dict:
    """A booking request that the rules may well accept: a real room, the member's group, an hour or two
    near today; sometimes a series, a dry run, a group she is not in or a date in the past."""
    start = draw(st.integers(min_value=7, max_value=21))
    frequency = draw(st.sampled_from(["once", "once", "weekly", "biweekly", "monthly"]))
    day = draw(st.sampled_from(world.known["date"]))
    body = {
        "space_id": draw(st.just(world.rooms[0].id) | st.sampled_from(world.known["space_id"])),
        "organisation_id": draw(st.sampled_from(world.known["organisation_id"])),
        "date": day, "from": f"{start:02}:00", "to": f"{start + draw(st.integers(1, 2)):02}:00",
        "attendees": draw(st.integers(min_value=1, max_value=12)), "frequency": frequency,
        "purpose": draw(st.sampled_from(["", "Chorprobe", "x" * 400, "Tab\tund\nZeile"])),
        "is_public": draw(st.booleans()), "dry_run": draw(st.booleans()), "skip_conflicts": draw(st.booleans()),
    }
    if frequency != "once":
        body["until"] = (date.fromisoformat(day) + timedelta(days=draw(st.integers(0, 90)))).isoformat()
    return body


def steered(operation, mode: GenerationMode, world: World, who: str):
    """Schemathesis' cases for `operation`; about half of them changed to name real things."""

    @st.composite
    def cases(draw):
        case = draw(operation.as_strategy(mode))
        if who == "session" and case.headers:
            case.headers.pop("Authorization", None)  # a made-up bearer token would push the session aside
        for name, value in (case.path_parameters or {}).items():
            if name in world.known and draw(st.booleans()):
                case.path_parameters[name] = draw(st.sampled_from(world.known[name]))
            elif name == "token_id" and str(value) == str(world.token_id):
                case.path_parameters[name] = world.known["token_id"][-1]  # never revoke the token in use
        real = world.query.get(operation.path, {})
        if real and draw(st.booleans()):
            query = case.query if isinstance(case.query, dict) else {}
            for name, values in real.items():
                change = draw(st.sampled_from(["keep", "keep", "real", "drop"]))
                if change == "real":
                    query[name] = draw(st.sampled_from(values))
                elif change == "drop":
                    query.pop(name, None)
            case.query = query
        if operation.path == "/api/bookings" and isinstance(case.body, dict) and draw(st.booleans()):
            generated, sane = case.body, draw(sane_booking(world))
            # A bookable request, with none, one or two of its fields as schemathesis made them.
            for name in draw(st.lists(st.sampled_from(sorted(generated)), max_size=2)):
                sane[name] = generated[name]
            case.body = sane
        return case

    return cases()


# Bodies nobody documents: what a broken client or an attacker sends. Depths past 1,000 exhaust Python's
# JSON parser.
def _nested(depth: int, leaf) -> str:
    return "[" * depth + json.dumps(leaf) + "]" * depth


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20)
DEPTHS = st.sampled_from([2, 31, 32, 33, 200, 999, 1000, 5000]) | st.integers(min_value=1, max_value=3000)
RAW_BODIES = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200).map(str.encode),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    st.tuples(DEPTHS, JSON_VALUES).map(lambda t: _nested(*t).encode()),
    st.tuples(DEPTHS, st.sampled_from(["space_id", "accept", "name", "x"])).map(
        lambda t: f'{{"{t[1]}": {_nested(t[0], 1)}}}'.encode()),
    st.sampled_from([b"", b"{", b'{"a": 1', b"null", b"[]", b"1e999", b"NaN", b'"\\ud800"', b"\xff\xfe\x00"]),
)
CONTENT_TYPES = st.sampled_from(["application/json", "application/json; charset=latin-1", "application/problem+json",
                                 "text/plain", "application/x-www-form-urlencoded", "multipart/form-data"])


# ----------------------------------------------------------------------------- the fuzzer


class Fuzzer:
    """Runs hypothesis on one operation, caller and kind of input at a time; counts the answers and
    collects the failures, so that one run reports every operation that fails."""

    def __init__(self, world: World):
        self.world = world
        self.statuses: Counter = Counter()
        self.refusals: Counter = Counter()  # (operation, status, message): what stopped the requests
        self.failures: list[str] = []

    def send(self, case, who: str, **body) -> None:
        operation = case.operation
        # Uncompressed: the in-process client does not decode brotli/gzip as an HTTP client would
        # (compression itself: tests/test_delivery.py).
        headers = {**self.world.headers[who], "Accept-Encoding": "identity"}
        if body:
            headers["Content-Type"] = body.pop("content_type")
        try:
            response = case.call(session=self.world.clients[who], headers=headers, cookies=self.world.cookies[who],
                                 **body)
        except Exception:  # the app raised (TESTING propagates exceptions): a 500 for any client
            self.statuses[operation.label, who, 500] += 1
            raise
        self.statuses[operation.label, who, response.status_code] += 1
        case.validate_response(response, checks=CHECKS)
        answer = json.loads(response.content)  # JSON, or the content type check would have failed
        if isinstance(answer, dict) and isinstance(answer.get("error"), str):
            self.refusals[operation.label, response.status_code, answer["error"][:80]] += 1

    def run(self, what: str, strategy, test, examples: int) -> None:
        @settings(max_examples=examples, deadline=None, derandomize=True, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(strategy)
        def run(drawn):
            test(drawn)

        try:
            run()
        except Unsatisfiable:
            pass  # nothing to break in a negative case (no parameters, no body)
        except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001 (every failure, reported at the end)
            if isinstance(error, AssertionError | BaseExceptionGroup):  # schemathesis' report, or ours
                detail = str(error)[:4000]
            else:  # an exception from the app: where it came from
                detail = "".join(traceback.format_exception(error, limit=-8))[-4000:]
            self.failures.append(f"{what}:\n{detail}")

    def fuzz(self, operation, who: str) -> None:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            self.run(f"{operation.label} as {who}, {mode.value}", steered(operation, mode, self.world, who),
                     lambda case: self.send(case, who), scaled(EXAMPLES[who] * WEIGHT.get(operation.label, 1)))

    def fuzz_raw_bodies(self, operation, who: str) -> None:
        cases = st.tuples(steered(operation, GenerationMode.POSITIVE, self.world, who), RAW_BODIES, CONTENT_TYPES)
        self.run(f"{operation.label} as {who}, raw bodies", cases,
                 lambda drawn: self.send(drawn[0], who, data=drawn[1], content_type=drawn[2]), scaled(RAW_EXAMPLES))


def test_the_api_answers_every_request_as_documented(app, client, session, demo, clock, fast_password_hashes,
                                                     capsys):
    doc = client.get("/api/openapi.json").get_json()
    schema = schemathesis.openapi.from_dict(closed(doc), config=schemathesis.Config())
    schema.app = app
    world = World(app, session, clock.today)
    fuzzer = Fuzzer(world)
    started = time.monotonic()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == sum(len(item) for item in doc["paths"].values()), "an operation was not loaded"
    for operation in operations:
        for who in EXAMPLES:
            if "{booking_id}" in operation.path or "{token_id}" in operation.path:
                world.refresh()
            fuzzer.fuzz(operation, who)
        if operation.method.upper() != "GET" or operation.path == "/api/bookings":
            fuzzer.fuzz_raw_bodies(operation, "token")
            fuzzer.fuzz_raw_bodies(operation, "session")

    statuses, failures = fuzzer.statuses, fuzzer.failures
    requests = sum(statuses.values())
    server_errors = sum(n for (_, _, status), n in statuses.items() if status >= 500)
    with capsys.disabled():  # shown with and without -s
        print(f"\nfuzz: {requests} requests in {time.monotonic() - started:.0f} s, {server_errors} server errors, "
              f"{len(failures)} failing runs")
    for (label, who, status), n in sorted(statuses.items()):
        print(f"  {label:45} {who:10} {status}: {n}")
    print("most frequent refusals:")
    for (label, status, message), n in fuzzer.refusals.most_common(30):
        print(f"  {n:4} {label} {status} {message}")
    if failures:
        pytest.fail(f"{len(failures)} failing:\n\n" + "\n\n".join(failures), pytrace=False)
    assert requests >= MIN_REQUESTS, f"only {requests} requests"
    reached = {(label, status) for (label, _, status) in statuses}
    # The steering works: the fuzzer got past 400 and 404 into the views (a regression would go unnoticed).
    for expected in [("GET /api/spaces", 200), ("GET /api/spaces/nearest", 200), ("GET /api/spaces/{space_id}", 200),
                     ("GET /api/spaces/{space_id}/availability", 200), ("GET /api/bookings/{booking_id}", 200),
                     ("POST /api/bookings", 200), ("POST /api/bookings", 201), ("POST /api/bookings", 422),
                     ("POST /api/bookings/{booking_id}/cancel", 200), ("POST /api/bookings/{booking_id}/decision", 200),
                     ("DELETE /api/tokens/{token_id}", 200), ("POST /api/tokens", 201)]:
        assert expected in reached, f"never answered {expected}"


@pytest.mark.parametrize("path", ["/api/bookings", "/api/tokens", "/api/spaces", "/"])
def test_json_nested_past_what_the_parser_reads_is_a_400(client, path):
    """Found by the fuzzer: JSON nested a thousand levels deep made Python's parser raise RecursionError
    (which get_json(silent=True) does not catch) in the input screen, a 500 on every route."""
    for depth in (33, 5000):
        response = client.post(path, data="[" * depth + "]" * depth, content_type="application/json")
        assert response.status_code == 400, (depth, response.status_code)
        if path.startswith("/api/"):
            assert response.get_json() == {"error": TOO_DEEP, "code": "too_deep"}
    if path == "/api/bookings":  # 32 levels pass the screen (and then need a login, like any booking)
        assert client.post(path, data="[" * 32 + "]" * 32, content_type="application/json").status_code == 401
