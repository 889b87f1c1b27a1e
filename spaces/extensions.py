"""Flask extensions, created once and bound to each app by init_extensions."""

from flask import request, session
from flask_babel import Babel, get_locale
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from . import ROOT
from .db import db

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
migrate = Migrate()

LOCALES = ("de", "en")


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
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    babel.init_app(app, locale_selector=select_locale, default_translation_directories=str(ROOT / "translations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_message = "Bitte melden Sie sich an."
    app.jinja_env.globals["get_locale"] = get_locale

    @login_manager.user_loader
    def load_user(user_id: str):
        from .models import User

        return db.session.get(User, int(user_id))
