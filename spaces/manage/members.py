"""The members of a provider organisation and their rights: who manages its spaces ("Raumverwaltung") and
who administers it ("Admin": appoints managers and admins, invites and removes members).

Who may: the organisation's admins, and QM admins for every organisation; anyone else is refused (403).
An organisation that has an admin keeps at least one: taking the right from, or removing, its last admin is
a Conflict (409). Changes to one organisation's rights take a row lock on the organisation first, so two
admins removing each other at the same moment cannot leave it without one. Every change is audited.

Functions take the session and the acting user, flush but do not commit (the views do).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext
from sqlalchemy import and_, delete, exists, func, select, update
from sqlalchemy.orm import Session

from spaces.accounts.service import administered_organisation_ids, administers
from spaces.booking.rules import audit
from spaces.clock import now_utc
from spaces.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from spaces.models import Invitation, Organisation, Role, User, memberships

PAGE_SIZE = 100
RIGHTS = {"manager": memberships.c.is_manager, "admin": memberships.c.is_admin}


@dataclass(frozen=True)
class Member:
    """One member of an organisation with the rights held there."""

    user: User
    is_manager: bool
    is_admin: bool


@dataclass(frozen=True)
class OrganisationRow:
    """One line of the organisations list: the organisation, its member and admin counts."""

    organisation: Organisation
    members: int
    admins: int


# ----------------------------------------------------------------------------- who may


def administered_organisation(session: Session, user: User, organisation_id: int) -> Organisation:
    """The organisation, if the user administers it (QM admins: any); NotFound or Forbidden otherwise."""
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(gettext("Diese Organisation gibt es nicht."))
    if not administers(session, user, organisation_id):
        raise Forbidden(gettext("Mitglieder und Rechte einer Organisation verwalten nur ihre Admins "
                                "und die QM-Verwaltung."))
    return organisation


def administers_any(session: Session, user: User) -> bool:
    """Whether the user may open the organisations list: QM admins, and admins of any organisation."""
    return user.is_qm_admin or session.scalar(select(exists().where(
        memberships.c.user_id == user.id, memberships.c.is_admin.is_(True)))) is True


# ----------------------------------------------------------------------------- what the pages show


def organisations(session: Session, user: User, search: str, page: int) -> tuple[list[OrganisationRow], bool]:
    """One page of the organisations the user administers (QM admins: all, optionally filtered by name),
    by name, each with its member and admin counts, and whether there is a next page."""
    if not administers_any(session, user):
        raise Forbidden(gettext("Diese Seite gibt es für Admins einer Organisation und die QM-Verwaltung."))
    members = (select(func.count()).where(memberships.c.organisation_id == Organisation.id)
               .correlate(Organisation).scalar_subquery())
    admins = (select(func.count()).where(memberships.c.organisation_id == Organisation.id,
                                         memberships.c.is_admin.is_(True)).correlate(Organisation).scalar_subquery())
    query = select(Organisation, members, admins).order_by(Organisation.name, Organisation.id)
    if not user.is_qm_admin:
        query = query.where(Organisation.id.in_(administered_organisation_ids(session, user)))
    if search.strip():
        escaped = search.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Organisation.name.ilike(f"%{escaped}%", escape="\\"))
    rows = session.execute(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    return [OrganisationRow(o, m, a) for o, m, a in rows[:PAGE_SIZE]], len(rows) > PAGE_SIZE


def members_of(session: Session, organisation: Organisation) -> list[Member]:
    """The organisation's members with their rights, by name."""
    rows = session.execute(
        select(User, memberships.c.is_manager, memberships.c.is_admin)
        .join(memberships, memberships.c.user_id == User.id)
        .where(memberships.c.organisation_id == organisation.id)
        .order_by(User.display_name, User.id))
    return [Member(user, is_manager, is_admin) for user, is_manager, is_admin in rows]


def open_invitations(session: Session, organisation: Organisation) -> list[Invitation]:
    """Invitations into the organisation that are neither accepted nor expired, newest first."""
    return list(session.scalars(select(Invitation).where(
        Invitation.organisation_id == organisation.id, Invitation.accepted_at.is_(None),
        Invitation.expires_at > now_utc()).order_by(Invitation.created_at.desc(), Invitation.id.desc())))


# ----------------------------------------------------------------------------- changes


