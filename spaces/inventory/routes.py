"""The inventory import from the browser: upload, preview, confirm (QM admins; space managers for their own
provider).

An upload is read and kept as an ImportBatch (spaces.inventory.service.store_upload); its page shows the plan
against the database as it is now, and "Import bestätigen" applies exactly that plan (the fingerprint of the shown
outcome must still hold) or nothing. Only the batch's owner sees it; anyone who neither manages spaces nor is a
QM admin is refused (403).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from spaces.core.errors import Conflict, Unprocessable
from spaces.db import db
from spaces.inventory import service
from spaces.inventory.forms import MAX_BYTES, ConfirmForm, DiscardForm, upload_form
from spaces.phrasing import said

bp = Blueprint("inventory", __name__)


@bp.route("/verwaltung/import", methods=["GET", "POST"])
@login_required
def upload():
    """Upload a file of spaces; it is read and shown as a preview, nothing is written yet."""
    service.may_import(db.session, current_user)
    form = upload_form(service.provider_choices(db.session, current_user))
    if not form.is_submitted():
        return render_template("inventory/upload.html", form=form)
    if form.validate():
        upload_file = form.file.data
        try:
            batch = service.store_upload(db.session, current_user, upload_file.filename,
                                         upload_file.stream.read(MAX_BYTES + 1), form.provider.data)
        except Unprocessable as err:
            form.file.errors.append(said(err.message))
        else:
            db.session.commit()
            return redirect(url_for("inventory.preview", batch_id=batch.id))
    return render_template("inventory/upload.html", form=form), 422


@bp.get("/verwaltung/import/<uuid:batch_id>")
@login_required
def preview(batch_id):
    """What the import would do, row by row; or, once confirmed, what it did."""
    batch = service.owned_batch(db.session, current_user, batch_id)
    if batch.applied_at is not None:
        return render_template("inventory/result.html", batch=batch)
    return _preview(batch, ConfirmForm(formdata=None))


@bp.post("/verwaltung/import/<uuid:batch_id>/bestaetigen")
@login_required
def confirm(batch_id):
    """Apply the import as previewed, all or nothing."""
    batch = service.owned_batch(db.session, current_user, batch_id)
    form = ConfirmForm()
    if not form.validate():
        return _preview(batch, form, status=422)
    try:
        counts = service.confirm(db.session, current_user, batch, form.fingerprint.data)
    except Conflict as err:
        db.session.rollback()
        return _preview(service.owned_batch(db.session, current_user, batch_id), form, said(err.message), 409)
    db.session.commit()
    flash(gettext("Import übernommen: %(created)s neu, %(updated)s aktualisiert.", created=counts.created,
                  updated=counts.updated))
    return redirect(url_for("inventory.preview", batch_id=batch_id))


@bp.post("/verwaltung/import/<uuid:batch_id>/verwerfen")
@login_required
def discard(batch_id):
    """Forget a waiting import."""
    batch = service.owned_batch(db.session, current_user, batch_id)
    if not DiscardForm().validate():
        return _preview(batch, ConfirmForm(formdata=None), status=422)
    service.discard(db.session, current_user, batch)
    db.session.commit()
    flash(gettext("Der Import ist verworfen; es wurde nichts geändert."))
    return redirect(url_for("inventory.upload"))


def _preview(batch, form: ConfirmForm, error: str | None = None, status: int = 200):
    plan = service.plan_batch(db.session, current_user, batch)
    form.fingerprint.data = plan.fingerprint
    shown, left_out = service.preview_entries(plan)
    return render_template("inventory/preview.html", batch=batch, plan=plan, form=form, entries=shown,
                           left_out=left_out, error=error, discard_form=DiscardForm(formdata=None),
                           changed_words=service.changed_words), status
