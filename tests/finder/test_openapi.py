"""The OpenAPI document: it covers every /api route and search parameter, is well-formed, and tells the truth.

The document is generated from the pydantic models that check the input; these tests hold it against
the routes Flask serves, the parameters the views read, and the answers they really give.
"""

import ast
import inspect
import json
import re
from datetime import date, time
from decimal import Decimal

import pytest
from factories import create_booking, create_organisation, create_space, csrf_of, log_in, make_manager, utc
from sqlalchemy.dialects.postgresql import Range
from werkzeug.datastructures import ImmutableMultiDict

from spaces.accounts import service as accounts
from spaces.booking import api as booking_api_module
from spaces.finder import api as api_module
from spaces.finder import search as search_module
from spaces.finder.openapi import build_document
from spaces.finder.search import SORTS, parse_search
from spaces.labels import EQUIPMENT, KINDS
from spaces.models import Closure, OpeningHours

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture
def doc(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.get_json()


# --- helpers: $ref, operations, parameters -------------------------------------------------------


def resolve(doc, ref: str):
    """The object a local $ref ("#/a/b") points at; KeyError when it points nowhere."""
    assert ref.startswith("#/"), f"non-local $ref {ref}"
    node = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[part]
    return node


def deref(doc, node):
    while isinstance(node, dict) and "$ref" in node:
        node = resolve(doc, node["$ref"])
    return node


def operations(doc):
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def parameters(doc, path, method):
    """The resolved parameters of an operation, path-level ones included."""
    item = doc["paths"][path]
    return [deref(doc, p) for p in item.get("parameters", []) + item[method].get("parameters", [])]


def query_names(doc, path, method="get"):
    return {p["name"] for p in parameters(doc, path, method) if p["in"] == "query"}


def refs(node):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


# --- a validator of the JSON Schema subset the document uses ------------------------------------


def _is(value, kind: str) -> bool:
    if kind in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None),
                              "integer": int, "number": (int, float)}[kind])


def check(value, schema, doc, at="$", *, closed=False) -> list[str]:  # noqa: C901 (a branch per keyword)
    """Where `value` breaks `schema`: $ref, allOf, anyOf, type (lists for null), enum, const, format date,
    pattern, minimum/maximum, required, properties, additionalProperties false, items, minItems/maxItems.
    `closed`: every object may hold only the properties its schema names (our answers say nothing undocumented)."""
    errors = []
    if "$ref" in schema:
        errors += check(value, resolve(doc, schema["$ref"]), doc, at, closed=closed)
    for sub in schema.get("allOf", []):
        errors += check(value, sub, doc, at, closed=closed)
    if "anyOf" in schema and all(check(value, sub, doc, at, closed=closed) for sub in schema["anyOf"]):
        errors.append(f"{at}: {value!r} matches nothing in anyOf")
    if "type" in schema:
        kinds = [schema["type"]] if isinstance(schema["type"], str) else schema["type"]
        if not any(_is(value, k) for k in kinds):
            return errors + [f"{at}: {value!r} is not {'/'.join(kinds)}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{at}: {value!r} not in {schema['enum']}")
    if "const" in schema and (value != schema["const"] or type(value) is not type(schema["const"])):
        errors.append(f"{at}: {value!r} is not {schema['const']!r}")
    if isinstance(value, str):
        if schema.get("format") == "date":
            try:
                date.fromisoformat(value)
            except ValueError:
                errors.append(f"{at}: {value!r} is no date")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{at}: {value!r} does not match {schema['pattern']}")
    if _is(value, "number"):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{at}: {value} < {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(f"{at}: {value} > {schema['maximum']}")
    if isinstance(value, dict):
        errors += [f"{at}: missing {name!r}" for name in schema.get("required", []) if name not in value]
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                errors += check(value[name], sub, doc, f"{at}.{name}", closed=closed)
        if "properties" in schema and (closed or schema.get("additionalProperties") is False):
            errors += [f"{at}: undocumented {name!r}" for name in value if name not in schema["properties"]]
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", len(value)):
            errors.append(f"{at}: {len(value)} items")
        if "items" in schema:
            for i, item in enumerate(value):
                errors += check(item, schema["items"], doc, f"{at}[{i}]", closed=closed)
    return errors


def test_the_validator_catches_what_it_should(doc):
    schema = {"$ref": "#/components/schemas/Error"}
    assert check({"error": "x", "extra": 1}, schema, doc) == []
    assert check({}, schema, doc) == ["$: missing 'error'"]
    assert check({"error": 1}, schema, doc) == ["$.error: 1 is not string"]
    feature = {"$ref": "#/components/schemas/NearestSpaceFeature"}
    assert any("distance_m" in e for e in check({"type": "Feature", "properties": {}}, feature, doc))
    assert check(None, {"anyOf": [{"type": "string"}, {"type": "null"}]}, doc) == []
    assert check(True, {"type": "integer"}, doc)
    assert check({"error": "x", "extra": 1}, schema, doc, closed=True) == ["$: undocumented 'extra'"]
    assert check(1, {"const": True}, doc) and check(True, {"const": True}, doc) == []
    request = {"$ref": "#/components/schemas/BookingRequest"}  # additionalProperties: false
    assert "$: undocumented 'status'" in check({"status": "confirmed"}, request, doc)


# --- every route documented, nothing documented that does not exist -----------------------------


def flask_rule_as_openapi_path(rule: str) -> str:
    """/api/spaces/<int:space_id> -> /api/spaces/{space_id}"""
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule)