def set_right(session: Session, actor: User, organisation: Organisation, user_id: int, right: str,
              grant: bool) -> User:
    """Give or take one right ("manager" or "admin") of a member; the member, whether anything changed or not.

    Taking the admin right from the organisation's last admin is a Conflict; nothing is written then.
    """
    column = RIGHTS.get(right)
    if column is None:
        raise Unprocessable(gettext("Dieses Recht gibt es nicht."))
    _lock(session, organisation)
    member = _member(session, organisation, user_id)
    if bool(session.scalar(select(column).where(_row(organisation, user_id)))) == grant:
        return member  # already so: nothing to write, nothing to audit
    if right == "admin" and not grant:
        _keep_an_admin(session, organisation, user_id)
    session.execute(update(memberships).where(_row(organisation, user_id)).values({column.name: grant}))
    if right == "manager":
        _match_role(session, member)
    audit(session, actor, "membership.right_given" if grant else "membership.right_taken", organisation,
          member_id=member.id, member=member.email, right=right)
    session.flush()
    return member


def remove_member(session: Session, actor: User, organisation: Organisation, user_id: int) -> User:
    """Take a person out of the organisation (with all rights there); never its last admin (Conflict)."""
    _lock(session, organisation)
    member = _member(session, organisation, user_id)
    was = session.execute(select(memberships.c.is_manager, memberships.c.is_admin)
                          .where(_row(organisation, user_id))).one()
    if was.is_admin:
        _keep_an_admin(session, organisation, user_id)
    session.execute(delete(memberships).where(_row(organisation, user_id)))
    session.expire(member, ["organisations"])
    _match_role(session, member)
    audit(session, actor, "membership.removed", organisation, member_id=member.id, member=member.email,
          was_manager=bool(was.is_manager), was_admin=bool(was.is_admin))
    session.flush()
    return member


def record_invitation(session: Session, actor: User, invitation_email: str, organisation: Organisation,
                      role: str, is_admin: bool) -> None:
    """Audit an invitation sent into the organisation, with the rights it offers."""
    audit(session, actor, "membership.invited", organisation, email=invitation_email, role=role,
          admin=is_admin)


def record_joined(session: Session, user: User, invitation: Invitation) -> None:
    """Audit that `user` joined an organisation by accepting an invitation."""
    audit(session, user, "membership.joined", invitation.organisation, member_id=user.id, member=user.email,
          role=invitation.role, admin=invitation.is_admin, invitation_id=invitation.id)


def after_joining(invitation: Invitation) -> tuple[str, dict]:
    """Where someone who just accepted `invitation` goes on: the endpoint and its arguments."""
    if invitation.is_admin:
        return "manage.members", {"organisation_id": invitation.organisation_id}
    if invitation.role == Role.SPACE_MANAGER:
        return "manage.spaces", {}
    return "booking.mine", {}


# ----------------------------------------------------------------------------- helpers


def _row(organisation: Organisation, user_id: int):
    return and_(memberships.c.organisation_id == organisation.id, memberships.c.user_id == user_id)


def _lock(session: Session, organisation: Organisation) -> None:
    """Changes to one organisation's rights wait for each other (the last-admin check stays true)."""
    session.execute(select(Organisation.id).where(Organisation.id == organisation.id).with_for_update())


def _member(session: Session, organisation: Organisation, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or session.scalar(select(exists().where(_row(organisation, user_id)))) is not True:
        raise NotFound(gettext("Diese Person gehört nicht (mehr) zu %(org)s.", org=organisation.name))
    return user


def _keep_an_admin(session: Session, organisation: Organisation, leaving_id: int) -> None:
    others = session.scalar(select(func.count()).where(
        memberships.c.organisation_id == organisation.id, memberships.c.is_admin.is_(True),
        memberships.c.user_id != leaving_id))
    if not others:
        raise Conflict(gettext("%(org)s braucht mindestens einen Admin. Ernennen Sie zuerst jemand anderen "
                               "zum Admin.", org=organisation.name))


def _match_role(session: Session, user: User) -> None:
    """The global role follows the per-organisation manager rights: it only decides which pages the
    navigation offers (the rights themselves are checked per organisation). QM admins stay QM admins."""
    if user.role == Role.QM_ADMIN:
        return
    manages_any = session.scalar(select(exists().where(
        memberships.c.user_id == user.id, memberships.c.is_manager.is_(True))))
    user.role = Role.SPACE_MANAGER if manages_any else Role.MEMBER
