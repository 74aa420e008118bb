"""Changes of state of the portal's own rows (the reminders: portal/reminders.py)."""

from django.core.exceptions import PermissionDenied
from django.db import transaction

from artisanat import permissions
from artisanat.services import validate
from portal.models import UserPreference


@transaction.atomic
def save_preference(user, *, language, reminders_enabled):
    """``user``'s email language and whether they get the optional reminders (the
    reminders before a due date); the others are always sent."""
    if not permissions.can_read(user):
        raise PermissionDenied
    preference = UserPreference.objects.select_for_update().filter(user=user).first() or UserPreference(user=user)
    preference.language = language
    preference.reminders_enabled = reminders_enabled
    validate(preference)
    preference.save()
    return preference
