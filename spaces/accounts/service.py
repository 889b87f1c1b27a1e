"""Accounts: registration, passwords, login sessions that logout ends for good, reset tokens, invitations."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, object_session
from werkzeug.security import check_password_hash, generate_password_hash

from spaces.clock import now_utc
from spaces.core.errors import NotFound, Unprocessable
from spaces.core.phrases import phrase
from spaces.models import ApiToken, Invitation, Organisation, Role, User, UserSession, memberships

MIN_PASSWORD = 10
SESSION_LIFETIME = timedelta(days=30)
RESET_MAX_AGE = 3600  # seconds
VERIFY_MAX_AGE = 7 * 24 * 3600  # seconds: the link in the registration mail
UNVERIFIED_LIFETIME = timedelta(days=30)  # then an account whose address was never confirmed is deleted
MAX_LIVE_SESSIONS = 20  # per account: the oldest ends when a 21st login starts
INVITATION_LIFETIME = timedelta(days=14)
API_TOKEN_LIFETIME = timedelta(days=365)
# Compared against when the email is unknown, so a login takes as long either way.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class _ClockedSigner(TimestampSigner):
    """Signatures whose age is read from the service's one clock (spaces.clock), not the system's."""

    def get_timestamp(self) -> int:
        return int(now_utc().timestamp())


class _Serializer(URLSafeTimedSerializer):
    default_signer = _ClockedSigner


class AccountError(Unprocessable):
    """A form-level refusal with a German message; `field` says which input it is about."""

    default_code = "account"


def hash_token(token: str) -> str:
    """Tokens are stored only as their SHA-256: a leaked table gives no working token."""
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_email(email: str) -> str:
    """The email address, checked and lower-cased, or AccountError."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise AccountError(phrase("Bitte eine gültige E-Mail-Adresse angeben."), field="email") from None


