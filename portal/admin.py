"""The reminders in the admin: read only. Preferences are each user's own (« Mes
notifications »); reminder rows are written by ``send_reminders`` alone."""

from django.contrib import admin

from artisanat.admin import ReadOnlyAdminMixin, SelectRelatedMixin
from portal.models import ReminderLog, UserPreference


@admin.register(ReminderLog)
class ReminderLogAdmin(ReadOnlyAdminMixin, SelectRelatedMixin, admin.ModelAdmin):
    list_display = ("kind", "recipient", "indicator", "organisation", "period_start", "due_date", "status", "sent_at")
    list_filter = ("kind", "status", "due_date")
    search_fields = ("recipient__username", "recipient__email", "indicator__code", "organisation__acronym")
    list_select_related = ("recipient", "indicator", "organisation", "region")
    ordering = ("-claimed_at", "-pk")


@admin.register(UserPreference)
class UserPreferenceAdmin(ReadOnlyAdminMixin, SelectRelatedMixin, admin.ModelAdmin):
    list_display = ("user", "language", "reminders_enabled")
    list_filter = ("language", "reminders_enabled")
    search_fields = ("user__username", "user__email")
    list_select_related = ("user",)
