"""Accounts in the browser: register, log in and out, reset a password, accept an invitation."""

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user, login_required, login_user, logout_user

from spaces import outbox
from spaces.accounts import service as accounts
from spaces.accounts.forms import ConfirmForm, InviteForm, LoginForm, RegisterForm, ResetForm, ResetRequestForm
from spaces.accounts.ratelimit import TOO_MANY, limiter
from spaces.accounts.service import AccountError
from spaces.db import db
from spaces.links import absolute_url
from spaces.manage import members
from spaces.models import Organisation, User
from spaces.outbox import Outgoing
from spaces.phrasing import said

bp = Blueprint("auth", __name__)

LOGIN_LIMIT = "10 per minute;50 per hour"  # per address
ACCOUNT_LIMIT = "20 per 15 minutes;50 per day"  # failed logins per account, from any number of addresses


def _login_account() -> str:
    """The rate-limit key of a login attempt: the account it names, whatever address it comes from."""
    # Hashed: any text is a valid key (a NUL included), and the counter table holds no addresses.
    return "login-account:" + accounts.hash_token((request.form.get("email") or "").strip().lower()[:254])


def _local_path(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None: an open redirect would let a phishing link log
    people in elsewhere."""
    if target and all(32 <= ord(c) < 127 for c in target) and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return None


def _safe_next(target: str | None) -> str:
    """Only same-site paths (else the start page)."""
    return _local_path(target) or url_for("finder.index")


def _confirmation_mail(user: User, next_path: str) -> Outgoing:
    token = accounts.verification_token(user, current_app.config["SECRET_KEY"], next_path)
    link = absolute_url("auth.confirm", token=token)
    return Outgoing(user.email, "Raumfinder: E-Mail-Adresse bestätigen",
                    f"Hallo {user.display_name},\n\nbitte bestätigen Sie mit diesem Link Ihre E-Mail-Adresse "
                    f"(eine Woche gültig); danach können Sie sich anmelden und Räume buchen:\n{link}\n\n"
                    "Wenn Sie sich nicht beim Raumfinder registriert haben, ignorieren Sie diese Mail: "
                    "ohne Bestätigung wird das Konto nach 30 Tagen gelöscht.")


def _already_registered_mail(user: User) -> Outgoing:
    return Outgoing(user.email, "Raumfinder: Sie haben schon ein Konto",
                    f"Hallo {user.display_name},\n\ngerade wollte jemand (vielleicht Sie) mit dieser Adresse ein "
                    "Konto beim Raumfinder anlegen. Sie haben schon eins:\n\n"
                    f"Anmelden: {absolute_url('auth.login')}\n"
                    f"Passwort vergessen: {absolute_url('auth.reset_request')}\n\n"
                    "Wenn Sie das nicht waren, ignorieren Sie diese Mail; an Ihrem Konto hat sich nichts geändert.")


def _start(user, remember: bool) -> None:
    session.clear()  # a new session at login: nothing from before survives
    user.session_token = accounts.open_session(db.session, user)
    login_user(user, remember=remember)


@bp.route("/anmelden", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"], error_message=TOO_MANY)
@limiter.limit(ACCOUNT_LIMIT, key_func=_login_account, methods=["POST"], error_message=TOO_MANY,
               deduct_when=lambda response: response.status_code != 302)  # only failures count
def login():
    """Log in with email and password."""
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(db.session, form.email.data, form.password.data)
        if user is None:
            form.password.errors.append("E-Mail oder Passwort stimmt nicht.")
        elif user.email_verified_at is None:  # the right password: telling its owner is no leak
            outbox.commit_and_deliver([_confirmation_mail(user, _safe_next(request.args.get("next")))])
            form.email.errors.append(gettext(
                "Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse: Wir haben Ihnen den Link noch einmal an "
                "%(email)s geschickt.", email=user.email))
        else:
            target = _safe_next(request.args.get("next"))
            _start(user, form.remember.data)
            db.session.commit()
            return redirect(target)
    return render_template("auth/login.html", form=form), 200 if request.method == "GET" or not form.errors else 422


@bp.post("/abmelden")
@login_required
def logout():
    """Log out: the login session ends in the database, so its cookie is worthless from now on."""
    if current_user.session_token:
        accounts.close_session(db.session, current_user.session_token)
        db.session.commit()
    session.clear()
    logout_user()  # after clear(): it leaves the note that deletes the remember-me cookie
    flash(gettext("Sie sind abgemeldet."))
    return redirect(url_for("finder.index"))


@bp.route("/registrieren", methods=["GET", "POST"])
@limiter.limit("5 per minute;20 per hour", methods=["POST"], error_message=TOO_MANY)
def register():
    """Create an account (and, once the address is confirmed, a new initiative).

    The answer is the same whether the address is new or already has an account: a mail is on its
    way, either with the confirmation link or telling the owner they already have an account.
    """
    form = RegisterForm(email=request.args.get("email", "")[:254])  # prefilled from an invitation's page
    next_path = _safe_next(request.args.get("next"))
    if form.validate_on_submit():
        try:
            signup = accounts.sign_up(db.session, email=form.email.data, display_name=form.display_name.data,
                                      password=form.password.data, organisation_name=form.organisation.data or "")
        except AccountError as err:
            getattr(form, err.field or "email").errors.append(said(err.message))
        else:
            mail = _already_registered_mail(signup.user) if signup.existing else _confirmation_mail(signup.user,
                                                                                                   next_path)
            outbox.commit_and_deliver([mail])
            flash(gettext("Fast geschafft: Wir haben Ihnen eine Mail an %(email)s geschickt. Bitte bestätigen Sie "
                          "darin Ihre Adresse, dann können Sie sich anmelden.", email=signup.user.email))
            return redirect(url_for("auth.login", next=_local_path(request.args.get("next"))))
    return render_template("auth/register.html", form=form), 200 if request.method == "GET" or not form.errors else 422


@bp.route("/konto/bestaetigen/<token>", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"], error_message=TOO_MANY)
def confirm(token: str):
    """Confirm the address from the registration mail: with the password of that registration, so a
    link alone (forwarded, or from someone who registered another person's address) logs nobody in."""
    found = accounts.unconfirmed_for_token(db.session, token, current_app.config["SECRET_KEY"])
    if found is None:
        abort(404, description="Dieser Link ist abgelaufen, wurde schon benutzt oder durch eine neuere "
                               "Registrierung ersetzt. Melden Sie sich an: Dann schicken wir einen neuen.")
    user, next_path = found
    form = ConfirmForm()
    if form.validate_on_submit():
        if not accounts.password_matches(user, form.password.data):
            form.password.errors.append(gettext("Das Passwort stimmt nicht."))
        else:
            accounts.confirm_email(user)
            _start(user, remember=False)
            db.session.commit()
            flash(gettext("Ihre E-Mail-Adresse ist bestätigt. Willkommen!"))
            return redirect(_safe_next(next_path))
    status = 200 if request.method == "GET" or not form.errors else 422
    return render_template("auth/confirm.html", form=form, email=user.email), status


@bp.route("/passwort-vergessen", methods=["GET", "POST"])
@limiter.limit("5 per minute;20 per hour", methods=["POST"], error_message=TOO_MANY)
def reset_request():
    """Ask for a reset link; the answer is the same whether the address is known or not."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        user = accounts.user_by_email(db.session, form.email.data)
        if user is not None:
            token = accounts.reset_token(user, current_app.config["SECRET_KEY"])
            link = absolute_url("auth.reset", token=token)
            outbox.commit_and_deliver([Outgoing(
                user.email, "Raumfinder: neues Passwort",
                f"Hallo {user.display_name},\n\nmit diesem Link setzen Sie ein neues Passwort "
                f"(eine Stunde gültig):\n{link}\n\nWenn Sie das nicht waren, ignorieren Sie diese Mail.")])
        flash(gettext("Wenn es ein Konto mit dieser Adresse gibt, ist ein Link zum neuen Passwort unterwegs."))
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_request.html", form=form), 422 if form.errors else 200


@bp.route("/passwort-neu/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"], error_message=TOO_MANY)
def reset(token: str):
    """Set a new password from a mailed link; every other login of the account ends."""
    user = accounts.user_for_reset_token(db.session, token, current_app.config["SECRET_KEY"])
    if user is None:
        abort(404, description="Dieser Link ist abgelaufen oder wurde schon benutzt.")
    form = ResetForm()
    if form.validate_on_submit():
        try:
            accounts.set_password(user, form.password.data)
        except AccountError as err:
            form.password.errors.append(said(err.message))
        else:
            accounts.confirm_email(user)  # the link came to this mailbox: the address is proven
            accounts.close_all_sessions(db.session, user)
            _start(user, remember=False)
            db.session.commit()
            flash(gettext("Ihr neues Passwort gilt."))
            return redirect(url_for("finder.index"))
    return render_template("auth/reset.html", form=form), 422 if form.errors else 200


@bp.route("/organisationen/<int:organisation_id>/einladen", methods=["GET", "POST"])
@login_required
def invite(organisation_id: int):
    """Invite someone by email into one's own organisation."""
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None or not accounts.may_invite(db.session, current_user, organisation_id):
        abort(404, description="Diese Organisation gibt es nicht, oder Sie gehören nicht dazu.")
    form = InviteForm()
    if form.validate_on_submit():
        try:
            token = accounts.invite(db.session, organisation, form.email.data, current_user, form.role.data,
                                    is_admin=form.is_admin.data)
        except AccountError as err:
            form.email.errors.append(said(err.message))
        else:
            members.record_invitation(db.session, current_user, form.email.data, organisation, form.role.data,
                                      form.is_admin.data)
            outbox.commit_and_deliver([_invitation_mail(form, organisation, token)])
            flash(gettext("Einladung an %(email)s ist verschickt.", email=form.email.data))
            back = accounts.administers(db.session, current_user, organisation.id)
            return redirect(url_for("manage.members", organisation_id=organisation.id) if back
                            else url_for("booking.mine"))
    return render_template("auth/invite.html", form=form, organisation=organisation), 422 if form.errors else 200


def _invitation_mail(form: InviteForm, organisation: Organisation, token: str) -> Outgoing:
    """The invitation, saying which rights it offers (a person should know before joining)."""
    rights = [gettext("Raumverwaltung (Räume pflegen, Anfragen entscheiden)")] if form.role.data == "space_manager" \
        else []
    if form.is_admin.data:
        rights.append(gettext("Admin (Mitglieder und Rechte verwalten)"))
    offered = gettext("als Mitglied mit den Rechten: %(rights)s", rights=", ".join(rights)) if rights \
        else gettext("als Mitglied")
    return Outgoing(form.email.data, f"Einladung zu {organisation.name} im Raumfinder",
                    f"{current_user.display_name} lädt Sie zu {organisation.name} ein, {offered}.\n\n"
                    f"Annehmen (zwei Wochen gültig): {absolute_url('auth.accept', token=token)}\n\n"
                    "Noch kein Konto? Über den Link können Sie eins anlegen; danach geht es hier weiter.")


@bp.route("/einladung/<token>", methods=["GET", "POST"])
def accept(token: str):
    """Accept an invitation: log in (or register) with the invited address, then join."""
    invitation = accounts.find_invitation(db.session, token)
    if invitation is None:
        abort(404, description="Diese Einladung ist abgelaufen oder wurde schon angenommen.")
    if not current_user.is_authenticated:  # the page offers logging in or registering, both coming back here
        return render_template("auth/accept.html", invitation=invitation)
    if request.method == "POST":  # CSRFProtect has checked the token
        try:
            organisation = accounts.accept_invitation(db.session, invitation, current_user)
        except AccountError as err:
            abort(403, description=said(err.message))
        members.record_joined(db.session, current_user, invitation)
        db.session.commit()
        flash(gettext("Willkommen bei „%(org)s“!", org=organisation.name))
        endpoint, values = members.after_joining(invitation)
        return redirect(url_for(endpoint, **values))
    return render_template("auth/accept.html", invitation=invitation)
