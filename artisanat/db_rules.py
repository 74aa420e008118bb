"""The reference data's rules that span tables: only ministry roles can be staff. A
non-superuser with ``is_staff`` (access to the Django admin, whose pages read every
organisation's rows) must have a ministry membership; a partner account never has it.
Installed as database triggers (artisanat/triggers.py, registered in artisanat/apps.py);
``Membership.clean()`` and the user admin's membership inline check the same rule first
with the same message. The admin site refuses anyone else as well (artisanat/admin_site.py)."""

from django.utils.translation import gettext_lazy as _

from artisanat.choices import MINISTRY_ROLES
from artisanat.triggers import Rule

_MINISTRY = ", ".join(f"'{role.value}'" for role in sorted(MINISTRY_ROLES))

STAFF_MESSAGE = _(
    "Seul un compte du ministère (rôle administrateur, éditeur, validateur ou lecteur) peut "
    "avoir accès à l'administration (statut équipe)."
)

RULES = [
    Rule(
        "staff_user_is_ministry",
        "auth_user",
        "NEW.is_staff AND NOT NEW.is_superuser AND NOT EXISTS (SELECT 1 FROM artisanat_membership m "
        f"WHERE m.user_id = NEW.id AND m.role IN ({_MINISTRY}))",
        STAFF_MESSAGE,
    ),
    Rule(
        "staff_membership_is_ministry",
        "artisanat_membership",
        f"NEW.role NOT IN ({_MINISTRY}) AND EXISTS (SELECT 1 FROM auth_user u "
        "WHERE u.id = NEW.user_id AND u.is_staff AND NOT u.is_superuser)",
        STAFF_MESSAGE,
    ),
]
