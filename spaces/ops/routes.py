"""The outbox page: which mails wait, which were given up on and why, and a way to send them again.
For QM admins, who run the service for the neighbourhood; nobody else sees recipients or errors."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import login_required

from spaces import outbox
from spaces.accounts import guards
from spaces.db import db

bp = Blueprint("ops", __name__)


qm_admin_required = guards.qm_admin_required(
    lambda: gettext("Den Postausgang sieht nur die Verwaltung des Quartiersmanagements."))


@bp.get("/verwaltung/mails")
@login_required
@qm_admin_required
def mails():
    """The outbox: waiting and given-up mails (without their text: it may hold personal links), the sent ones."""
    return render_template("ops/outbox.html", overview=outbox.overview(), unsent=outbox.unsent(),
                           sent=outbox.recently_sent(), max_attempts=outbox.MAX_ATTEMPTS)


@bp.post("/verwaltung/mails/zustellen")
@login_required
@qm_admin_required
def deliver():
    """Deliver waiting mails now (cron does it too: `flask mail deliver`)."""
    sent = outbox.deliver(500)
    waiting = outbox.overview().waiting
    flash(gettext("%(sent)s Mails zugestellt, %(waiting)s warten noch.", sent=sent, waiting=waiting))
    return redirect(url_for("ops.mails"))


@bp.post("/verwaltung/mails/<int:mail_id>/erneut")
@login_required
@qm_admin_required
def retry(mail_id: int):
    """Try a mail again that was given up on, e.g. after the mail server's address was corrected."""
    mail = outbox.try_again(mail_id)
    db.session.commit()
    outbox.deliver(only=[mail.id])
    db.session.refresh(mail)
    if mail.sent_at is not None:
        flash(gettext("Die Mail an %(to)s ist zugestellt.", to=mail.recipient))
    else:
        flash(gettext("Die Mail an %(to)s ging wieder nicht hinaus: %(error)s", to=mail.recipient,
                      error=mail.last_error))
    return redirect(url_for("ops.mails"))
