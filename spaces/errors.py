"""Domain errors and the one place that maps them to HTTP answers."""

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    """A request the domain refuses, with a message a person understands."""

    status = 422

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BadParameter(DomainError):
    status = 400


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def register(app) -> None:
    """Answer domain and HTTP errors as JSON on the API and as a German page elsewhere."""

    @app.errorhandler(DomainError)
    def domain_error(err: DomainError):
        if _wants_json():
            body = {"error": err.message}
            if getattr(err, "problems", None):
                from spaces.times import local_iso

                body["problems"] = [
                    {"start": local_iso(c.interval.start), "end": local_iso(c.interval.end), "problems": c.problems,
                     "codes": getattr(c, "codes", [])}
                    for c in err.problems
                ]
            return jsonify(body), err.status
        return render_template("error.html", status=err.status, message=err.message), err.status

    from flask_wtf.csrf import CSRFError

    @app.errorhandler(CSRFError)
    def csrf_error(err: CSRFError):
        message = ("Das Formular ist abgelaufen oder unvollständig (Schutz gegen untergeschobene Anfragen). "
                   "Bitte die Seite neu laden und noch einmal senden.")
        if _wants_json():
            return jsonify(error=message + " API: Header X-CSRFToken mitsenden oder einen API-Token benutzen."), 400
        return render_template("error.html", status=400, message=message), 400

    from spaces.core.recurrence import RecurrenceError

    @app.errorhandler(RecurrenceError)
    def recurrence_error(err: RecurrenceError):
        if _wants_json():
            return jsonify(error=err.message, code=err.code), 422
        return render_template("error.html", status=422, message=err.message), 422

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        if _wants_json():
            return jsonify(error=err.description), err.code
        return render_template("error.html", status=err.code, message=err.description), err.code
