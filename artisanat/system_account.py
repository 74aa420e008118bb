"""The account management commands write history under when no ``--user`` is given.

Every history row names who made the change; a command run by an operator from a shell
has no signed-in user, so its rows go to this clearly named account (``systeme``): it
cannot sign in (no usable password, inactive) and has no membership, hence no role."""

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

SYSTEM_USERNAME = "systeme"


def system_account():
    """The system account, created the first time (inactive, without a usable password)."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"first_name": "Compte", "last_name": "système", "is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def command_user(username=None):
    """The account a command's history rows are attributed to: ``--user`` or the system account."""
    if not username:
        return system_account()
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(_("Utilisateur inconnu : %(username)s") % {"username": username})
    return user
