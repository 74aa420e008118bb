"""The Django admin site of the portal: only superusers and ministry staff enter it.

The admin's pages list every organisation's rows (drafts included) without
``visible_to``: a partner account given ``is_staff`` by mistake would read them all. So
the site itself refuses any account whose role is not a ministry role, whatever its
flags and permissions say; the database refuses to give such an account ``is_staff``
in the first place (artisanat/db_rules.py)."""

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig

from artisanat import permissions


def may_use_admin(user):
    """Active staff with a ministry role (superusers are administrators)."""
    return bool(user.is_active and user.is_staff and (user.is_superuser or permissions.is_ministry(user)))


class PortalAdminSite(AdminSite):
    def has_permission(self, request):
        return super().has_permission(request) and may_use_admin(request.user)


class PortalAdminConfig(AdminConfig):
    default_site = "artisanat.admin_site.PortalAdminSite"
