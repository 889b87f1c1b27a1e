"""Flask extensions, created once and bound to each app by init_extensions."""

from flask import request, session
from flask_babel import Babel, get_locale, gettext
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from spaces import resource
from spaces.db import db

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
migrate = Migrate()

LOCALES = ("de", "en")


def N_(message: str) -> str:
    """Marks a string for translation (pybabel finds it) without translating it yet."""
    return message


def select_locale() -> str:
    """German unless the visitor chose English (?lang=en, remembered in the session)."""
    wanted = request.args.get("lang")
    if wanted in LOCALES:
        session["lang"] = wanted
        return wanted
    return session.get("lang", "de")


def init_extensions(app) -> None:
    """Bind every extension to `app`."""
    db.init_app(app)
    migrate.init_app(app, db, directory=str(resource("migrations")))
    babel.init_app(app, locale_selector=select_locale, default_translation_directories=str(resource("translations")))
    # CSRF on every form and on cookie-authenticated API calls (header X-CSRFToken); a request
    # that carries a Bearer token is not sent by a browser on its own, so it needs none.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    csrf.init_app(app)

    @app.before_request
    def _csrf():
        from flask_login import current_user

        if request.routing_exception is not None:
            return  # no such route or method: the 404 or 405 (with Allow) says more than a CSRF error
        if request.headers.get("Authorization", "").startswith("Bearer "):
            return
        if request.path.startswith("/api/") and not current_user.is_authenticated:
            return  # no credentials at all: the API answers 401, which says more than a CSRF error
        csrf.protect()
    login_manager.init_app(app)
    login_manager.login_message = N_("Bitte melden Sie sich an.")
    login_manager.localize_callback = gettext  # translated when flashed, in the visitor's language
    app.jinja_env.globals["get_locale"] = get_locale
    from spaces.formatting import FILTERS

    app.jinja_env.filters.update(FILTERS)

    login_manager.login_view = "auth.login"

    @login_manager.unauthorized_handler
    def _unauthorized():
        from flask import jsonify, redirect, url_for

        if request.path.startswith("/api/"):
            return jsonify(error="Bitte anmelden."), 401
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))

    @login_manager.user_loader
    def load_user(token: str):
        """The id in the session is a login-session token: a logged-out (deleted) session finds nobody."""
        from spaces.accounts.service import user_for_session

        if "Authorization" in request.headers:
            return None  # a request with credentials of its own never rides on a cookie (and skips CSRF)
        return user_for_session(db.session, token)

    @login_manager.request_loader
    def load_user_from_api_token(req):
        """API clients may send `Authorization: Bearer <token>` instead of a session cookie."""
        from spaces.accounts.service import user_for_api_token

        header = req.headers.get("Authorization", "")
        if header.startswith("Bearer ") and req.path.startswith("/api/"):
            return user_for_api_token(db.session, header[7:].strip())
        return None