def check_password(password: str, email: str = "") -> None:
    """Refuse passwords that are too short or just the email address."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(phrase("Das Passwort braucht mindestens %(n)s Zeichen.", n=MIN_PASSWORD), field="password")
    if email and password.strip().lower() == email.lower():
        raise AccountError(phrase("Das Passwort darf nicht die E-Mail-Adresse sein."), field="password")


def _found_initiative(session: Session, user: User, name: str) -> Organisation:
    """A new initiative with `user` as its first member and admin (who can then appoint others)."""
    organisation = Organisation(key=f"org-{secrets.token_hex(6)}", name=name.strip(), kind="initiative")
    user.organisations.append(organisation)
    session.flush()
    session.execute(memberships.update().where(
        memberships.c.user_id == user.id, memberships.c.organisation_id == organisation.id).values(is_admin=True))
    return organisation


def register(session: Session, *, email: str, display_name: str, password: str,
             organisation_name: str = "") -> User:
    """A new member account with a confirmed address (admins, the CLI, tests), with a new initiative
    when one is named. People registering themselves go through `sign_up` and confirm by mail."""
    email = normalise_email(email)
    check_password(password, email)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise AccountError(phrase("Mit dieser E-Mail-Adresse gibt es schon ein Konto. Passwort vergessen?"),
                           field="email")
    user = User(email=email, display_name=display_name.strip() or email, role=Role.MEMBER,
                password_hash=generate_password_hash(password), email_verified_at=now_utc())
    session.add(user)
    session.flush()
    if organisation_name.strip():
        _found_initiative(session, user, organisation_name)
    return user


@dataclass(frozen=True)
class SignUp:
    """What a registration did. The person registering is told the same either way (a mail is on its
    way), so the form never says whether an address has an account."""

    user: User
    existing: bool  # the address already had a confirmed account: nothing was changed, its owner is told


def sign_up(session: Session, *, email: str, display_name: str, password: str,
            organisation_name: str = "") -> SignUp:
    """Self-registration: an account that cannot log in until the address is confirmed (`confirm_email`).

    Registering again with an address that was never confirmed replaces the earlier attempt (name,
    password, initiative), and the earlier link stops working: whoever owns the mailbox and knows
    the latest password decides. A confirmed account is left untouched.
    """
    email = normalise_email(email)
    check_password(password, email)
    password_hash = generate_password_hash(password)  # hashed either way: both answers take as long
    user = session.scalar(select(User).where(User.email == email).with_for_update())
    if user is not None and user.email_verified_at is not None:
        return SignUp(user, existing=True)
    if user is None:
        user = User(email=email, role=Role.MEMBER, created_at=now_utc())
        session.add(user)
    user.display_name = display_name.strip() or email
    user.password_hash = password_hash
    user.pending_organisation = organisation_name.strip()[:200]
    session.flush()
    # After the INSERT: a None given to the constructor would be replaced by the column's default
    # (accounts made by admins count as confirmed).
    user.email_verified_at = None
    session.flush()
    return SignUp(user, existing=False)


def _verify_serializer(secret: str) -> URLSafeTimedSerializer:
    return _Serializer(secret, salt="verify-email")


def verification_token(user: User, secret: str, next_path: str = "") -> str:
    """A signed token for the link in the registration mail (a week valid). It names the password
    of that registration, so registering again makes older links worthless."""
    return _verify_serializer(secret).dumps({"uid": user.id, "ph": user.password_hash[-16:], "next": next_path})


def unconfirmed_for_token(session: Session, token: str, secret: str) -> tuple[User, str] | None:
    """The unconfirmed account a registration link belongs to and the page to go on to, or None
    when the link is forged, older than a week, superseded or already used."""
    try:
        data = _verify_serializer(secret).loads(token, max_age=VERIFY_MAX_AGE)
    except (BadSignature, SignatureExpired):
        return None
    user = session.get(User, data.get("uid")) if isinstance(data.get("uid"), int) else None
    if user is None or user.email_verified_at is not None or user.password_hash[-16:] != data.get("ph"):
        return None
    return user, str(data.get("next") or "")


def confirm_email(user: User) -> None:
    """The address is proven: the account can log in, and the initiative named at registration exists."""
    if user.email_verified_at is None:
        user.email_verified_at = now_utc()
    if user.pending_organisation:
        session = object_session(user)
        assert session is not None, "confirm_email needs an account from the database"
        _found_initiative(session, user, user.pending_organisation)
        user.pending_organisation = ""


def password_matches(user: User, password: str) -> bool:
    return check_password_hash(user.password_hash, password)


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None. The address may still be unconfirmed:
    the caller refuses the login then (and sends the link again)."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.is_active:
        return None
    return user


def set_password(user: User, password: str) -> None:
    check_password(password, user.email)
    user.password_hash = generate_password_hash(password)


def open_session(session: Session, user: User) -> str:
    """A new login session; returns the token the browser keeps.

    The user's expired sessions go, and of the live ones at most MAX_LIVE_SESSIONS stay (the oldest
    end), so logging in again and again does not grow the table.
    """
    if user.email_verified_at is None:
        raise AccountError(phrase("Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse."), field="email")
    session.execute(delete(UserSession).where(UserSession.user_id == user.id, UserSession.expires_at <= now_utc()))
    keep = (select(UserSession.id).where(UserSession.user_id == user.id)
            .order_by(UserSession.expires_at.desc(), UserSession.id.desc()).limit(MAX_LIVE_SESSIONS - 1))
    session.execute(delete(UserSession).where(UserSession.user_id == user.id, UserSession.id.not_in(keep)))
    token = secrets.token_urlsafe(32)
    session.add(UserSession(user_id=user.id, token_hash=hash_token(token), expires_at=now_utc() + SESSION_LIFETIME))
    session.flush()
    return token


def user_by_email(session: Session, email: str) -> User | None:
    """The account with this e-mail address (case and surrounding spaces do not matter), or None."""
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def user_for_session(session: Session, token: str) -> User | None:
    """The user of a live login session, or None when it ended or expired."""
    row = session.scalar(select(UserSession).where(UserSession.token_hash == hash_token(token)))
    if row is None or row.expires_at <= now_utc() or not row.user.is_active or row.user.email_verified_at is None:
        return None
    row.user.session_token = token
    return row.user


def create_api_token(session: Session, user: User, name: str) -> str:
    """A new personal API token (a year valid); shown once, only its hash is kept."""
    return issue_api_token(session, user, name)[1]


def issue_api_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    """A new personal API token: the stored row (name, expiry) and the token, which is shown only once."""
    token = "rf_" + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name.strip()[:100] or "API", token_hash=hash_token(token),
                   created_at=now_utc(), expires_at=now_utc() + API_TOKEN_LIFETIME)
    session.add(row)
    session.flush()
    return row, token


def api_tokens(session: Session, user: User) -> list[ApiToken]:
    """The user's live API tokens, newest first (expired ones are not listed: they no longer work)."""
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.expires_at > now_utc())
                                .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def revoke_api_token(session: Session, user: User, token_id: int) -> ApiToken:
    """End one of the user's API tokens for good; NotFound for another person's or an unknown one."""
    row = session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
    if row is None:
        raise NotFound("Diesen API-Token gibt es nicht (mehr).")
    session.delete(row)
    session.flush()
    return row


