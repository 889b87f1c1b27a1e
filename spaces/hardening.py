"""What every request passes before a view sees it, and what every answer carries: one place for all routes.

* Ids in URLs are bounded: `<int:…>` accepts 1 to 2³¹−1 (PostgreSQL's integer); anything else is 404.
* Text input carries no control characters: a NUL or another control character (but tab and line
  breaks) in the path, a query parameter or a JSON string is a 400 with a German message, before any
  view or the database sees it. Form fields get a German form error instead (spaces.fields.Form).
* A JSON body nests at most MAX_JSON_DEPTH levels (ours are flat): deeper is a 400, also beyond the depth
  Python's JSON parser can read at all (about 1,000 levels; it raises RecursionError, not ValueError).
* In production only the host of RAUMFINDER_BASE_URL (and RAUMFINDER_TRUSTED_HOSTS) is served.
* Every answer says what a browser may do with it (Content-Security-Policy without inline script,
  frame-ancestors 'none', nosniff, Referrer-Policy; HSTS in production).
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

from flask import g, request
from werkzeug.routing import IntegerConverter

from spaces.core.errors import BadParameter

MAX_ID = 2**31 - 1
CONTROL_CHARACTERS = "Die Anfrage enthält Steuerzeichen (z. B. ein Null-Byte); bitte nur Text senden."
MAX_JSON_DEPTH = 32
TOO_DEEP = f"Der JSON-Inhalt ist zu tief verschachtelt (höchstens {MAX_JSON_DEPTH} Ebenen)."
_SCRIPT_TAG = re.compile(r"<script(?=[\s>])")


class IdConverter(IntegerConverter):
    """`<int:…>`: a positive id that fits PostgreSQL's integer; a larger number matches no route (404)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def _control_character(text: str) -> bool:
    return any(ord(ch) < 32 and ch not in "\t\r\n" or ord(ch) == 127 for ch in text)


def _json_strings() -> list[str]:
    """Every string (keys too) in the request's JSON body; none when it has no JSON body or a broken one.
    BadParameter when the body nests deeper than MAX_JSON_DEPTH; walked without recursion."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser goes: silent=True only catches ValueError
        raise BadParameter(TOO_DEEP, "too_deep") from None
    strings, stack = [], [(body, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            strings.append(value)
        elif isinstance(value, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise BadParameter(TOO_DEEP, "too_deep")
            items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items)
    return strings


def screen_input() -> None:
    """Refuse control characters in any text a request brings (NUL breaks PostgreSQL; the rest is never meant),
    and JSON nested too deep."""
    texts = [*request.args.keys(), *(v for vs in request.args.listvalues() for v in vs)]
    if request.form:  # field names only; values are checked by the forms, beside the field
        texts += list(request.form.keys())
    if request.is_json:
        texts += _json_strings()
    if request.path and _control_character(request.path):
        texts.append(request.path)
    if any(_control_character(text) for text in texts):
        raise BadParameter(CONTROL_CHARACTERS, "control_character")


def trusted_hosts(config: dict) -> list[str] | None:
    """The hosts production answers for: the base URL's and RAUMFINDER_TRUSTED_HOSTS; None (all) elsewhere."""
    if not config.get("PRODUCTION"):
        return None
    hosts = [urlsplit(config["BASE_URL"]).hostname or ""]
    hosts += [h.strip() for h in config.get("EXTRA_TRUSTED_HOSTS", "").split(",") if h.strip()]
    return [h for h in hosts if h]


def csp_nonce() -> str:
    """This answer's nonce for the inline scripts it may run (Folium's map frame); templates call it."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def nonced(html: str) -> str:
    """HTML whose <script> tags carry this answer's nonce (Folium's map frame writes inline scripts)."""
    return _SCRIPT_TAG.sub(f'<script nonce="{csp_nonce()}"', str(html))


def add_security_headers(response, *, production: bool, tile_url: str):
    """The headers every answer carries; HSTS only in production (served over HTTPS)."""
    tiles = ""
    if tile_url:  # the map's tile server ({s}: any of its subdomains)
        parts = urlsplit(tile_url.replace("{s}", "*"))
        tiles = f" {parts.scheme}://{parts.netloc}"
    nonce = g.get("csp_nonce")
    script = f"'self' 'nonce-{nonce}'" if nonce else "'self'"
    response.headers.setdefault("Content-Security-Policy", "; ".join([
        "default-src 'self'", f"script-src {script}", "style-src 'self' 'unsafe-inline'",
        f"img-src 'self' data:{tiles}", "connect-src 'self'", "font-src 'self'", "object-src 'none'",
        "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'"]))
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if production:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def init_hardening(app) -> None:
    """Bind the converter, the input screen, the trusted hosts and the headers to `app`."""
    app.url_map.converters["int"] = IdConverter
    hosts = trusted_hosts(app.config)
    if hosts is not None:
        app.config["TRUSTED_HOSTS"] = hosts
    app.before_request(screen_input)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.jinja_env.filters["nonced"] = nonced

    @app.after_request
    def _headers(response):
        return add_security_headers(response, production=app.config.get("PRODUCTION", False),
                                    tile_url=app.config.get("TILE_URL", ""))
