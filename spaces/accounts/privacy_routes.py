"""The person's own data: see what is stored, download it as JSON, delete the account (spaces/accounts/privacy.py)."""

import json

from flask import Blueprint, Response, flash, redirect, render_template, session, url_for
from flask_babel import gettext
from flask_login import current_user, login_required, logout_user

from spaces.accounts import privacy
from spaces.accounts import service as accounts
from spaces.accounts.forms import DeleteAccountForm
from spaces.accounts.ratelimit import TOO_MANY, limiter
from spaces.db import db
from spaces.times import local_iso

bp = Blueprint("privacy", __name__)


@bp.get("/konto/daten")
@login_required
def my_data():
    """What is stored about me, the download, and the deletion form."""
    stored = privacy.export(db.session, current_user)
    return render_template("auth/my_data.html", stored=stored, form=DeleteAccountForm())


@bp.get("/konto/daten.json")
@login_required
def download():
    """Everything stored about me as one JSON file (DSGVO Art. 15 and 20)."""
    body = json.dumps(privacy.export(db.session, current_user), ensure_ascii=False, indent=2)
    name = f"raumfinder-meine-daten-{local_iso(privacy.now_utc())[:10]}.json"
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@bp.post("/konto/loeschen")
@login_required
@limiter.limit("5 per minute;20 per hour", methods=["POST"], error_message=TOO_MANY)
def delete():
    """Delete my account after the password is given again; my bookings stay as anonymous occupancy."""
    form = DeleteAccountForm()
    if form.validate_on_submit() and not accounts.password_matches(current_user, form.password.data):
        form.password.errors.append(gettext("Das Passwort stimmt nicht."))
    elif form.validate_on_submit():
        privacy.delete_account(db.session, current_user._get_current_object())
        db.session.commit()
        session.clear()
        logout_user()
        flash(gettext("Ihr Konto ist gelöscht. Ihre Buchungen bleiben ohne Ihren Namen als „belegt“ stehen."))
        return redirect(url_for("finder.index"))
    stored = privacy.export(db.session, current_user)
    return render_template("auth/my_data.html", stored=stored, form=form), 422
