"""Who may do what: the one module that decides access.

Querysets call these helpers in their ``visible_to(user)`` methods, views and API
permissions call the ``can_*`` predicates; nothing else decides access.
"""

from django.db.models import Q

from artisanat.choices import MINISTRY_ROLES, Role


def membership_of(user):
    """The user's Membership or None (anonymous, or a user without one)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    try:
        return user.membership
    except Exception:  # RelatedObjectDoesNotExist
        return None


def role_of(user):
    """The user's role; superusers are administrators whatever their membership says."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Role.ADMINISTRATOR
    membership = membership_of(user)
    return Role(membership.role) if membership else None


def organisation_id_of(user):
    membership = membership_of(user)
    return membership.organisation_id if membership else None


def is_ministry(user):
    """Administrators and ministry staff read everything."""
    return role_of(user) in MINISTRY_ROLES


def is_reporter(user):
    return role_of(user) == Role.REPORTER


def can_read(user):
    """Any signed-in user with a role may read the strategy and validated figures."""
    return role_of(user) is not None


def can_edit_strategy(user):
    return role_of(user) in {Role.ADMINISTRATOR, Role.EDITOR, Role.VALIDATOR}


can_edit_contracts = can_edit_strategy


def can_record_measurements(user):
    return role_of(user) in {Role.ADMINISTRATOR, Role.EDITOR, Role.VALIDATOR, Role.REPORTER}


def can_validate(user):
    return role_of(user) in {Role.ADMINISTRATOR, Role.VALIDATOR}


def may_see_name_of(viewer, author):
    """Whether ``viewer`` may read who ``author`` is (a name, a username): ministry roles
    always; a partner only for the people of its own organisation. Of anybody else a
    partner reads the organisation (``artisanat.history.author_label``)."""
    if is_ministry(viewer):
        return True
    own = organisation_id_of(viewer)
    membership = getattr(author, "membership", None)  # RelatedObjectDoesNotExist is an AttributeError
    return own is not None and membership is not None and membership.organisation_id == own


# -- managing people (artisanat/accounts/people.py, docs/people.md) ---------------------


def is_administrator(user):
    """Role administrator, or a superuser."""
    return role_of(user) == Role.ADMINISTRATOR


def is_partner_focal_point(user):
    """A partner organisation's focal point: a reporter whose membership is flagged focal point."""
    membership = membership_of(user)
    return role_of(user) == Role.REPORTER and membership is not None and membership.is_focal_point


def can_manage_people(user):
    """Who reaches the people pages: administrators (everyone) and partner focal points
    (their own organisation's reporters). Everyone else: 403."""
    return is_administrator(user) or is_partner_focal_point(user)


def manageable_people(user, *, membership="membership__", account=""):
    """The condition on the people ``user`` may manage, or None for nobody: every account
    for an administrator; for a partner focal point, the reporters of its own
    organisation (never a superuser). ``membership`` and ``account`` are the paths to
    the membership's and the account's columns from the queried model (a User by default;
    ``MembershipQuerySet.manageable_by`` passes ``""`` and ``"user__"``)."""
    if is_administrator(user):
        return Q()
    if is_partner_focal_point(user):
        return Q(**{f"{membership}organisation_id": organisation_id_of(user), f"{membership}role": Role.REPORTER}) & ~Q(
            **{f"{account}is_superuser": True}
        )
    return None


def _membership_of_account(account):
    """The membership of any account, active or not (``membership_of`` ignores inactive ones)."""
    return getattr(account, "membership", None)  # RelatedObjectDoesNotExist is an AttributeError


def may_manage(user, account):
    """``manageable_people`` for one account already loaded (with its membership)."""
    if account is None:
        return False
    if is_administrator(user):
        return True
    if not is_partner_focal_point(user) or account.is_superuser:
        return False
    membership = _membership_of_account(account)
    return (
        membership is not None
        and membership.role == Role.REPORTER
        and membership.organisation_id == organisation_id_of(user)
    )


def may_act_on(user, account):
    """Change the membership, reset the second factor, deactivate or reactivate: someone
    ``user`` manages, never oneself (one's own account is the security page's)."""
    return may_manage(user, account) and account.pk != user.pk


def assignable_roles(user):
    """The roles ``user`` may give: every role for an administrator, reporter for a
    focal point. Nobody gives more rights than they have; only an administrator makes
    an administrator."""
    if is_administrator(user):
        return list(Role)
    if is_partner_focal_point(user):
        return [Role.REPORTER]
    return []


def may_assign(user, *, organisation_id, role, is_focal_point):
    """Whether ``user`` may give someone this organisation, role and focal-point flag: an
    administrator anything; a focal point only the reporter role in its own organisation
    (with or without the focal-point flag: no more than its own rights)."""
    if is_administrator(user):
        return role in Role.values
    if not is_partner_focal_point(user):
        return False
    return role == Role.REPORTER and organisation_id == organisation_id_of(user)
