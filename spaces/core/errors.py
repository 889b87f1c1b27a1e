"""The domain's errors: one family, each with the HTTP status it means, a stable code and a German
message; spaces/errors.py maps them to answers in one place (JSON on the API, a page elsewhere).

Pure: the core raises them without knowing of Flask. `field` names the form field an error is
about, so a form puts the message beside the right input without reading the message.
"""

from __future__ import annotations

__all__ = [
    "BadParameter",
    "Conflict",
    "DomainError",
    "Forbidden",
    "NotFound",
    "Unauthorized",
    "Unprocessable",
]


class DomainError(Exception):
    """A request the domain refuses, with a message a person understands."""

    status = 422
    default_code = "refused"

    def __init__(self, message: str, code: str | None = None, *, field: str | None = None,
                 field_errors: list[tuple[str | None, str]] | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.field = field
        # Every (field, message) found wrong at once, so a form can show them all together; the first is
        # `field` and `message`.
        self.field_errors: list[tuple[str | None, str]] = field_errors or [(field, message)]


class BadParameter(DomainError):
    """A parameter that is malformed or out of range (HTTP 400)."""

    status = 400
    default_code = "bad_parameter"


class Unauthorized(DomainError):
    """Nobody is logged in and no valid token was sent (HTTP 401)."""

    status = 401
    default_code = "unauthorized"


class Forbidden(DomainError):
    """The person may not do this (HTTP 403)."""

    status = 403
    default_code = "forbidden"


class NotFound(DomainError):
    """No such thing, or one the person may not know of (HTTP 404)."""

    status = 404
    default_code = "not_found"


class Conflict(DomainError):
    """The state changed: taken, already decided, already confirmed (HTTP 409)."""

    status = 409
    default_code = "conflict"


class Unprocessable(DomainError):
    """Well-formed but against the rules (HTTP 422)."""

    status = 422
    default_code = "unprocessable"