def test_every_api_route_is_documented_and_nothing_else(app, doc):
    served = {
        (flask_rule_as_openapi_path(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {(path, method) for path, method, _ in operations(doc)}
    assert served, "no /api routes found"
    undocumented = sorted(served - documented)
    assert not undocumented, "undocumented in /api/openapi.json: " + ", ".join(
        f"{m.upper()} {p}" for p, m in undocumented
    )
    missing = sorted(documented - served)
    assert not missing, "documented but not served: " + ", ".join(f"{m.upper()} {p}" for p, m in missing)


# --- every parameter the code reads is documented -------------------------------------------------


class RecordingArgs:
    """Request args that remember what was asked for and hold nothing."""

    def __init__(self):
        self.names: set[str] = set()

    def get(self, name, default=None):
        self.names.add(name)
        return None

    def getlist(self, name):
        self.names.add(name)
        return []

    def keys(self):
        return []


def _literal_arg_names(function) -> set[str]:
    """String literals read from `args`/`request.args` in a function's source, also in branches not taken:
    args.get("x"), args.getlist("x"), request.args.get("x"), and helper(args, "x", ...)."""
    names = set()
    for node in ast.walk(ast.parse(inspect.getsource(function))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func, first = node.func, node.args[0]
        if (isinstance(func, ast.Attribute) and func.attr in ("get", "getlist")
                and ast.unparse(func.value) in ("args", "request.args")
                and isinstance(first, ast.Constant) and isinstance(first.value, str)):
            names.add(first.value)
        elif (isinstance(first, ast.Name) and first.id == "args" and len(node.args) > 1
              and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)):
            names.add(node.args[1].value)
    return names


def test_every_search_parameter_is_documented_for_spaces(doc):
    args = RecordingArgs()
    parse_search(args, today=date(2026, 12, 1), quartiers={})
    read = args.names | _literal_arg_names(parse_search)
    assert {"capacity", "kind", "equipment", "bbox", "limit"} <= read, f"recording failed: {sorted(read)}"
    undocumented = sorted(read - query_names(doc, "/api/spaces"))
    assert not undocumented, f"/api/spaces reads undocumented parameters: {undocumented}"
    # `lang` is read by the locale selector on every page (test_every_parameter_a_view_reads_is_documented sees it)
    unread = sorted(query_names(doc, "/api/spaces") - read - {"lang"})
    assert not unread, f"/api/spaces documents parameters parse_search never reads: {unread}"


class RecordingMultiDict(ImmutableMultiDict):
    """request.args that remember every name a view asks for, however it asks."""

    read: set[str] = set()

    def __getitem__(self, key):
        RecordingMultiDict.read.add(key)
        return super().__getitem__(key)

    def get(self, key, *args, **kwargs):
        RecordingMultiDict.read.add(key)
        return super().get(key, *args, **kwargs)

    def getlist(self, key, *args, **kwargs):
        RecordingMultiDict.read.add(key)
        return super().getlist(key, *args, **kwargs)

    def __contains__(self, key):
        RecordingMultiDict.read.add(key)
        return super().__contains__(key)


def test_every_parameter_a_view_reads_is_documented(app, doc, client, demo, monkeypatch):
    """Real requests to every GET route: each query parameter the view reads must be documented there."""
    monkeypatch.setattr(app.request_class, "parameter_storage_class", RecordingMultiDict)
    some = client.get("/api/spaces?limit=1").get_json()["features"][0]["id"]
    phase = client.get("/api/phases").get_json()["features"][0]["id"]
    checked = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or "GET" not in rule.methods or rule.endpoint.startswith("booking_api"):
            continue
        path = flask_rule_as_openapi_path(rule.rule)
        url = path.replace("{space_id}", str(some)).replace("{phase_id}", str(phase))
        RecordingMultiDict.read = set()
        required = {"/api/spaces/nearest": "?lat=52.37&lon=9.73", "/api/spaces/clusters": "?zoom=12",
                    "/api/isochrone": "?lat=52.37&lon=9.73"}
        response = client.get(url + required.get(path, ""))
        assert response.status_code == 200, (url, response.get_json())
        undocumented = sorted(RecordingMultiDict.read - query_names(doc, path))
        assert not undocumented, f"{path} reads undocumented parameters: {undocumented}"
        checked |= RecordingMultiDict.read
    assert {"lat", "lon", "n", "from", "to", "capacity", "kind", "bbox", "zoom"} <= checked, sorted(checked)


@pytest.mark.parametrize("module", [api_module, booking_api_module], ids=["api", "booking_api"])
def test_no_view_reads_a_parameter_past_the_models(app, doc, module):
    """Also in branches the requests above did not take: a literal request.args.get("x") must be documented."""
    blueprint = module.bp.name
    for rule in app.url_map.iter_rules():
        if rule.endpoint.partition(".")[0] == blueprint:
            read = _literal_arg_names(app.view_functions[rule.endpoint])
            path = flask_rule_as_openapi_path(rule.rule)
            method = next(m for m in ("get", "post", "delete") if m.upper() in rule.methods)
            undocumented = sorted(read - query_names(doc, path, method))
            assert not undocumented, f"{path} reads undocumented parameters: {undocumented}"


def test_code_lists_come_from_the_code(doc):
    params = {p["name"]: p for p in parameters(doc, "/api/spaces", "get")}
    assert params["kind"]["schema"]["items"]["enum"] == list(KINDS)
    assert params["equipment"]["schema"]["items"]["enum"] == list(EQUIPMENT)
    assert params["sort"]["schema"]["enum"] == list(SORTS)
    assert params["limit"]["schema"]["maximum"] == search_module.MAX_LIMIT
    assert params["walk"]["schema"]["maximum"] == search_module.MAX_WALK_MINUTES
    assert params["capacity"]["schema"]["maximum"] == search_module.MAX_CAPACITY
    assert (params["kind"]["explode"], params["bbox"]["explode"]) == (True, False)


# --- well-formed OpenAPI 3.1 ---------------------------------------------------------------------


def test_document_is_well_formed_openapi_3_1(doc):
    assert doc == json.loads(json.dumps(build_document()))
    assert re.fullmatch(r"3\.1\.\d+", doc["openapi"])
    assert doc["info"]["title"] and doc["info"]["version"] and doc["info"]["description"]
    assert doc["servers"] and all(s["url"].startswith("/") for s in doc["servers"])

    for ref in refs(doc):
        try:
            resolve(doc, ref)
        except (KeyError, TypeError):
            pytest.fail(f"$ref {ref} resolves to nothing")
    used = set(refs(doc))
    # Security schemes are referenced by name in each operation's `security`, not by $ref.
    all_ops = [op for _, _, op in operations(doc)]
    used |= {f"#/components/securitySchemes/{name}" for op in all_ops for requirement in op.get("security", [])
             for name in requirement}
    unused = [f"#/components/{kind}/{name}" for kind, group in doc["components"].items() for name in group
              if f"#/components/{kind}/{name}" not in used]
    assert not unused, f"components never referenced: {unused}"
    for op in all_ops:
        for requirement in op.get("security", []):
            assert set(requirement) <= set(doc["components"].get("securitySchemes", {})), op["operationId"]

    operation_ids = []
    for path, method, operation in operations(doc):
        where = f"{method.upper()} {path}"
        assert path.startswith("/"), where
        operation_ids.append(operation["operationId"])
        assert operation.get("responses"), f"{where} has no responses"
        for status, response in operation["responses"].items():
            assert re.fullmatch(r"[1-5](\d\d|XX)|default", status), f"{where}: status {status}"
            assert deref(doc, response).get("description"), f"{where} {status} has no description"
        params = parameters(doc, path, method)
        for p in params:
            assert p.get("name") and p.get("in") in ("query", "path", "header", "cookie"), f"{where}: {p}"
            assert ("schema" in p) != ("content" in p), f"{where}: {p['name']} needs schema or content"
        keys = [(p["name"], p["in"]) for p in params]
        assert len(keys) == len(set(keys)), f"{where}: duplicate parameters {keys}"
        in_template = set(re.findall(r"{([^{}]+)}", path))
        declared = {p["name"] for p in params if p["in"] == "path"}
        assert in_template == declared, f"{where}: path parameters {sorted(in_template)} vs {sorted(declared)}"
        for p in params:
            if p["in"] == "path":
                assert p.get("required") is True, f"{where}: path parameter {p['name']} must be required"
    assert len(operation_ids) == len(set(operation_ids)), "operationIds repeat"


# --- real answers match the documented schemas ---------------------------------------------------


def documented_schema(doc, template, status, method="get"):
    response = deref(doc, doc["paths"][template][method]["responses"][str(status)])
    return response["content"]["application/json"]["schema"]


def assert_documented(doc, response, template, status, method="get"):
    """The answer has the documented status, is JSON and holds exactly what its schema describes."""
    where = f"{method.upper()} {template}"
    assert response.status_code == status, f"{where}: {response.status_code} {response.get_data(as_text=True)}"
    assert response.mimetype == "application/json", where
    body = response.get_json()
    assert body, f"{where}: empty answer, nothing checked"
    errors = check(body, documented_schema(doc, template, status, method), doc, closed=True)
    assert not errors, f"{where} {status}:\n" + "\n".join(errors[:20])
    return body


def test_answers_match_the_documented_schemas(doc, client, demo, session):
    some = client.get("/api/spaces").get_json()["features"][0]["id"]
    # a space with nulls, a public and a private booking and a closure, so every branch of the schemas shows
    odd = create_space(session, kind="hall", area_m2=Decimal("42.5"), cost_eur=None, floor=None,
                       available_until=date(2027, 6, 30), equipment=["wifi", "stage"])
    odd.opening_hours = [OpeningHours(weekday=d, opens=time(9), closes=time(1)) for d in range(7)]
    create_booking(session, odd, utc(2026, 12, 1, 17), is_public=True, purpose="Chorprobe")
    create_booking(session, odd, utc(2026, 12, 2, 10), status="requested")
    session.add(Closure(space_id=odd.id, during=Range(utc(2026, 12, 2, 14), utc(2026, 12, 2, 16), bounds="[)"),
                        reason="Reinigung"))
    session.flush()
    calls = [
        ("/api/spaces", "/api/spaces", 200),
        ("/api/spaces?quartier=Linden-Mitte&walk=30&kind=room,hall&kind=workshop", "/api/spaces", 200),
        ("/api/spaces?lat=52.37&lon=9.73&sort=capacity&limit=3", "/api/spaces", 200),
        (f"/api/spaces/{some}", "/api/spaces/{space_id}", 200),
        (f"/api/spaces/{some}/availability?from=2026-12-01&to=2026-12-02",
         "/api/spaces/{space_id}/availability", 200),
        (f"/api/spaces/{odd.id}", "/api/spaces/{space_id}", 200),
        (f"/api/spaces/{odd.id}/availability?from=2026-12-01T08:00%2B01:00&to=2026-12-02",
         "/api/spaces/{space_id}/availability", 200),
        ("/api/phases", "/api/phases", 200),
        ("/api/quartiers", "/api/quartiers", 200),
        ("/api/spaces/nearest?lat=52.37&lon=9.73", "/api/spaces/nearest", 200),
        ("/api/openapi.json", "/api/openapi.json", 200),
        ("/api/spaces?bbox=1,2,3", "/api/spaces", 400),
        ("/api/spaces/nearest?lat=52.37&lon=9.73&n=0", "/api/spaces/nearest", 400),
        ("/api/spaces/999999", "/api/spaces/{space_id}", 404),
        ("/api/spaces/999999/availability", "/api/spaces/{space_id}/availability", 404),
    ]
    for url, template, status in calls:
        assert_documented(doc, client.get(url), template, status)

    busy = client.get(f"/api/spaces/{odd.id}/availability?from=2026-12-01&to=2026-12-02").get_json()["busy"]
    assert [(b["kind"], b["title"]) for b in busy] == [
        ("booking", "Chorprobe"), ("booking", "belegt"), ("closure", "Reinigung")]

    spaces = client.get("/api/spaces?lat=52.37&lon=9.73").get_json()["features"]
    assert spaces and all("distance_m" in f["properties"] for f in spaces)

    bad = client.get("/api/spaces?bbox=1,2,3").get_json()["error"]
    examples = doc["paths"]["/api/spaces"]["get"]["responses"]["400"]["content"]["application/json"]["examples"]
    assert bad in [e["value"]["error"] for e in examples.values()]


def test_booking_answers_match_the_documented_schemas(doc, app, session, client, fast_password_hashes, demo_clock):
    """Every answer of the booking API, success and refusal, as documented (the clock at 23 November 2026)."""
    provider = create_organisation(session, name="Stadtteilhaus")
    room = create_space(session, organisation=provider, name="Saal", capacity=20, booking_mode="on_request")
    room.opening_hours = [OpeningHours(weekday=1, opens=time(17), closes=time(22))]
    alice = accounts.register(session, email="alice@example.org", display_name="Alice", password="ein-langes-passwort",
                              organisation_name="Chor")
    manager = accounts.register(session, email="marta@example.org", display_name="Marta",
                                password="ein-langes-passwort")
    make_manager(session, manager, provider)
    session.flush()
    token = {"Authorization": f"Bearer {accounts.create_api_token(session, alice, 't')}"}
    managing = {"Authorization": f"Bearer {accounts.create_api_token(session, manager, 't')}"}
    choir = alice.organisations[0]
    series = {"space_id": room.id, "organisation_id": choir.id, "date": "2027-12-07", "from": "18:00", "to": "20:00",
              "attendees": 12, "frequency": "weekly", "until": "2027-12-21", "purpose": "Probe"}
    api = app.test_client()

    def post(path, body, status, template=None, headers=token):
        return assert_documented(doc, api.post(path, json=body, headers=headers), template or path, status, "post")

    post("/api/bookings", {**series, "dry_run": True}, 200)
    created = post("/api/bookings", series, 201)
    assert created["bookings"] and created["series_id"]
    taken = post("/api/bookings", series, 409)
    assert taken["problems"] and taken["code"]
    post("/api/bookings", {**series, "date": "2027-12-08", "frequency": "once"}, 422)
    post("/api/bookings", {**series, "status": "confirmed"}, 400)
    post("/api/bookings", {**series, "space_id": 999_999}, 404)
    assert_documented(doc, app.test_client().get("/api/bookings"), "/api/bookings", 401)
    assert_documented(doc, api.get("/api/bookings", headers=token), "/api/bookings", 200)
    first, second, third = (b["id"] for b in created["bookings"])
    assert_documented(doc, api.get(f"/api/bookings/{first}", headers=token), "/api/bookings/{booking_id}", 200)
    assert_documented(doc, api.get("/api/bookings/999999", headers=token), "/api/bookings/{booking_id}", 404)
    decision = "/api/bookings/{booking_id}/decision"
    post(f"/api/bookings/{first}/decision", {"accept": True}, 403, decision)
    post(f"/api/bookings/{first}/decision", {"accept": "ja"}, 400, decision, managing)
    post(f"/api/bookings/{first}/decision", {"accept": True, "note": "Gern"}, 200, decision, managing)
    post(f"/api/bookings/{first}/decision", {"accept": False}, 409, decision, managing)
    cancel = "/api/bookings/{booking_id}/cancel"
    post(f"/api/bookings/{second}/cancel", {"rest_of_series": "ja"}, 400, cancel)
    post(f"/api/bookings/{second}/cancel", {"rest_of_series": True}, 200, cancel)
    post(f"/api/bookings/{third}/cancel", {}, 409, cancel)
    post("/api/tokens", {"name": "Skript"}, 403)
    browser = app.test_client()
    log_in(browser, session, alice)
    csrf = {"X-CSRFToken": csrf_of(browser.get("/meine-buchungen"))}
    assert_documented(doc, browser.post("/api/tokens", json={"name": "Skript"}, headers=csrf), "/api/tokens", 201,
                      "post")
    assert_documented(doc, browser.post("/api/tokens", json={"name": 7}, headers=csrf), "/api/tokens", 400, "post")
