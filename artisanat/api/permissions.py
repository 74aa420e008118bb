"""API permissions: thin wrappers over artisanat.permissions, which alone decides access.

Reading needs a role (anonymous → 401, signed in without a role → 403). Writing needs
the view's ``write_permission`` predicate (or the one for the action in
``action_permissions``); the services check again, object by object."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from artisanat import permissions


class HasRole(BasePermission):
    message = _("Votre compte n'a pas de rôle dans le portail : demandez-en un à l'administrateur.")

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if not permissions.can_read(user):
            return False
        if request.method in SAFE_METHODS:
            return True
        predicate = getattr(view, "action_permissions", {}).get(getattr(view, "action", None))
        if predicate is None:
            predicate = getattr(view, "write_permission", None)
        if predicate is None or not predicate(user):
            self.message = _("Votre rôle ne permet pas cette action.")
            return False
        return True

    def has_object_permission(self, request, view, obj):
        """A partner reporter writes only what belongs to its organisation."""
        if request.method in SAFE_METHODS:
            return True
        field = getattr(view, "reporter_owner_field", None)
        if (
            field
            and permissions.is_reporter(request.user)
            and getattr(obj, field) != permissions.organisation_id_of(request.user)
        ):
            self.message = _("Cet enregistrement appartient à une autre organisation.")
            return False
        return True