def user_for_api_token(session: Session, token: str) -> User | None:
    """The active user of a live (not expired, not revoked) API token, or None."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    now = now_utc()
    if row is None or row.expires_at <= now or not row.user.is_active or row.user.email_verified_at is None:
        return None
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=5):
        # Not on every request: the row lock would make concurrent requests with one token queue up.
        row.last_used_at = now
        session.commit()  # kept even when the request itself only reads
    row.user.session_token = None  # token-authenticated: no session to keep
    row.user.via_api_token = True
    return row.user


def close_session(session: Session, token: str) -> None:
    """End a login session for good: its cookie, copied or not, no longer works."""
    session.execute(delete(UserSession).where(UserSession.token_hash == hash_token(token)))


def close_all_sessions(session: Session, user: User) -> None:
    """End every login and revoke every API token of a user (after a password change)."""
    session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))


def _reset_serializer(secret: str) -> URLSafeTimedSerializer:
    return _Serializer(secret, salt="password-reset")


def reset_token(user: User, secret: str) -> str:
    """A signed token for the reset link; it stops working once the password changed."""
    return _reset_serializer(secret).dumps({"uid": user.id, "ph": user.password_hash[-16:]})


def user_for_reset_token(session: Session, token: str, secret: str) -> User | None:
    """The user a reset token belongs to, if it is genuine, fresh (1 hour) and unused."""
    try:
        data = _reset_serializer(secret).loads(token, max_age=RESET_MAX_AGE)
    except (BadSignature, SignatureExpired):
        return None
    user = session.get(User, data.get("uid"))
    if user is None or user.password_hash[-16:] != data.get("ph"):
        return None
    return user


def _holds(session: Session, user: User, organisation_id: int | None, right) -> bool:
    """Whether the user's membership in the organisation carries `right` (a column of memberships); QM admins
    hold every right everywhere."""
    if user.role == Role.QM_ADMIN:
        return True
    if organisation_id is None:
        return False
    return bool(session.scalar(select(right).where(
        memberships.c.user_id == user.id, memberships.c.organisation_id == organisation_id)))


def manages(session: Session, user: User, organisation_id: int | None) -> bool:
    """Whether the user manages this organisation's spaces (QM admins manage all)."""
    return _holds(session, user, organisation_id, memberships.c.is_manager)


def administers(session: Session, user: User, organisation_id: int | None) -> bool:
    """Whether the user administers this organisation (appoints managers and admins; QM admins: all)."""
    return _holds(session, user, organisation_id, memberships.c.is_admin)


def administered_organisation_ids(session: Session, user: User) -> list[int]:
    """The organisations the user is an admin of (by membership; QM admins are not listed here)."""
    return list(session.scalars(select(memberships.c.organisation_id).where(
        memberships.c.user_id == user.id, memberships.c.is_admin.is_(True))))


def managed_organisation_ids(session: Session, user: User) -> list[int]:
    """The organisations whose spaces the user manages."""
    return list(session.scalars(select(memberships.c.organisation_id).where(
        memberships.c.user_id == user.id, memberships.c.is_manager.is_(True))))


