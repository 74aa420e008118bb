"""Who may do what: the one module that decides access.

Querysets call these helpers in their ``visible_to(user)`` methods, views and API
permissions call the ``can_*`` predicates; nothing else decides access.
"""

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
