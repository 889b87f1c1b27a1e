"""The one place that maps errors to HTTP answers: JSON on the API, a German page elsewhere.

The errors themselves are one family in spaces.core.errors; each says its status and code.
"""

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException, SecurityError

from spaces.core.errors import DomainError
from spaces.phrasing import said


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def register(app) -> None:
    """Answer domain and HTTP errors as JSON on the API and as a German page elsewhere."""

    @app.errorhandler(DomainError)
    def domain_error(err: DomainError):
        if _wants_json():
            body = {"error": said(err.message), "code": err.code}
            if len(err.field_errors) > 1:  # every wrong parameter at once, not one per request
                body["errors"] = [{"field": f, "message": said(m)} for f, m in err.field_errors]
            if getattr(err, "problems", None):
                from spaces.times import local_iso

                body["problems"] = [
                    {"start": local_iso(c.interval.start), "end": local_iso(c.interval.end), "problems": c.problems,
                     "codes": getattr(c, "codes", [])}
                    for c in err.problems
                ]
            return jsonify(body), err.status
        return render_template("error.html", status=err.status, message=said(err.message)), err.status

    from flask_wtf.csrf import CSRFError

    @app.errorhandler(CSRFError)
    def csrf_error(err: CSRFError):
        message = ("Das Formular ist abgelaufen oder unvollständig (Schutz gegen untergeschobene Anfragen). "
                   "Bitte die Seite neu laden und noch einmal senden.")
        if _wants_json():
            return jsonify(error=message + " API: Header X-CSRFToken mitsenden oder einen API-Token benutzen."), 400
        return render_template("error.html", status=400, message=message), 400

    @app.errorhandler(SecurityError)
    def untrusted_host(err: SecurityError):
        # No page of ours: links on it would be built for a host this service does not answer for.
        return "Diese Adresse gehört nicht zu diesem Dienst.", 400, {"Content-Type": "text/plain; charset=utf-8"}

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        # The exception's own headers (Allow on a 405, Retry-After on a 429) stay with the answer.
        headers = [(k, v) for k, v in err.get_headers() if k.lower() != "content-type"]
        if _wants_json():
            return jsonify(error=err.description), err.code, headers
        return render_template("error.html", status=err.code, message=err.description), err.code, headers