def may_invite(session: Session, user: User, organisation_id: int) -> bool:
    """Members invite into their own organisation; QM admins into any."""
    return user.is_qm_admin or user.member_of(organisation_id)


def invite(session: Session, organisation: Organisation, email: str, by: User, role: str = Role.MEMBER,
           is_admin: bool = False) -> str:
    """An invitation into `organisation` (as member or space manager, and perhaps as admin too);
    returns the token for the mailed link. Rights are given only by who holds them or administers."""
    if role not in (Role.MEMBER, Role.SPACE_MANAGER):
        raise AccountError(phrase("Einladen kann man nur als Mitglied oder Raumverwaltung."))
    if role == Role.SPACE_MANAGER and not (manages(session, by, organisation.id)
                                           or administers(session, by, organisation.id)):
        raise AccountError(phrase("Als Raumverwaltung einladen kann nur, wer die Räume dieser Organisation "
                                  "verwaltet oder sie als Admin betreut."))
    if is_admin and not administers(session, by, organisation.id):
        raise AccountError(phrase("Als Admin einladen kann nur ein Admin der Organisation."))
    token = secrets.token_urlsafe(32)
    session.add(Invitation(organisation_id=organisation.id, email=normalise_email(email), role=role,
                           is_admin=is_admin, token_hash=hash_token(token), invited_by_id=by.id,
                           expires_at=now_utc() + INVITATION_LIFETIME))
    session.flush()
    return token


def find_invitation(session: Session, token: str) -> Invitation | None:
    """An open invitation by its token."""
    invitation = session.scalar(select(Invitation).where(Invitation.token_hash == hash_token(token)))
    if invitation is None or invitation.accepted_at is not None or invitation.expires_at <= now_utc():
        return None
    return invitation


def accept_invitation(session: Session, invitation: Invitation, user: User) -> Organisation:
    """Make `user` a member (or space manager) of the inviting organisation."""
    if user.email != invitation.email:
        raise AccountError(phrase("Diese Einladung gilt für eine andere E-Mail-Adresse."), field="email")
    if invitation.organisation not in user.organisations:
        user.organisations.append(invitation.organisation)
        session.flush()
    mine = (memberships.c.user_id == user.id) & (memberships.c.organisation_id == invitation.organisation_id)
    if invitation.role == Role.SPACE_MANAGER:
        session.execute(memberships.update().where(mine).values(is_manager=True))
        if user.role == Role.MEMBER:
            user.role = Role.SPACE_MANAGER  # shows the managers' pages; rights stay per organisation
    if invitation.is_admin:
        session.execute(memberships.update().where(mine).values(is_admin=True))
    invitation.accepted_at = now_utc()
    return invitation.organisation


def expired_before(moment: datetime):
    """Criterion for cleanup: sessions that expired before `moment`."""
    return UserSession.expires_at < moment


@dataclass(frozen=True)
class Pruned:
    sessions: int
    api_tokens: int
    invitations: int
    unconfirmed_accounts: int


def prune(session: Session) -> Pruned:
    """Delete what can no longer be used: expired login sessions and API tokens, invitations that
    expired or were accepted more than INVITATION_LIFETIME ago, and accounts whose address was not
    confirmed within UNVERIFIED_LIFETIME (they own nothing: nothing can be done before confirming)."""
    now = now_utc()
    sessions = session.execute(delete(UserSession).where(UserSession.expires_at <= now)).rowcount
    tokens = session.execute(delete(ApiToken).where(ApiToken.expires_at <= now)).rowcount
    invitations = session.execute(delete(Invitation).where(
        (Invitation.expires_at <= now - INVITATION_LIFETIME)
        | (Invitation.accepted_at <= now - INVITATION_LIFETIME))).rowcount
    accounts = session.execute(delete(User).where(
        User.email_verified_at.is_(None), User.created_at <= now - UNVERIFIED_LIFETIME)).rowcount
    return Pruned(sessions, tokens, invitations, accounts)
