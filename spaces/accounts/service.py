"""Accounts: registration, passwords, login sessions that logout ends for good, reset tokens, invitations."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from spaces.clock import now_utc
from spaces.core.errors import NotFound, Unprocessable
from spaces.models import ApiToken, Invitation, Organisation, Role, User, UserSession, memberships

MIN_PASSWORD = 10
SESSION_LIFETIME = timedelta(days=30)
RESET_MAX_AGE = 3600  # seconds
INVITATION_LIFETIME = timedelta(days=14)
API_TOKEN_LIFETIME = timedelta(days=365)
# Compared against when the email is unknown, so a login takes as long either way.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


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
        raise AccountError("Bitte eine gültige E-Mail-Adresse angeben.", field="email") from None


def check_password(password: str, email: str = "") -> None:
    """Refuse passwords that are too short or just the email address."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"Das Passwort braucht mindestens {MIN_PASSWORD} Zeichen.", field="password")
    if email and password.strip().lower() == email.lower():
        raise AccountError("Das Passwort darf nicht die E-Mail-Adresse sein.", field="password")


def register(session: Session, *, email: str, display_name: str, password: str,
             organisation_name: str = "") -> User:
    """A new member account, with a new initiative when one is named."""
    email = normalise_email(email)
    check_password(password, email)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise AccountError("Mit dieser E-Mail-Adresse gibt es schon ein Konto. Passwort vergessen?", field="email")
    user = User(email=email, display_name=display_name.strip() or email, role=Role.MEMBER,
                password_hash=generate_password_hash(password), email_verified_at=now_utc())
    if organisation_name.strip():
        user.organisations.append(Organisation(key=f"org-{secrets.token_hex(6)}", name=organisation_name.strip(),
                                               kind="initiative"))
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None."""
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
    """A new login session; returns the token the browser keeps."""
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
    if row is None or row.expires_at <= now_utc() or not row.user.is_active:
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
    if row is None or row.expires_at <= now or not row.user.is_active:
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
    return URLSafeTimedSerializer(secret, salt="password-reset")


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


def manages(session: Session, user: User, organisation_id: int | None) -> bool:
    """Whether the user manages this organisation's spaces (QM admins manage all)."""
    if user.role == Role.QM_ADMIN:
        return True
    if organisation_id is None:
        return False
    return bool(session.scalar(select(memberships.c.is_manager).where(
        memberships.c.user_id == user.id, memberships.c.organisation_id == organisation_id)))


def managed_organisation_ids(session: Session, user: User) -> list[int]:
    """The organisations whose spaces the user manages."""
    return list(session.scalars(select(memberships.c.organisation_id).where(
        memberships.c.user_id == user.id, memberships.c.is_manager.is_(True))))


def invite(session: Session, organisation: Organisation, email: str, by: User, role: str = Role.MEMBER) -> str:
    """An invitation into `organisation`; returns the token for the mailed link."""
    if role not in (Role.MEMBER, Role.SPACE_MANAGER):
        raise AccountError("Einladen kann man nur als Mitglied oder Raumverwaltung.")
    if role == Role.SPACE_MANAGER and not manages(session, by, organisation.id):
        raise AccountError("Als Raumverwaltung einladen kann nur, wer die Räume dieser Organisation verwaltet.")
    token = secrets.token_urlsafe(32)
    session.add(Invitation(organisation_id=organisation.id, email=normalise_email(email), role=role,
                           token_hash=hash_token(token), invited_by_id=by.id,
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
        raise AccountError("Diese Einladung gilt für eine andere E-Mail-Adresse.", field="email")
    if invitation.organisation not in user.organisations:
        user.organisations.append(invitation.organisation)
        session.flush()
    if invitation.role == Role.SPACE_MANAGER:
        session.execute(memberships.update().where(
            memberships.c.user_id == user.id, memberships.c.organisation_id == invitation.organisation_id,
        ).values(is_manager=True))
        if user.role == Role.MEMBER:
            user.role = Role.SPACE_MANAGER  # shows the managers' pages; rights stay per organisation
    invitation.accepted_at = now_utc()
    return invitation.organisation


def expired_before(moment: datetime):
    """Criterion for cleanup: sessions that expired before `moment`."""
    return UserSession.expires_at < moment
